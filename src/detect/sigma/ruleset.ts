// From rule documents to what the engine runs: detection rules compiled and routed to the events
// their logsource selects, global filters folded into the rules they name, correlation rules checked
// against the rules they refer to. Every document ends up in the lint list, loaded or rejected with
// the reason.
import type { Severity, Stage } from '../../core/types.js';
import { type CompiledDetection, compileDetection, withFilter } from './detection.js';
import { RuleError } from './errors.js';
import type { CompileOptions } from './field.js';
import type { LintEntry, RuleDoc } from './load.js';
import { type MappingEntry, type Variant, builtInMappings, describeLogsource, normaliseLogsource, resolveLogsource } from './mapping.js';

export interface RuleMeta {
  /** The rule's id (or its file and position when it has none). */
  id: string;
  name?: string;
  title: string;
  description: string;
  level: string;
  severity: Severity;
  stage: Stage;
  attack: string[];
  cves: string[];
  references: string[];
  falsepositives: string[];
  file: string;
}

export interface SigmaRule extends RuleMeta {
  detection: CompiledDetection;
  variants: Variant[];
  /** False when the rule only feeds correlations (their `generate` is not set). */
  emits: boolean;
  /** Indexes of the correlations this rule feeds. */
  feeds: number[];
}

export type CorrelationType = 'event_count' | 'value_count' | 'temporal' | 'temporal_ordered' | 'value_sum' | 'value_avg';
export type CountOp = 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq';

export interface CorrelationRule extends RuleMeta {
  type: CorrelationType;
  /** Ids of the referred rules or correlations, in the rule's order. */
  rules: string[];
  groupBy: string[];
  timespanMs: number;
  condition: Partial<Record<CountOp, number>>;
  field?: string;
  /** alias → (rule id → field name). */
  aliases: Record<string, Record<string, string>>;
  emits: boolean;
}

export interface SigmaRuleSet {
  rules: SigmaRule[];
  correlations: CorrelationRule[];
  lint: LintEntry[];
}

const LEVELS: Record<string, Severity> = { informational: 'info', low: 'low', medium: 'medium', high: 'high', critical: 'critical' };
/** critical: "probability borders certainty" (rules specification §Level) → the attack succeeded. */
const STAGES: Record<Severity, Stage> = { info: 'info', low: 'info', medium: 'info', high: 'attempt', critical: 'compromise' };
const CORRELATION_TYPES: readonly CorrelationType[] = ['event_count', 'value_count', 'temporal', 'temporal_ordered', 'value_sum', 'value_avg'];
const COUNT_OPS: readonly CountOp[] = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'];

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function textList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `attack.t1003.001` → T1003.001; `cve.2021-26855` → CVE-2021-26855 (tags appendix). */
function fromTags(tags: readonly string[]): { attack: string[]; cves: string[] } {
  const attack = new Set<string>();
  const cves = new Set<string>();
  for (const t of tags) {
    const a = /^attack\.(t\d{4}(?:\.\d{3})?)$/i.exec(t);
    if (a) attack.add(a[1]!.toUpperCase());
    const c = /^cve\.(\d{4}-\d{4,})$/i.exec(t);
    if (c) cves.add(`CVE-${c[1]}`);
  }
  return { attack: [...attack].sort(), cves: [...cves].sort() };
}

function meta(doc: RuleDoc): RuleMeta {
  const b = doc.body;
  const title = b['title'];
  if (typeof title !== 'string' || title.trim() === '') throw new RuleError(`'title' is missing`);
  const levelText = text(b['level']).toLowerCase() || 'medium';
  const severity = LEVELS[levelText];
  if (!severity) throw new RuleError(`level '${levelText}' is not one of ${Object.keys(LEVELS).join(', ')}`);
  const idv = b['id'];
  if (idv !== undefined && typeof idv !== 'string') throw new RuleError(`'id' must be text`);
  const { attack, cves } = fromTags(textList(b['tags']));
  const m: RuleMeta = {
    id: idv ?? `${doc.file}#${doc.index + 1}`,
    title,
    description: text(b['description']).trim(),
    level: levelText,
    severity,
    stage: STAGES[severity],
    attack,
    cves,
    references: textList(b['references']),
    falsepositives: textList(b['falsepositives']),
    file: doc.file,
  };
  if (typeof b['name'] === 'string') m.name = b['name'];
  return m;
}

