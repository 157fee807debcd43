// Runs the detectors that apply to an event's source and feeds their hits to an accumulator.
// It also tells the scanner, per source kind, which needles make a line worth parsing.
import type { LogEvent, SourceKind } from '../core/types.js';
import { type AccumulatorState, FindingAccumulator } from './accumulate.js';
import type { DetectContext, Detector } from './types.js';

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

export class DetectionEngine {
  private acc = new FindingAccumulator();
  private readonly bySource = new Map<SourceKind, Detector[]>();

  constructor(
    readonly detectors: readonly Detector[],
    private readonly ctx: DetectContext = {},
    private readonly window: TimeWindow = {},
  ) {
    for (const d of detectors) {
      for (const s of d.appliesTo) {
        const list = this.bySource.get(s) ?? [];
        list.push(d);
        this.bySource.set(s, list);
      }
    }
  }

  needlesFor(source: SourceKind): Needles {
    const dets = this.bySource.get(source) ?? [];
    const allLines = dets.some((d) => d.needles === null);
    const literals = allLines ? [] : [...new Set(dets.flatMap((d) => d.needles ?? []).map((n) => n.toLowerCase()))].sort();
    return { literals, allLines };
  }

  /** True when the event's time is inside --since/--until (events without a time are kept). */
  inWindow(ev: LogEvent): boolean {
    if (Number.isNaN(ev.time)) return true;
    if (this.window.since !== undefined && ev.time < this.window.since) return false;
    if (this.window.until !== undefined && ev.time > this.window.until) return false;
    return true;
  }

  /** Hands over what was found so far and starts afresh (one file's worth, sent between threads). */
  drain(): AccumulatorState {
    const state = this.acc.state();
    this.acc = new FindingAccumulator();
    return state;
  }

  inspect(ev: LogEvent): void {
    if (!this.inWindow(ev)) return;
    const dets = this.bySource.get(ev.source);
    if (!dets) return;
    for (const d of dets) {
      const hit = d.inspect(ev, this.ctx);
      if (hit) this.acc.add(d, hit, ev);
    }
  }
}
