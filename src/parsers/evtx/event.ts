// An EVTX record as a LogEvent. The Windows view (`win`) starts from the System facts the parser
// reads without rendering (event id, provider, channel…), because every Windows detector tests
// those first and most records stop there; the event's data, the evtx_dump-shaped object (`doc`),
// the flat `fields` and the one-line `raw` text are built on first use. That first use must come
// during the record callback (detectors run there); afterwards only what was built remains.
import type { LogEvent, Provenance, WinEvent } from '../../core/types.js';
import type { EvtxRecord } from './reader.js';
import type { JsonObject, JsonValue } from './render-json.js';
import { leafText } from './system-facts.js';

type Obj = { [k: string]: JsonValue };

// Event data shown first in an event's one-line text (excerpts are cut at a bounded length).
const LEADING_FIELDS = ['Image', 'NewProcessName', 'CommandLine', 'ParentImage', 'ParentProcessName', 'ParentCommandLine', 'TargetFilename', 'ScriptBlockText', 'Threat Name', 'Path', 'User', 'SubjectUserName'];
const LEADING = new Set(LEADING_FIELDS);

function isObj(v: JsonValue | undefined): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
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
    private readonly owner: EvtxEvent,
    readonly eventId: number,
    readonly provider: string,
    readonly channel: string,
    readonly computer: string,
    readonly recordId: number,
    readonly level: number,
  ) {}

  private section(name: 'EventData' | 'UserData'): JsonValue | undefined {
    const e = this.owner.doc['Event'];
    return isObj(e) ? e[name] : undefined;
  }

  get data(): Record<string, string> {
    if (!this.dataCache) {
      const out: Record<string, string> = {};
      const eventData = this.section('EventData');
      if (isObj(eventData)) {
        for (const [k, v] of Object.entries(eventData)) {
          if (k === '#attributes') continue;
          out[k] = leafText(v);
        }
      }
      const userData = this.section('UserData');
      if (isObj(userData)) {
        for (const child of Object.values(userData)) collectLeaves(child, out);
      }
      this.dataCache = out;
    }
    return this.dataCache;
  }

  get list(): string[] {
    if (!this.listCache) {
      const eventData = this.section('EventData');
      const d = isObj(eventData) ? eventData['Data'] : undefined;
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
  readonly recovered: boolean;
  private docCache?: JsonObject;
  private fieldsCache?: Record<string, string>;
  private rawCache?: string;

  constructor(
    private readonly record: EvtxRecord,
    readonly prov: Provenance,
  ) {
    const s = record.system;
    this.time = Number.isNaN(s.timeMs) ? record.writtenMs : s.timeMs;
    this.recovered = record.recovered;
    this.win = new WinView(this, s.eventId, s.provider, s.channel, s.computer, s.recordId, s.level);
  }

  /** evtx_dump's JSON object of the record. */
  get doc(): JsonObject {
    this.docCache ??= this.record.event;
    return this.docCache;
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
