// A LogEvent seen through one log source's field mapping: Sigma names resolved to the log's own
// fields (renamed, joined, `+` read as a space), then the name as written, then — the rules
// specification's convention for Windows events — without spaces and case-insensitively.
import type { LogEvent } from '../../core/types.js';
import type { FieldSpec } from './mapping.js';
import type { SigmaView } from './view.js';

function own(fields: Record<string, string>, name: string): string | undefined {
  return Object.hasOwn(fields, name) ? fields[name] : undefined;
}

function squash(name: string): string {
  return name.replace(/\s+/g, '').toLowerCase();
}

export class EventView implements SigmaView {
  private lowered?: Map<string, string | undefined>;
  private loose?: Map<string, string>;

  /** Windows field names are also matched without spaces and case (rules specification §Field Usage). */
  private readonly looseNames: boolean;

  constructor(
    private readonly ev: LogEvent,
    private readonly mapping: ReadonlyMap<string, FieldSpec>,
  ) {
    this.looseNames = ev.source === 'evtx';
  }

  /** A field of the log under its own name. */
  private raw(name: string): string | undefined {
    const ev = this.ev;
    return ev.field ? ev.field(name) : own(ev.fields, name);
  }

  get(name: string): string | undefined {
    const spec = this.mapping.get(name);
    if (spec) {
      if (spec.kind === 'join') {
        const values = spec.from.map((f) => this.raw(f));
        if (values.every((v) => v === undefined)) return undefined;
        return values.filter((v) => v !== undefined && v !== '').join(spec.separator);
      }
      const v = this.raw(spec.from);
      return v !== undefined && spec.plusIsSpace ? v.replace(/\+/g, ' ') : v;
    }
    const v = this.raw(name);
    if (v !== undefined || !this.looseNames) return v;
    if (!this.loose) {
      this.loose = new Map();
      for (const [k, val] of Object.entries(this.ev.fields)) {
        const key = squash(k);
        if (!this.loose.has(key)) this.loose.set(key, val);
      }
    }
    return this.loose.get(squash(name));
  }

  lower(name: string): string | undefined {
    const cache = (this.lowered ??= new Map());
    if (cache.has(name)) return cache.get(name);
    const v = this.get(name)?.toLowerCase();
    cache.set(name, v);
    return v;
  }

  /** Keywords: in a text log the whole line; in an event log every value. */
  anyValue(test: (v: string) => boolean, cased: boolean): boolean {
    if (this.ev.source !== 'evtx') return test(cased ? this.ev.raw : this.ev.raw.toLowerCase());
    for (const v of Object.values(this.ev.fields)) if (test(cased ? v : v.toLowerCase())) return true;
    return false;
  }

  /** Everything a rule could read from the log's own fields, for the literal prefilter (not lower-cased). */
  baseText(): string {
    const ev = this.ev;
    if (ev.source === 'evtx') return Object.values(ev.fields).join('\n');
    // Text-log fields are pieces of the line; CSV logs double the quotes inside quoted values.
    return ev.raw.includes('""') ? ev.raw.replace(/""/g, '"') : ev.raw;
  }

  /** The values this mapping computes (joined fields, '+' read as space), for the prefilter. */
  computedText(): string {
    let s = '';
    for (const [name, spec] of this.mapping) if (spec.kind === 'join' || spec.plusIsSpace) s += `\n${this.get(name) ?? ''}`;
    return s;
  }
}