function kindOf(b: Record<string, unknown>): LintEntry['kind'] {
  if ('correlation' in b) return 'correlation';
  if ('filter' in b && !('detection' in b)) return 'filter';
  if ('detection' in b) return 'rule';
  return 'unknown';
}

const SPAN = /^(\d+)([smhdwMy])$/;
const SPAN_MS: Record<string, number> = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8, M: 2.592e9, y: 3.1536e10 };

function timespan(v: unknown): number {
  const m = typeof v === 'string' ? SPAN.exec(v.trim()) : null;
  if (!m) throw new RuleError(`timespan '${String(v)}' is not a number and a unit (s, m, h, d)`);
  return Number(m[1]) * SPAN_MS[m[2]!]!;
}

function compileCorrelation(doc: RuleDoc, m: RuleMeta): CorrelationRule {
  const c = doc.body['correlation'];
  if (!isMap(c)) throw new RuleError(`'correlation' must be a map`);
  const type = c['type'];
  if (type === 'value_percentile') throw new RuleError(`correlation type value_percentile is not supported (its window semantics differ between backends)`);
  if (typeof type !== 'string' || !CORRELATION_TYPES.includes(type as CorrelationType)) throw new RuleError(`correlation type '${String(type)}' is not one of ${CORRELATION_TYPES.join(', ')}`);
  const rules = textList(c['rules']);
  if (rules.length === 0) throw new RuleError(`correlation needs 'rules'`);
  const groupBy = textList(c['group-by']);
  const cond: Partial<Record<CountOp, number>> = {};
  let field: string | undefined;
  const condition = c['condition'];
  if (condition !== undefined) {
    if (!isMap(condition)) throw new RuleError(`correlation condition must be a map such as {gte: 10}`);
    for (const [k, v] of Object.entries(condition)) {
      if (k === 'field') {
        field = textList(v)[0];
        continue;
      }
      if (!COUNT_OPS.includes(k as CountOp) || typeof v !== 'number') throw new RuleError(`correlation condition '${k}: ${String(v)}' is not one of ${COUNT_OPS.join(', ')} with a number`);
      cond[k as CountOp] = v;
    }
  }
  const t = type as CorrelationType;
  if ((t === 'event_count' || t === 'value_count' || t === 'value_sum' || t === 'value_avg') && Object.keys(cond).length === 0) throw new RuleError(`correlation ${t} needs a condition`);
  if ((t === 'value_count' || t === 'value_sum' || t === 'value_avg') && !field) throw new RuleError(`correlation ${t} needs condition.field`);
  const aliases: Record<string, Record<string, string>> = {};
  if (isMap(c['aliases'])) {
    for (const [alias, per] of Object.entries(c['aliases'])) {
      if (!isMap(per)) throw new RuleError(`alias '${alias}' must map rule names to fields`);
      aliases[alias] = Object.fromEntries(Object.entries(per).map(([r, f]) => [r, String(f)]));
    }
  }
  const out: CorrelationRule = { ...m, type: t, rules, groupBy, timespanMs: timespan(c['timespan']), condition: cond, aliases, emits: true };
  if (field) out.field = field;
  return out;
}

export interface BuildOptions extends CompileOptions {
  mappings?: readonly MappingEntry[];
}

