// The event type parsers build. Its `fields` record is materialised on first use: most candidate
// lines are dismissed by detectors that only read the HTTP view, and building a 74-key object for
// every HttpProxy row cost more than splitting it.
import type { LogEvent, Provenance, SourceKind, WebRequest } from '../core/types.js';

/** Per header row (shared by every line of a file): field name → column. */
const columns = new WeakMap<readonly string[], Map<string, number>>();

function columnIndex(names: readonly string[]): Map<string, number> {
  let m = columns.get(names);
  if (!m) {
    m = new Map();
    names.forEach((n, i) => {
      if (!m!.has(n)) m!.set(n, i);
    });
    columns.set(names, m);
  }
  return m;
}

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

  /** One field without building the whole record (rules read a few of an HttpProxy row's 74). */
  field(name: string): string | undefined {
    if (this.materialised) return Object.hasOwn(this.materialised, name) ? this.materialised[name] : undefined;
    if (this.extra && Object.hasOwn(this.extra, name)) return this.extra[name];
    const i = columnIndex(this.names).get(name);
    if (i === undefined || i >= this.values.length) return undefined;
    const v = this.values[i]!;
    return v === this.emptyMark ? '' : v;
  }

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
