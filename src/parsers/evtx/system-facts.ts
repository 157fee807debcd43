// The handful of System values every Windows detector starts with (event id, provider, channel,
// computer, record id, level, time), read straight from a record's template instance without
// rendering the event: for each template definition, where those values sit (a substitution index
// or a literal) is worked out once and cached on the definition. Records whose System section is
// built another way (nested templates, binary-XML values, arrays) are rendered instead.
import type { WinEvent } from '../../core/types.js';
import type { ContentNode, ElementNode, Node, TemplateDef } from './binxml.js';
import type { JsonObject, JsonValue } from './render-json.js';
import { type Scalar, VT, type Value, valueTimeMs } from './values.js';

/** The System values of the Windows view (core/types.ts WinEvent), and the event's time. */
export type SystemFacts = Pick<WinEvent, 'eventId' | 'provider' | 'channel' | 'computer' | 'recordId' | 'level'> & {
  /** TimeCreated/@SystemTime in milliseconds since the epoch, NaN when absent. */
  timeMs: number;
};

/** Where a value comes from: a substitution, a literal, nothing, or somewhere this plan cannot follow. */
type Ref = { sub: number } | { lit: Scalar } | 'absent' | 'complex';

export interface SystemPlan {
  root: string;
  eventId: Ref;
  provider: Ref;
  channel: Ref;
  computer: Ref;
  recordId: Ref;
  level: Ref;
  timeCreated: Ref;
}

function contentRef(parts: readonly (ContentNode | Node)[]): Ref {
  if (parts.length === 0) return 'absent';
  if (parts.length > 1) return 'complex';
  const p = parts[0]!;
  if (p.t === 'sub') return { sub: p.index };
  if (p.t === 'val') return { lit: p.value.v as Scalar };
  return 'complex';
}

function child(el: ElementNode, name: string): ElementNode | undefined {
  for (const c of el.children) if (c.t === 'el' && c.name === name) return c;
  return undefined;
}

function attrRef(el: ElementNode | undefined, name: string): Ref {
  if (!el) return 'absent';
  const a = el.attrs.find((x) => x.name === name);
  return a ? contentRef(a.parts) : 'absent';
}

function elementRef(el: ElementNode | undefined): Ref {
  if (!el) return 'absent';
  if (el.children.some((c) => c.t === 'el')) return 'complex';
  return contentRef(el.children);
}

/** The plan of a template definition, or null when its System section is not plain. */
export function systemPlan(def: TemplateDef): SystemPlan | null {
  const roots = def.nodes.filter((n): n is ElementNode => n.t === 'el');
  if (roots.length !== 1 || def.nodes.some((n) => n.t === 'tmpl' || n.t === 'sub')) return null;
  const root = roots[0]!;
  const system = child(root, 'System');
  if (!system) return null;
  return {
    root: root.name,
    eventId: elementRef(child(system, 'EventID')),
    provider: attrRef(child(system, 'Provider'), 'Name'),
    channel: elementRef(child(system, 'Channel')),
    computer: elementRef(child(system, 'Computer')),
    recordId: elementRef(child(system, 'EventRecordID')),
    level: elementRef(child(system, 'Level')),
    timeCreated: attrRef(child(system, 'TimeCreated'), 'SystemTime'),
  };
}

const COMPLEX = Symbol('complex');

function resolve(ref: Ref, values: readonly Value[]): Scalar | typeof COMPLEX {
  if (ref === 'absent') return null;
  if (ref === 'complex') return COMPLEX;
  if ('lit' in ref) return ref.lit;
  const v = values[ref.sub];
  if (!v || v.type === VT.Null) return null;
  if (v.type === VT.BinXml || (v.type & VT.Array) !== 0) return COMPLEX;
  return v.v as Scalar;
}

function text(v: Scalar): string {
  return v === null ? '' : typeof v === 'string' ? v : String(v);
}

function num(v: Scalar): number {
  if (typeof v === 'number') return v;
  const n = v === null || v === '' ? NaN : Number(v);
  return Number.isFinite(n) ? n : 0;
}

/**
 * The System facts of a record whose fragment is one template instance with a plain plan, or
 * undefined when the record must be rendered to know them.
 */
export function planFacts(nodes: readonly Node[]): { facts: SystemFacts; root: string } | undefined {
  if (nodes.length !== 1) return undefined;
  const n = nodes[0]!;
  if (n.t !== 'tmpl') return undefined;
  const def = n.def;
  if (def.systemPlan === undefined) def.systemPlan = systemPlan(def);
  const plan = def.systemPlan;
  if (!plan) return undefined;
  const values = n.values;
  const eventId = resolve(plan.eventId, values);
  const provider = resolve(plan.provider, values);
  const channel = resolve(plan.channel, values);
  const computer = resolve(plan.computer, values);
  const recordId = resolve(plan.recordId, values);
  const level = resolve(plan.level, values);
  if (eventId === COMPLEX || provider === COMPLEX || channel === COMPLEX || computer === COMPLEX || recordId === COMPLEX || level === COMPLEX) return undefined;
  let timeMs = NaN;
  const t = plan.timeCreated;
  if (t === 'complex') return undefined;
  if (t !== 'absent') {
    if ('lit' in t) timeMs = typeof t.lit === 'string' ? Date.parse(t.lit) : NaN;
    else {
      const v = values[t.sub];
      if (v && (v.type === VT.BinXml || (v.type & VT.Array) !== 0)) return undefined;
      if (v && v.type !== VT.Null) timeMs = valueTimeMs(v);
    }
  }
  return {
    root: plan.root,
    facts: { eventId: num(eventId), provider: text(provider), channel: text(channel), computer: text(computer), recordId: num(recordId), level: num(level), timeMs },
  };
}

// ---- the same facts from a rendered record ----------------------------------------------------

function isObj(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A JSON leaf as text: scalars as written, arrays joined with spaces, elements by their #text. */
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

function attrText(v: JsonValue | undefined, name: string): string {
  if (!isObj(v)) return '';
  const a = v['#attributes'];
  return isObj(a) ? leafText(a[name]) : '';
}

function leafNum(v: JsonValue | undefined): number {
  const t = leafText(v);
  const n = t === '' ? NaN : Number(t);
  return Number.isFinite(n) ? n : 0;
}

/** The System facts of a rendered record (`{"Event": {"System": …}}`). */
export function factsFromDoc(doc: JsonObject): SystemFacts {
  const event = doc['Event'];
  const system = isObj(event) && isObj(event['System']) ? event['System'] : {};
  return {
    eventId: leafNum(system['EventID']),
    provider: attrText(system['Provider'], 'Name'),
    channel: leafText(system['Channel']),
    computer: leafText(system['Computer']),
    recordId: leafNum(system['EventRecordID']),
    level: leafNum(system['Level']),
    timeMs: ((t) => (t === '' ? NaN : Date.parse(t)))(attrText(system['TimeCreated'], 'SystemTime')),
  };
}
