// Recognises Microsoft's interim URL Rewrite mitigations (EOMT, EOMTv2) in a collected IIS
// applicationHost.config or web.config: present, and effective the way HealthChecker judges it
// (Invoke-AnalyzerSecurityCve-2022-41040.NotPublished.ps1: pattern, input, AbortRequest or
// CustomResponse, match url ".*", not Wildcard, enabled). A commented-out rule does not count.
import { type Attrs, scanTags } from '../core/xml-tags.js';
import { type ConfigMitigation, MITIGATIONS, type Mitigation, type RewriteRule } from './mitigations.js';

interface RuleDraft {
  attrs: Attrs;
  match?: Attrs;
  action?: Attrs;
  logicalGrouping?: string;
  conditions: Attrs[];
}

interface RulesCollection {
  location?: string;
  /** Keyed by lower-cased name: IIS looks rules up case-insensitively, and `<remove>` works by name. */
  rules: Map<string, RuleDraft>;
}

interface Frame {
  name: string;
  location?: string;
  collection?: RulesCollection;
  rule?: RuleDraft;
  ruleOf?: RulesCollection;
  conditionsOf?: RuleDraft;
}

// Deeper nesting and longer runs of unclosed elements than IIS configuration ever has are
// hostile: they are ignored, which keeps each tag's cost bounded.
const MAX_DEPTH = 256;
const CLOSE_LOOKBACK = 16;

function rewriteRuleCollections(text: string): RulesCollection[] {
  const collections: RulesCollection[] = [];
  const stack: Frame[] = [];
  let ignoredDepth = 0;
  const finish = (f: Frame): void => {
    if (f.rule && f.ruleOf) {
      const key = (f.rule.attrs.get('name') ?? '').toLowerCase();
      if (!f.ruleOf.rules.has(key)) f.ruleOf.rules.set(key, f.rule);
    }
    if (f.collection) collections.push(f.collection);
  };
  scanTags(
    text,
    (name, attrs, selfClosing) => {
      if (ignoredDepth > 0 || stack.length >= MAX_DEPTH) {
        if (!selfClosing) ignoredDepth++;
        return;
      }
      const top = stack[stack.length - 1];
      const frame: Frame = { name, location: name === 'location' ? (attrs.get('path') ?? '') : top?.location };
      if (top?.collection) {
        if (name === 'rule') {
          frame.rule = { attrs, conditions: [] };
          frame.ruleOf = top.collection;
        } else if (name === 'clear') top.collection.rules.clear();
        else if (name === 'remove') top.collection.rules.delete((attrs.get('name') ?? '').toLowerCase());
      } else if (top?.rule) {
        if (name === 'match') top.rule.match = attrs;
        else if (name === 'action') top.rule.action = attrs;
        else if (name === 'conditions') {
          frame.conditionsOf = top.rule;
          top.rule.logicalGrouping = attrs.get('logicalGrouping');
        }
      } else if (top?.conditionsOf) {
        if (name === 'add') top.conditionsOf.conditions.push(attrs);
      } else if ((name === 'rules' || name === 'globalRules') && top?.name === 'rewrite') {
        frame.collection = { location: frame.location, rules: new Map() };
      }
      if (selfClosing) finish(frame);
      else stack.push(frame);
    },
    (name) => {
      if (ignoredDepth > 0) {
        ignoredDepth--;
        return;
      }
      for (let k = stack.length - 1; k >= 0 && k >= stack.length - CLOSE_LOOKBACK; k--) {
        if (stack[k]!.name !== name) continue;
        while (stack.length > k) finish(stack.pop()!);
        return;
      }
    },
  );
  // A truncated file: rules whose element never ended are dropped, the collections they were in kept.
  for (const f of stack) if (f.collection) collections.push(f.collection);
  return collections;
}

const lower = (s: string | undefined): string | undefined => s?.trim().toLowerCase();

// Attribute text is attacker-controlled and unbounded; messages show at most this much of it.
const shown = (s: string): string => (s.length > 200 ? `${s.slice(0, 200)}…` : s);

/**
 * Why a rule that looks like `spec` does not block what it should, or undefined if it is not such a
 * rule. stopProcessing is not judged: AbortRequest and CustomResponse end the request themselves.
 */
