// An EVTX record as a LogEvent. The evtx_dump-shaped object (`doc`) is what the parser built; the
// Windows view (`win`: event id, provider, channel… and the EventData by name) is read from it
// cheaply up front because every Windows detector starts with those; the flat `fields` record and
// the one-line `raw` text are built only when something asks (excerpts of findings, Sigma rules).
import type { LogEvent, Provenance, WinEvent } from '../../core/types.js';
import type { JsonObject, JsonValue } from './render-json.js';

type Obj = { [k: string]: JsonValue };

// Event data shown first in an event's one-line text (excerpts are cut at a bounded length).
const LEADING_FIELDS = ['Image', 'NewProcessName', 'CommandLine', 'ParentImage', 'ParentProcessName', 'ParentCommandLine', 'TargetFilename', 'ScriptBlockText', 'Threat Name', 'Path', 'User', 'SubjectUserName'];
const LEADING = new Set(LEADING_FIELDS);

function isObj(v: JsonValue | undefined): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A leaf as text: scalars as written in JSON (strings as is), arrays joined with spaces. */
export function leafText(v: JsonValue | undefined): string {
  if (v === null || v === undefined) return '';
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'bigint':
      return String(v);
    case 'boolean':
      return v ? 'true' : 'false';
  }
  if (Array.isArray(v)) return v.map(leafText).join(' ');
  return leafText(v['#text']);
}

function attr(v: JsonValue | undefined, name: string): string {
  if (!isObj(v)) return '';
  const a = v['#attributes'];
  return isObj(a) ? leafText(a[name]) : '';
}

function num(v: JsonValue | undefined): number {
  const t = leafText(v);
  const n = t === '' ? NaN : Number(t);
  return Number.isFinite(n) ? n : 0;
}

/** True when the object is an element with child elements (not just attributes and text). */
function hasChildElements(v: Obj): boolean {
  for (const k in v) if (k !== '#attributes' && k !== '#text') return true;
  return false;
}

/** Leaves of an element by their own names (first wins), for UserData's free-form children. */
function collectLeaves(v: JsonValue | undefined, out: Record<string, string>, depth = 0): void {
  if (!isObj(v) || depth > 8) return;
  for (const [k, x] of Object.entries(v)) {
    if (k === '#attributes' || k === '#text') continue;
    if (isObj(x) && hasChildElements(x)) collectLeaves(x, out, depth + 1);
    else if (!(k in out)) out[k] = leafText(x);
  }
}

class WinView implements WinEvent {
  private dataCache?: Record<string, string>;
  private listCache?: string[];

  constructor(
    readonly eventId: number,
    readonly provider: string,
    readonly channel: string,
    readonly computer: string,
    readonly recordId: number,
    readonly level: number,
    private readonly eventData: JsonValue | undefined,
    private readonly userData: JsonValue | undefined,
  ) {}

  get data(): Record<string, string> {
    if (!this.dataCache) {
      const out: Record<string, string> = {};
      if (isObj(this.eventData)) {
        for (const [k, v] of Object.entries(this.eventData)) {
          if (k === '#attributes') continue;
          out[k] = leafText(v);
        }
      }
      if (isObj(this.userData)) {
        for (const child of Object.values(this.userData)) collectLeaves(child, out);
      }
      this.dataCache = out;
    }
    return this.dataCache;
  }

  get list(): string[] {
    if (!this.listCache) {
      const d = isObj(this.eventData) ? this.eventData['Data'] : undefined;
      const t = isObj(d) ? d['#text'] : undefined;
      this.listCache = t === undefined ? [] : Array.isArray(t) ? t.map(leafText) : [leafText(t)];
    }
    return this.listCache;
  }
}

/** System fields under the names Sigma's Windows rules use (EventID, Provider_Name, Channel…). */
function systemFields(system: JsonValue | undefined, out: Record<string, string>): void {
  if (!isObj(system)) return;
  for (const [k, v] of Object.entries(system)) {
    if (isObj(v)) {
      const a = v['#attributes'];
      if (isObj(a)) for (const [an, av] of Object.entries(a)) out[`${k}_${an}`] = leafText(av);
      if ('#text' in v) out[k] = leafText(v['#text']);
    } else {
      out[k] = leafText(v);
    }
  }
}

export class EvtxEvent implements LogEvent {
  readonly source = 'evtx' as const;
  readonly win: WinView;
  readonly time: number;
  private fieldsCache?: Record<string, string>;
  private rawCache?: string;

  constructor(
    readonly doc: JsonObject,
    readonly prov: Provenance,
    /** Record header time (ms), used when the event has no readable TimeCreated. */
    writtenMs: number,
    readonly recovered: boolean,
  ) {
    const event = doc['Event'];
    const e: Obj = isObj(event) ? event : {};
    const system = isObj(e['System']) ? e['System'] : {};
    const created = Date.parse(attr(system['TimeCreated'], 'SystemTime'));
    this.time = Number.isNaN(created) ? writtenMs : created;
    this.win = new WinView(
      num(system['EventID']),
      attr(system['Provider'], 'Name'),
      leafText(system['Channel']),
      leafText(system['Computer']),
      num(system['EventRecordID']),
      num(system['Level']),
      e['EventData'],
      e['UserData'],
    );
  }

  get fields(): Record<string, string> {
    if (!this.fieldsCache) {
      const out: Record<string, string> = {};
      const e = this.doc['Event'];
      if (isObj(e)) {
        systemFields(e['System'], out);
        for (const [k, v] of Object.entries(this.win.data)) if (!(k in out)) out[k] = v;
        const r = e['RenderingInfo'];
        if (isObj(r)) for (const [k, v] of Object.entries(r)) if (k !== '#attributes') out[`RenderingInfo_${k}`] = leafText(v);
      }
      this.fieldsCache = out;
    }
    return this.fieldsCache;
  }

  /**
   * One line: channel, event id and provider, then the event's data as `Name=value` pairs, the
   * fields that tell what happened (image, command line, parent, file) first and empty ones left out.
   */
  get raw(): string {
    if (this.rawCache === undefined) {
      const w = this.win;
      let s = `${w.channel} ${w.eventId} ${w.provider}`;
      const list = w.list;
      if (list.length > 0) {
        s += ` | ${list.join(' | ')}`;
      } else {
        const data = w.data;
        for (const k of LEADING_FIELDS) if (data[k]) s += ` | ${k}=${data[k]}`;
        for (const [k, v] of Object.entries(data)) if (v !== '' && !LEADING.has(k)) s += ` | ${k}=${v}`;
      }
      this.rawCache = s;
    }
    return this.rawCache;
  }
}