/** Compiles rule documents into a runnable set; every document gets a lint entry. */
export function buildRuleSet(docs: readonly RuleDoc[], opts: BuildOptions): SigmaRuleSet {
  const mappings = opts.mappings ?? builtInMappings();
  if (!opts.plusIsSpace) {
    const names = mappings.flatMap((e) => e.variants.flatMap((v) => [...v.fields].filter(([, f]) => f.kind === 'rename' && f.plusIsSpace).map(([n]) => n)));
    opts = { ...opts, plusIsSpace: new Set(names) };
  }
  const lint: LintEntry[] = [];
  const rules: SigmaRule[] = [];
  const correlations: { doc: RuleDoc; rule: CorrelationRule; entry: LintEntry }[] = [];
  const filters: { doc: RuleDoc; targets: string[]; detection: CompiledDetection; entry: LintEntry }[] = [];
  const ruleEntries = new Map<SigmaRule, LintEntry>();
  const seenIds = new Map<string, string>();

  for (const doc of docs) {
    const b = doc.body;
    const entry: LintEntry = { file: doc.file, id: typeof b['id'] === 'string' ? b['id'] : null, title: typeof b['title'] === 'string' ? b['title'] : null, status: 'rejected', reason: null, kind: kindOf(b) };
    lint.push(entry);
    try {
      if (b['action'] !== undefined) throw new RuleError(`'action: ${String(b['action'])}' is a Sigma 1 rule collection; split it into plain rules`);
      if (entry.kind === 'unknown') throw new RuleError(`not a Sigma rule: no detection, correlation or filter section`);
      const m = meta(doc);
      const prior = seenIds.get(m.id);
      if (prior !== undefined) throw new RuleError(`id ${m.id} is already used by ${prior}`);
      if (entry.kind === 'correlation') {
        correlations.push({ doc, rule: compileCorrelation(doc, m), entry });
        seenIds.set(m.id, doc.file);
        continue;
      }
      if (b['status'] === 'unsupported') throw new RuleError(`status: unsupported (the rule says it cannot be used as it is)`);
      if (entry.kind === 'filter') {
        const f = b['filter'];
        if (!isMap(f)) throw new RuleError(`'filter' must be a map`);
        const { rules: targets, ...detection } = f;
        const list = textList(targets);
        if (list.length === 0) throw new RuleError(`filter needs 'rules' naming the rules it applies to`);
        filters.push({ doc, targets: list, detection: compileDetection(detection, opts), entry });
        continue;
      }
      const ls = b['logsource'];
      if (!isMap(ls)) throw new RuleError(`'logsource' is missing`);
      const detection = compileDetection(b['detection'], opts);
      const logsource = normaliseLogsource(ls);
      const variants = resolveLogsource(logsource, mappings);
      if (!variants) throw new RuleError(`unmapped logsource (${describeLogsource(logsource)}): exhunt reads Windows event logs, IIS and Exchange logs, and no field mapping covers this source`);
      const rule: SigmaRule = { ...m, detection, variants, emits: true, feeds: [] };
      seenIds.set(m.id, doc.file);
      rules.push(rule);
      ruleEntries.set(rule, entry);
      entry.status = 'loaded';
      entry.sources = [...new Set(variants.map((v) => v.source))].sort();
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      entry.reason = err.message;
    }
  }

  // Global filters: `rule and not filter` for each rule they name (by id or name).
  for (const f of filters) {
    const missing = f.targets.filter((t) => !rules.some((r) => r.id === t || r.name === t));
    if (missing.length === f.targets.length) {
      f.entry.reason = `none of the rules it names is loaded (${missing.join(', ')})`;
      continue;
    }
    for (const r of rules) if (f.targets.includes(r.id) || (r.name !== undefined && f.targets.includes(r.name))) r.detection = withFilter(r.detection, f.detection);
    f.entry.status = 'loaded';
  }

  // Correlations: referred rules by id or name; chains allowed, cycles not.
  const loaded: CorrelationRule[] = [];
  const byKey = new Map<string, string>();
  for (const r of rules) {
    byKey.set(r.id, r.id);
    if (r.name) byKey.set(r.name, r.id);
  }
  for (const c of correlations) {
    byKey.set(c.rule.id, c.rule.id);
    if (c.rule.name) byKey.set(c.rule.name, c.rule.id);
  }
  const corrIds = new Set(correlations.map((c) => c.rule.id));
  for (const c of correlations) {
    const unknown = c.rule.rules.filter((r) => !byKey.has(r));
    if (unknown.length > 0) {
      c.entry.reason = `refers to rules that are not loaded: ${unknown.join(', ')}`;
      continue;
    }
    c.rule.rules = c.rule.rules.map((r) => byKey.get(r)!);
    if (c.rule.rules.includes(c.rule.id)) {
      c.entry.reason = 'refers to itself';
      continue;
    }
    loaded.push(c.rule);
    c.entry.status = 'loaded';
  }
  // A rule (or correlation) referred to by a correlation is not reported on its own, unless one of
  // the correlations that refer to it says `generate: true` (correlation specification §Generate).
  const referred = new Map<string, boolean>();
  for (const [i, c] of loaded.entries()) {
    const generate = correlations.find((x) => x.rule === c)?.doc.body['correlation'];
    const gen = isMap(generate) && generate['generate'] === true;
    for (const id of c.rules) {
      referred.set(id, (referred.get(id) ?? false) || gen);
      const r = rules.find((x) => x.id === id);
      if (r) r.feeds.push(i);
    }
  }
  for (const r of rules) if (referred.has(r.id)) r.emits = referred.get(r.id)!;
  for (const c of loaded) if (referred.has(c.id) && corrIds.has(c.id)) c.emits = referred.get(c.id)!;
  return { rules, correlations: loaded, lint };
}
