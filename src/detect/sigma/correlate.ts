// Sigma correlation rules (correlation specification v2.1), run once at the end of a hunt over the
// matches of the rules they refer to, gathered from every file and thread. Per group (the group-by
// values, with aliases), a window of `timespan` slides from each event; a window whose count
// (events, distinct values, sum or average of a field, or distinct rules for temporal) meets the
// condition is one match, and the search goes on after it. Chained correlations see the matches of
// the correlations they refer to as events.
import type { Hit } from '../types.js';
import type { FeedEvent } from './engine.js';
import { type SigmaFindingRule, sigmaFindingRule } from './finding.js';
import { toNumber } from './modifiers.js';
import type { CorrelationRule, CountOp } from './ruleset.js';

export interface CorrelationMatch {
  rule: SigmaFindingRule;
  hit: Hit;
  events: FeedEvent[];
}

function holds(cond: Partial<Record<CountOp, number>>, n: number): boolean {
  for (const [op, v] of Object.entries(cond) as [CountOp, number][]) {
    const ok = op === 'gt' ? n > v : op === 'gte' ? n >= v : op === 'lt' ? n < v : op === 'lte' ? n <= v : op === 'eq' ? n === v : n !== v;
    if (!ok) return false;
  }
  return true;
}

function fieldFor(c: CorrelationRule, group: string, ruleId: string, names: ReadonlyMap<string, string>): string {
  const a = c.aliases[group];
  if (!a) return group;
  return a[ruleId] ?? a[names.get(ruleId) ?? ''] ?? group;
}

/** The window's measure, for the correlation types with a numeric condition. */
function measure(c: CorrelationRule, events: readonly FeedEvent[]): number {
  switch (c.type) {
    case 'event_count':
      return events.length;
    case 'value_count':
      return new Set(events.map((e) => e.fields[c.field!]).filter((v) => v !== undefined)).size;
    case 'value_sum':
    case 'value_avg': {
      const nums = events.map((e) => toNumber(e.fields[c.field!] ?? '')).filter((n) => !Number.isNaN(n));
      const sum = nums.reduce((a, b) => a + b, 0);
      return c.type === 'value_sum' ? sum : nums.length > 0 ? sum / nums.length : NaN;
    }
    case 'temporal':
    case 'temporal_ordered':
      return new Set(events.map((e) => e.rule)).size;
  }
}

/** temporal_ordered: the referred rules occur in their order inside the window. */
function inOrder(rules: readonly string[], events: readonly FeedEvent[]): boolean {
  let k = 0;
  for (const e of events) {
    if (e.rule === rules[k]) k++;
    if (k === rules.length) return true;
  }
  return false;
}

function windowMatches(c: CorrelationRule, events: readonly FeedEvent[]): boolean {
  if (c.type === 'temporal' || c.type === 'temporal_ordered') {
    const distinct = measure(c, events);
    const enough = Object.keys(c.condition).length > 0 ? holds(c.condition, distinct) : distinct === new Set(c.rules).size;
    return enough && (c.type === 'temporal' || inOrder(c.rules, events));
  }
  return holds(c.condition, measure(c, events));
}

/** Correlations in an order where each comes after the correlations it refers to; cycles are left out. */
function ordered(correlations: readonly CorrelationRule[]): { order: CorrelationRule[]; cyclic: CorrelationRule[] } {
  const byId = new Map(correlations.map((c) => [c.id, c]));
  const order: CorrelationRule[] = [];
  const state = new Map<string, 'visiting' | 'done' | 'cyclic'>();
  const visit = (c: CorrelationRule): boolean => {
    const s = state.get(c.id);
    if (s === 'done') return true;
    if (s === 'visiting' || s === 'cyclic') {
      state.set(c.id, 'cyclic');
      return false;
    }
    state.set(c.id, 'visiting');
    let ok = true;
    for (const r of c.rules) {
      const dep = byId.get(r);
      if (dep && !visit(dep)) ok = false;
    }
    state.set(c.id, ok ? 'done' : 'cyclic');
    if (ok) order.push(c);
    return ok;
  };
  for (const c of correlations) visit(c);
  return { order, cyclic: correlations.filter((c) => state.get(c.id) === 'cyclic') };
}

/**
 * Runs every correlation over the gathered matches. `names` maps rule ids to their `name` (aliases
 * may use either). Returns the matches of the correlations that report, and the ones skipped because
 * they refer to each other in a cycle.
 */
export function runCorrelations(correlations: readonly CorrelationRule[], feed: readonly FeedEvent[], names: ReadonlyMap<string, string>): { matches: CorrelationMatch[]; cyclic: string[] } {
  const { order, cyclic } = ordered(correlations);
  const byRule = new Map<string, FeedEvent[]>();
  for (const e of feed) {
    const list = byRule.get(e.rule) ?? [];
    list.push(e);
    byRule.set(e.rule, list);
  }
  const matches: CorrelationMatch[] = [];
  for (const c of order) {
    const events = c.rules.flatMap((r) => byRule.get(r) ?? []).sort((a, b) => a.time - b.time || a.rule.localeCompare(b.rule));
    const groups = new Map<string, { values: Record<string, string>; events: FeedEvent[] }>();
    for (const e of events) {
      const values: Record<string, string> = {};
      for (const g of c.groupBy) values[g] = e.fields[fieldFor(c, g, e.rule, names)] ?? '';
      const key = JSON.stringify(c.groupBy.map((g) => values[g]));
      const grp = groups.get(key) ?? { values, events: [] };
      grp.events.push(e);
      groups.set(key, grp);
    }
    const out: FeedEvent[] = [];
    const finding = sigmaFindingRule(c);
    for (const { values, events: list } of groups.values()) {
      let i = 0;
      while (i < list.length) {
        let j = i;
        while (j < list.length && list[j]!.time - list[i]!.time <= c.timespanMs) j++;
        const window = list.slice(i, j);
        if (!windowMatches(c, window)) {
          i++;
          continue;
        }
        const last = window.at(-1)!;
        const records = window.flatMap((e) => e.members ?? [e]);
        out.push({ rule: c.id, time: last.time, fields: values, evidence: last.evidence, members: records });
        if (c.emits) {
          const group = c.groupBy.map((g) => `${g}=${values[g]}`).join(', ');
          matches.push({
            rule: finding,
            hit: { key: group, title: c.title, severity: c.severity, stage: c.stage, summary: `${c.title}: ${records.length} events within ${c.timespanMs / 1000} s${group ? ` (${group})` : ''}`, facets: values },
            events: records,
          });
        }
        i = j;
      }
    }
    byRule.set(c.id, out);
  }
  return { matches, cyclic: cyclic.map((c) => c.id) };
}
