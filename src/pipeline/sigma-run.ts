// The Sigma part of a hunt, around the per-file scan: rules read and compiled once here (their
// documents go to the scanning threads, which compile their own copies), what the threads hand
// back gathered (correlation feed, rule failures), and the correlations run at the end.
import { ERROR_CODES } from '../core/errors.js';
import type { ReportError } from '../core/types.js';
import type { AccumulatorState, FindingAccumulator } from '../detect/accumulate.js';
import { runCorrelations } from '../detect/sigma/correlate.js';
import { FEED_LIMIT, type FeedEvent } from '../detect/sigma/engine.js';
import { loadRuleFiles } from '../detect/sigma/load.js';
import { type SigmaRuleSet, buildRuleSet } from '../detect/sigma/ruleset.js';
import type { SigmaSetup } from '../detect/sigma/setup.js';

/** Matches kept for correlations over all rules; beyond this they are counted and reported. */
const FEED_TOTAL_LIMIT = 10 * FEED_LIMIT;

export class SigmaRun {
  readonly set: SigmaRuleSet;
  readonly setup: SigmaSetup;
  private readonly feed: FeedEvent[] = [];
  private readonly counts = new Map<string, number>();
  private overflow = 0;

  constructor(paths: readonly string[], placeholders: Record<string, string[]>) {
    const loaded = loadRuleFiles(paths);
    this.set = buildRuleSet(loaded.docs, { placeholders });
    this.set.lint.push(...loaded.rejected);
    this.setup = { docs: loaded.docs, placeholders };
  }

  /** Takes what a thread handed back with one file's result; rule failures become errors. */
  collect(state: AccumulatorState, input: number, file: string, report: (e: ReportError) => void): void {
    if (!state.feed) return;
    for (const e of state.feed.events) {
      if (this.feed.length < FEED_TOTAL_LIMIT) this.feed.push(e);
      else this.overflow++;
    }
    for (const [rule, n] of Object.entries(state.feed.counts)) this.counts.set(rule, (this.counts.get(rule) ?? 0) + n);
    for (const message of state.feed.failures) report({ input, file, code: ERROR_CODES.internal, message });
  }

  /** Runs the correlations over everything gathered and adds their findings. */
  finish(acc: FindingAccumulator, report: (e: ReportError) => void): void {
    if (this.set.correlations.length === 0) return;
    const limit = (message: string) => report({ input: 0, file: '', code: ERROR_CODES.limit, message });
    for (const [rule, n] of this.counts) if (n > FEED_LIMIT) limit(`Sigma rule ${rule} matched ${n} events; correlations saw the first ${FEED_LIMIT}`);
    if (this.overflow > 0) limit(`Sigma rules fed more than ${FEED_TOTAL_LIMIT} matches to correlations; ${this.overflow} further ones were counted out`);
    const names = new Map(this.set.rules.filter((r) => r.name !== undefined).map((r) => [r.id, r.name!]));
    for (const m of runCorrelations(this.set.correlations, this.feed, names).matches) {
      for (const ev of m.events) acc.addRecord(m.rule, m.hit, ev.evidence, ev.time);
    }
  }

  stats(): { loaded: number; rejected: number } {
    const loaded = this.set.lint.filter((l) => l.status === 'loaded').length;
    return { loaded, rejected: this.set.lint.length - loaded };
  }
}