function ruleProblems(spec: RewriteRule, r: RuleDraft): string[] | undefined {
  const known = (p: string | undefined): boolean => p !== undefined && (p === spec.conditionPattern || spec.weakPatterns.includes(p));
  const cond = r.conditions.find((c) => known(c.get('pattern')));
  const url = r.match?.get('url');
  if (!cond && !known(url)) return undefined;
  const it = `rule '${shown(r.attrs.get('name') ?? '')}'`;
  const problems: string[] = [];
  if (lower(r.attrs.get('enabled')) === 'false') problems.push(`${it} is disabled`);
  const syntax = r.attrs.get('patternSyntax');
  if (syntax !== undefined && lower(syntax) !== 'ecmascript') problems.push(`${it} uses patternSyntax "${shown(syntax)}", so its patterns are not regular expressions`);
  if (!cond) {
    problems.push(`${it} has the pattern in <match url>, which sees only the URL path; it must be a condition on ${spec.conditionInput}`);
  } else {
    const pattern = cond.get('pattern')!;
    if (pattern !== spec.conditionPattern) problems.push(`${it} uses the earlier pattern "${pattern}", which Microsoft replaced because it could be bypassed; use "${spec.conditionPattern}"`);
    const input = cond.get('input') ?? '';
    if (lower(input) !== lower(spec.conditionInput)) problems.push(`${it} tests "${shown(input)}" instead of ${spec.conditionInput}`);
    if (lower(cond.get('negate')) === 'true') problems.push(`${it} negates its condition`);
    const matchType = cond.get('matchType');
    if (matchType !== undefined && lower(matchType) !== 'pattern') problems.push(`${it} has a condition of matchType "${shown(matchType)}" instead of Pattern`);
    if (lower(cond.get('ignoreCase')) === 'false') problems.push(`${it} compares case-sensitively (ignoreCase="false")`);
    const others = r.conditions.length - 1;
    if (others > 0 && lower(r.logicalGrouping) !== 'matchany') problems.push(`${it} has ${others} more condition(s) that must also match, which narrows it`);
    if (url === undefined) problems.push(`${it} has no <match url>`);
    else if (url !== spec.matchUrl) problems.push(`${it} matches url "${shown(url)}" instead of "${spec.matchUrl}"`);
    if (lower(r.match?.get('negate')) === 'true') problems.push(`${it} negates its match url`);
  }
  const action = r.action?.get('type');
  if (action === undefined) problems.push(`${it} has no action`);
  else if (![spec.action, ...spec.alsoBlocking].some((a) => a.toLowerCase() === lower(action))) problems.push(`${it} has action "${shown(action)}" instead of ${spec.action}`);
  return problems;
}

function judge(m: Mitigation, rules: readonly RuleDraft[]): Omit<ConfigMitigation, 'location'> | undefined {
  const rulesFound: string[] = [];
  const problems: string[] = [];
  for (const spec of m.rules) {
    // Several rules may look like this one (a disabled copy, an old pattern): the best one decides.
    let best: { name: string; problems: string[] } | undefined;
    for (const r of rules) {
      const p = ruleProblems(spec, r);
      if (p && (!best || p.length < best.problems.length)) best = { name: shown(r.attrs.get('name') ?? ''), problems: p };
    }
    if (!best) {
      problems.push(`rule '${spec.name}' (${spec.conditionInput} matching ${spec.conditionPattern}) is missing`);
      continue;
    }
    rulesFound.push(best.name);
    problems.push(...best.problems);
  }
  if (rulesFound.length === 0) return undefined;
  return { id: m.id, complete: problems.length === 0, rulesFound, problems };
}

/**
 * The interim mitigations present in the text of an applicationHost.config or web.config, each
 * with whether it is complete and, if not, why. Never throws; unparseable text finds nothing.
 */
export function findMitigationsInConfig(text: string): ConfigMitigation[] {
  const found: ConfigMitigation[] = [];
  for (const c of rewriteRuleCollections(text)) {
    const rules = [...c.rules.values()];
    for (const m of MITIGATIONS) {
      const judged = judge(m, rules);
      if (judged) found.push(c.location === undefined ? judged : { ...judged, location: c.location });
    }
  }
  return found;
}
