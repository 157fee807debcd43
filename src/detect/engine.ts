// Runs the detectors that apply to an event's source and feeds their hits to an accumulator.
// It also tells the scanner, per source kind, which needles make a line worth parsing.
import type { LogEvent, SourceKind } from '../core/types.js';
import { type AccumulatorState, FindingAccumulator } from './accumulate.js';
import type { PivotCollector } from './pivot.js';
import type { SigmaEngine } from './sigma/engine.js';
import type { DetectContext, Detector, FindingRule, Hit } from './types.js';

export interface TimeWindow {
  since?: number;
  until?: number;
}

export interface Needles {
  /** Literals to prefilter with; empty when every line is wanted or no detector reads the source. */
  literals: string[];
  /** Some detector reads every line of this source. */
  allLines: boolean;
}

/** Per source: its detectors, the distinct needles, and which needles each detector wants. */
interface Route {
  detectors: Detector[];
  /** Every needle of the source, for the line prefilter. */
  needles: string[];
  /** The needles some detector's `wants` refers to: looked up in each record. */
  checked: string[];
  /** For each detector, the indexes into `checked` it listens to; null: every record; 'candidates': every record that passed the prefilter. */
  wants: (number[] | null | 'candidates')[];
}

export class DetectionEngine {
  private acc = new FindingAccumulator();
  private readonly bySource = new Map<SourceKind, Route>();

  constructor(
    readonly detectors: readonly Detector[],
    private readonly ctx: DetectContext = {},
    private readonly window: TimeWindow = {},
    private readonly sigma?: SigmaEngine,
    /** The pivot pass: gathers the attacker's other records instead of (or beside) detecting. */
    private readonly pivot?: PivotCollector,
  ) {
    for (const d of detectors) {
      for (const s of d.appliesTo) {
        const route = this.bySource.get(s) ?? { detectors: [], needles: [], checked: [], wants: [] };
        route.detectors.push(d);
        this.bySource.set(s, route);
      }
    }
    for (const route of this.bySource.values()) {
      route.needles = [...new Set(route.detectors.flatMap((d) => d.needles ?? []).map((n) => n.toLowerCase()))].sort();
      route.checked = [...new Set(route.detectors.filter((d) => !d.inspectsEveryCandidate).flatMap((d) => d.needles ?? []).map((n) => n.toLowerCase()))].sort();
      const index = new Map(route.checked.map((n, i) => [n, i]));
      route.wants = route.detectors.map((d) => (d.needles === null ? null : d.inspectsEveryCandidate ? 'candidates' : d.needles.map((n) => index.get(n.toLowerCase())!)));
    }
  }

  needlesFor(source: SourceKind): Needles {
    const route = this.bySource.get(source);
    const own: Needles = route ? { literals: route.wants.includes(null) ? [] : [...route.needles], allLines: route.wants.includes(null) } : { literals: [], allLines: false };
    const more: Needles[] = [];
    const sigma = this.sigma?.needlesFor(source);
    if (sigma) more.push(sigma);
    if (this.pivot?.reads(source)) more.push({ literals: this.pivot.needlesFor(source), allLines: false });
    if (more.length === 0) return own;
    const allLines = own.allLines || more.some((n) => n.allLines);
    return { literals: allLines ? [] : [...new Set([...own.literals, ...more.flatMap((n) => n.literals)])].sort(), allLines };
  }

  /** True when the event's time is inside --since/--until (events without a time are kept). */
  inWindow(ev: LogEvent): boolean {
    if (Number.isNaN(ev.time)) return true;
    if (this.window.since !== undefined && ev.time < this.window.since) return false;
    if (this.window.until !== undefined && ev.time > this.window.until) return false;
    return true;
  }

  private readonly sink = (rule: FindingRule, hit: Hit, ev: LogEvent) => this.acc.add(rule, hit, ev);

  /** Hands over what was found so far and starts afresh (one file's worth, sent between threads). */
  drain(): AccumulatorState {
    const state = this.acc.state();
    this.acc = new FindingAccumulator();
    if (this.sigma) state.feed = this.sigma.drainFeed();
    if (this.pivot) state.context = this.pivot.drain();
    return state;
  }

  /**
   * Runs each detector of the event's source whose needles occur in the record (or that reads
   * every record). The scanner only guarantees that *some* detector's needle occurs.
   */
  inspect(ev: LogEvent): void {
    if (!this.inWindow(ev)) return;
    this.sigma?.inspect(ev, this.sink);
    this.pivot?.inspect(ev);
    const route = this.bySource.get(ev.source);
    if (!route) return;
    // Each distinct needle is looked up once per record, however many detectors share it.
    const lower = route.checked.length > 0 ? ev.raw.toLowerCase() : '';
    const present = route.checked.map((n) => lower.includes(n));
    for (let i = 0; i < route.detectors.length; i++) {
      const wants = route.wants[i]!;
      if (wants !== null && wants !== 'candidates' && !wants.some((k) => present[k])) continue;
      const d = route.detectors[i]!;
      const hit = d.inspect(ev, this.ctx);
      if (hit) this.acc.add(d, hit, ev);
    }
  }
}
