// Runs a compiled Sigma rule set on events. Per event: the rules whose logsource selects it (an
// index by source, channel and event id), then one Aho-Corasick pass over the event's text for the
// literals those rules require, then only the rules whose literal occurred (or that name none).
// Matches become hits for the finding accumulator; matches of rules that feed correlations are also
// kept, as small records, for the correlation pass at the end of the run.
import type { Evidence, LogEvent, SourceKind } from '../../core/types.js';
import { evidenceOf } from '../accumulate.js';
import type { Hit } from '../types.js';
import { LiteralMatcher } from './aho.js';
import { EventView } from './event-view.js';
import type { FieldSpec, Variant } from './mapping.js';
import type { CorrelationRule, SigmaRule, SigmaRuleSet } from './ruleset.js';
import { sigmaFindingRule, type SigmaFindingRule } from './finding.js';

/** A match kept for correlations: the rule, the time and the fields the correlations group by. */
export interface FeedEvent {
  rule: string;
  time: number;
  fields: Record<string, string>;
  evidence: Evidence;
  /** For a correlation's match fed to another correlation: the records it was made of. */
  members?: FeedEvent[];
}

/** What a scanning thread hands over besides findings: correlation feed and rule failures. */
export interface SigmaState {
  events: FeedEvent[];
  counts: Record<string, number>;
  failures: string[];
}

export type HitSink = (rule: SigmaFindingRule, hit: Hit, ev: LogEvent) => void;

interface Entry {
  rule: SigmaRule;
  finding: SigmaFindingRule;
  variant: Variant;
  /** Field names the correlations fed by this rule read. */
  feedFields: string[];
}

/**
 * Rules of one group that share a prefilter: the literals they require, scanned over the values of
 * the fields they read, or over the whole event when one of them searches keywords.
 */
interface ScanClass {
  group: number;
  /** Sigma fields to scan; null: the whole event. */
  fields: string[] | null;
  matcher: LiteralMatcher;
  /** Literal id → indexes into the bucket's `gated` of the rules that require it. */
  byLiteral: number[][];
}

/** The rules for one (source, channel, event id, provider) and their literal index. */
interface Bucket {
  /** Entries grouped by field mapping: one view per mapping and event. */
  groups: { fields: ReadonlyMap<string, FieldSpec>; always: Entry[] }[];
  /** Rules with required literals, each with the index of its group. */
  gated: { entry: Entry; group: number }[];
  classes: ScanClass[];
  /** Per gated rule: the event number it was last picked for (de-duplicates candidates). */
  stamp: Int32Array;
}

/** Events kept per rule for correlations; beyond this they are counted, not kept. */
export const FEED_LIMIT = 100_000;
/** Characters of a raw needle at least: shorter ones would let nearly every line through. */
const MIN_NEEDLE = 3;

function matchesVariant(v: Variant, ev: LogEvent): boolean {
  if (v.source !== ev.source) return false;
  const w = ev.win;
  if (v.channels.length > 0 && !(w && v.channels.includes(w.channel.toLowerCase()))) return false;
  if (v.eventIds.length > 0 && !(w && v.eventIds.includes(w.eventId))) return false;
  if (v.providers.length > 0 && !(w && v.providers.includes(w.provider.toLowerCase()))) return false;
  return true;
}

/** The values an event kind fixes for every event of it (the keys of a bucket), lower-cased. */
function staticValues(ev: LogEvent): Map<string, string> {
  const w = ev.win;
  if (!w) return new Map();
  return new Map([
    ['EventID', String(w.eventId)],
    ['Channel', w.channel.toLowerCase()],
    ['Provider_Name', w.provider.toLowerCase()],
  ]);
}

/** False when the rule requires a value of EventID, Channel or Provider_Name this kind of event never has. */
function possible(rule: SigmaRule, fixed: ReadonlyMap<string, string>): boolean {
  const c = rule.detection.constraints;
  if (!c) return true;
  for (const [f, v] of fixed) {
    const allowed = c.get(f);
    if (allowed && !allowed.has(v)) return false;
  }
  return true;
}

