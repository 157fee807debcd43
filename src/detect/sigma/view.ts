// What a compiled Sigma rule sees of an event: field values under Sigma's names (after the field
// mapping of the event's log source), each lower-cased at most once per event however many rules
// read it, and every value at once for keyword searches.

export interface SigmaView {
  /** The value of a field under its Sigma name; undefined when the event has no such field. */
  get(name: string): string | undefined;
  /** The same value lower-cased (cached per event). */
  lower(name: string): string | undefined;
  /** Keyword search: true when `test` accepts one of the event's values (lower-cased unless `cased`). */
  anyValue(test: (v: string) => boolean, cased: boolean): boolean;
}

export type Predicate = (view: SigmaView) => boolean;

/** A view over a flat record of field values (the evtx_dump JSON of a test case, a unit test). */
export class RecordView implements SigmaView {
  private readonly lowered = new Map<string, string>();

  constructor(private readonly record: Readonly<Record<string, string>>) {}

  get(name: string): string | undefined {
    return Object.hasOwn(this.record, name) ? this.record[name] : undefined;
  }

  lower(name: string): string | undefined {
    let v = this.lowered.get(name);
    if (v === undefined) {
      const raw = this.get(name);
      if (raw === undefined) return undefined;
      v = raw.toLowerCase();
      this.lowered.set(name, v);
    }
    return v;
  }

  anyValue(test: (v: string) => boolean, cased: boolean): boolean {
    for (const v of Object.values(this.record)) if (test(cased ? v : v.toLowerCase())) return true;
    return false;
  }
}
