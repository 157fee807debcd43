// The event type parsers build. Its `fields` record is materialised on first use: most candidate
// lines are dismissed by detectors that only read the HTTP view, and building a 74-key object for
// every HttpProxy row cost more than splitting it.
import type { LogEvent, Provenance, SourceKind, WebRequest } from '../core/types.js';

export class ParsedEvent implements LogEvent {
  private materialised?: Record<string, string>;
  web?: WebRequest;

  constructor(
    readonly source: SourceKind,
    readonly time: number,
    private readonly names: readonly string[],
    private readonly values: readonly string[],
    readonly prov: Provenance,
    readonly raw: string,
    /** Fields the parser derived (e.g. cafeReqId), added after the logged ones. */
    private readonly extra?: Record<string, string>,
    /** The value that stands for "empty" in this format (`-` in W3C). */
    private readonly emptyMark?: string,
  ) {}

  get fields(): Record<string, string> {
    if (!this.materialised) {
      const rec: Record<string, string> = {};
      const n = Math.min(this.names.length, this.values.length);
      for (let i = 0; i < n; i++) {
        const v = this.values[i]!;
        rec[this.names[i]!] = v === this.emptyMark ? '' : v;
      }
      if (this.extra) Object.assign(rec, this.extra);
      this.materialised = rec;
    }
    return this.materialised;
  }
}