function feedFieldsOf(rule: SigmaRule, correlations: readonly CorrelationRule[]): string[] {
  const out = new Set<string>();
  for (const i of rule.feeds) {
    const c = correlations[i]!;
    for (const g of c.groupBy) out.add(c.aliases[g]?.[rule.id] ?? (rule.name !== undefined ? c.aliases[g]?.[rule.name] : undefined) ?? g);
    if (c.field) out.add(c.field);
  }
  return [...out];
}

export class SigmaEngine {
  private readonly bySource = new Map<SourceKind, Entry[]>();
  private readonly buckets = new Map<string, Bucket>();
  private feed: FeedEvent[] = [];
  private feedCount = new Map<string, number>();
  /** Rules that threw: they are not run again in this thread. */
  private readonly failed = new Set<string>();
  /** Their messages, until handed over. */
  private failures: string[] = [];

  constructor(readonly set: SigmaRuleSet) {
    for (const rule of set.rules) {
      const finding = sigmaFindingRule(rule);
      const feedFields = feedFieldsOf(rule, set.correlations);
      for (const variant of rule.variants) {
        const list = this.bySource.get(variant.source) ?? [];
        list.push({ rule, finding, variant, feedFields });
        this.bySource.set(variant.source, list);
      }
    }
  }

  /**
   * Byte needles for a text log's line scanner: for each rule, a piece of each of its literals that
   * appears verbatim in the raw line (IIS writes spaces as '+', a query follows the path after a
   * space, CSV doubles quotes). `allLines` when some rule names no literal.
   */
  needlesFor(source: SourceKind): { literals: string[]; allLines: boolean } {
    const entries = this.bySource.get(source);
    if (!entries) return { literals: [], allLines: false };
    const out = new Set<string>();
    for (const e of entries) {
      const lits = e.rule.detection.literals;
      if (!lits) return { literals: [], allLines: true };
      for (const l of lits) {
        const piece = l.split(/[ +"?,]/).reduce((a, b) => (b.length > a.length ? b : a), '');
        if (piece.length < MIN_NEEDLE) return { literals: [], allLines: true };
        out.add(piece);
      }
    }
    return { literals: [...out].sort(), allLines: false };
  }

  private bucket(ev: LogEvent): Bucket {
    const w = ev.win;
    const key = w ? `${ev.source}\0${w.channel.toLowerCase()}\0${w.eventId}\0${w.provider.toLowerCase()}` : ev.source;
    let b = this.buckets.get(key);
    if (b) return b;
    const fixed = staticValues(ev);
    const entries = (this.bySource.get(ev.source) ?? []).filter((e) => matchesVariant(e.variant, ev) && possible(e.rule, fixed));
    const groups: Bucket['groups'] = [];
    const gated: Bucket['gated'] = [];
    const classes = new Map<string, { group: number; raw: boolean; members: number[] }>();
    for (const entry of entries) {
      let gi = groups.findIndex((x) => x.fields === entry.variant.fields);
      if (gi < 0) {
        gi = groups.length;
        groups.push({ fields: entry.variant.fields, always: [] });
      }
      if (!entry.rule.detection.literals) {
        groups[gi]!.always.push(entry);
        continue;
      }
      const raw = entry.rule.detection.keywords === true;
      const key = `${gi}:${raw}`;
      const cls = classes.get(key) ?? { group: gi, raw, members: [] };
      cls.members.push(gated.length);
      classes.set(key, cls);
      gated.push({ entry, group: gi });
    }
    b = {
      groups,
      gated,
      stamp: new Int32Array(gated.length).fill(-1),
      classes: [...classes.values()].map((c) => {
        const literals: string[] = [];
        const index = new Map<string, number>();
        const byLiteral: number[][] = [];
        for (const m of c.members) {
          for (const l of gated[m]!.entry.rule.detection.literals!) {
            let i = index.get(l);
            if (i === undefined) {
              i = literals.length;
              literals.push(l);
              index.set(l, i);
              byLiteral.push([]);
            }
            byLiteral[i]!.push(m);
          }
        }
        const fields = c.raw ? null : [...new Set(c.members.flatMap((m) => gated[m]!.entry.rule.detection.fields))];
        return { group: c.group, fields, matcher: new LiteralMatcher(literals), byLiteral };
      }),
    };
    this.buckets.set(key, b);
    return b;
  }

  private eventNo = 0;

  inspect(ev: LogEvent, sink: HitSink): void {
    const b = this.bucket(ev);
    if (b.groups.length === 0) return;
    const views = b.groups.map((g) => new EventView(ev, g.fields));
    for (let g = 0; g < b.groups.length; g++) for (const e of b.groups[g]!.always) this.run(e, views[g]!, ev, sink);
    if (b.classes.length === 0) return;
    const n = ++this.eventNo;
    const candidates: number[] = [];
    const stamp = b.stamp;
    for (const c of b.classes) {
      const view = views[c.group]!;
      let text: string;
      if (c.fields === null) text = view.baseText() + view.computedText();
      else {
        text = '';
        for (const f of c.fields) {
          const v = view.get(f);
          if (v !== undefined) text += `${v}\n`;
        }
      }
      const byLiteral = c.byLiteral;
      c.matcher.scan(text.toLowerCase(), (lit) => {
        for (const gi of byLiteral[lit]!) {
          if (stamp[gi] === n) continue;
          stamp[gi] = n;
          candidates.push(gi);
        }
      });
    }
    candidates.sort((x, y) => x - y);
    for (const gi of candidates) {
      const { entry, group } = b.gated[gi]!;
      this.run(entry, views[group]!, ev, sink);
    }
  }

  private run(e: Entry, view: EventView, ev: LogEvent, sink: HitSink): void {
    if (this.failed.has(e.rule.id)) return;
    let hit: boolean;
    try {
      hit = e.rule.detection.test(view);
    } catch (err) {
      // A fault in one rule must not cost the file its other rules and records: switch it off.
      this.failed.add(e.rule.id);
      this.failures.push(`Sigma rule ${e.rule.id} (${e.rule.file}) failed at ${ev.prov.file} offset ${ev.prov.offset} and was switched off: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (!hit) return;
    if (e.rule.emits) sink(e.finding, hitFor(e.rule, view, ev), ev);
    if (e.rule.feeds.length > 0) this.keep(e, view, ev);
  }

  private keep(e: Entry, view: EventView, ev: LogEvent): void {
    const n = (this.feedCount.get(e.rule.id) ?? 0) + 1;
    this.feedCount.set(e.rule.id, n);
    if (n > FEED_LIMIT) return;
    const fields: Record<string, string> = {};
    for (const f of e.feedFields) {
      const v = view.get(f);
      if (v !== undefined) fields[f] = v;
    }
    this.feed.push({ rule: e.rule.id, time: ev.time, fields, evidence: evidenceOf(ev) });
  }

  /** Hands over the correlation feed gathered so far (one file's worth, sent between threads). */
  drainFeed(): SigmaState {
    const out: SigmaState = { events: this.feed, counts: Object.fromEntries(this.feedCount), failures: this.failures };
    this.failures = [];
    this.feed = [];
    this.feedCount = new Map();
    return out;
  }
}

/** Values shown per finding for the fields a rule reads. */
const EVIDENCE_FIELDS = 8;

function hitFor(rule: SigmaRule, view: EventView, ev: LogEvent): Hit {
  const facets: Record<string, string> = {};
  const shown: string[] = [];
  for (const f of rule.detection.fields) {
    if (shown.length >= EVIDENCE_FIELDS) break;
    const v = view.get(f);
    if (v === undefined || v === '') continue;
    facets[f] = v;
    shown.push(`${f}=${v.length > 200 ? `${v.slice(0, 200)}…` : v}`);
  }
  const host = ev.win?.computer ?? ev.web?.clientIp ?? '';
  const hit: Hit = {
    key: host,
    title: rule.title,
    severity: rule.severity,
    stage: rule.stage,
    summary: shown.length > 0 ? `${rule.title}: ${shown.join(', ')}` : rule.title,
    facets,
  };
  if (ev.web?.clientIp) hit.clientIp = ev.web.clientIp;
  return hit;
}
