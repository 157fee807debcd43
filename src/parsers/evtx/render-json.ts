// A record as the JSON object evtx_dump writes (its element-tree generation, 0.10+), built straight
// from the template nodes and substitution values, without an intermediate element tree: each
// element is a key of its parent; an element with only content is that content (typed when it is a
// single typed value, text otherwise), `null` when empty; attributes go under "#attributes" (empty
// ones dropped) and content then under "#text"; repeated names get `_1`, `_2`…; `<Data Name="X">`
// children of EventData/UserData become `"X": value`, unnamed ones `"Data": {"#text": v | [v…]}`.
// Expansion rules (optional substitutions, arrays repeating their element, nested binary XML,
// depth limits) are those of expand.ts, shared with the XML renderer.
import type { ChunkBinXml, ContentNode, ElementNode, Node } from './binxml.js';
import { type Scope, TOP_SCOPE, arrayText, nestedFragment, repeatingArray, subValue, templateScope } from './expand.js';
import { type Scalar, VT } from './values.js';

export type JsonValue = Scalar | JsonValue[] | { [k: string]: JsonValue };
export type JsonObject = { [k: string]: JsonValue };

type Special = Extract<ContentNode, { t: 'cref' } | { t: 'eref' } | { t: 'cdata' }>;
type Piece = Scalar | Special;

export const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function pieceText(p: Piece): string {
  if (p === null) return '';
  switch (typeof p) {
    case 'string':
      return p;
    case 'boolean':
      return p ? 'true' : 'false';
    case 'object':
      if (p.t === 'cref') return p.code <= 0x10ffff ? String.fromCodePoint(p.code) : `&#${p.code};`;
      if (p.t === 'eref') return ENTITIES[p.name] ?? `&${p.name};`;
      return p.text;
    default:
      return String(p);
  }
}

/**
 * What an element (or attribute) holds while its content is walked: the non-empty content pieces,
 * and either its child elements already put into `obj` (ordinary elements) or, for EventData and
 * UserData, the children kept aside until all are known (named and positional `Data` differ).
 */
class Acc {
  count = 0;
  first: Piece = null;
  rest: Piece[] | null = null;
  obj: JsonObject | null = null;
  kept: Child[] | null = null;

  constructor(readonly container: boolean) {}

  piece(p: Piece): void {
    if (p === null || p === '') return;
    if (this.count === 0) this.first = p;
    else (this.rest ??= []).push(p);
    this.count++;
  }

  /** The content as a value: a single typed value as is, several pieces as text; undefined when empty. */
  text(): Scalar | undefined {
    if (this.count === 0) return undefined;
    const first = this.first;
    if (this.count === 1 && (first === null || typeof first !== 'object')) return first;
    let s = pieceText(first);
    if (this.rest) for (const p of this.rest) s += pieceText(p);
    return s === '' ? undefined : s;
  }
}

/** A child of EventData/UserData. */
interface Child {
  name: string;
  /** The Name attribute's text ('' when absent). */
  nameAttr: string;
  /** Its content alone (what a `Data` element contributes). */
  text: Scalar | undefined;
  /** Its whole value (for children other than `Data`). */
  value: JsonValue;
}


/** Marks content that needs the general walk (several pieces, arrays, nested XML…). */
const COMPLEX = Symbol('complex');

function put(obj: JsonObject, key: string, value: JsonValue): void {
  if (!(key in obj)) {
    obj[key] = value;
    return;
  }
  let i = 1;
  while (`${key}_${i}` in obj) i++;
  obj[`${key}_${i}`] = value;
}

function dataContainer(children: Child[], obj: JsonObject): void {
  let named = false;
  for (const c of children) if (c.name === 'Data' && c.nameAttr !== '') named = true;
  let positional: JsonValue[] | null = null;
  for (const c of children) {
    if (c.name !== 'Data') {
      put(obj, c.name, c.value);
      continue;
    }
    if (named) {
      if (c.nameAttr) obj[c.nameAttr] = c.text ?? '';
      continue;
    }
    if (!positional) {
      positional = [];
      obj['Data'] = null;
    }
    positional.push(c.text ?? '');
  }
  if (positional) obj['Data'] = { '#text': positional.length === 1 ? positional[0]! : positional };
}

function isContainer(name: string): boolean {
  return name === 'EventData' || name === 'UserData';
}

/** Renders the records of one chunk (template definitions are shared through `chunk`). */
export class JsonRenderer {
  constructor(private readonly chunk: ChunkBinXml) {}

  /** `{"Event": …}` for a record's fragment nodes; empty when the record holds no element. */
  render(nodes: Node[]): JsonObject {
    const acc = new Acc(false);
    this.nodes(nodes, TOP_SCOPE, acc);
    return acc.obj ?? {};
  }

  private nodes(nodes: readonly Node[], scope: Scope, acc: Acc): void {
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      if (n.t === 'el') this.element(n, scope, acc);
      else this.content(n, scope, acc);
    }
  }

  private content(n: ContentNode, scope: Scope, acc: Acc): void {
    switch (n.t) {
      case 'val':
        acc.piece(n.value.v as Scalar);
        return;
      case 'sub': {
        const value = subValue(n, scope);
        if (!value) return;
        if (value.type === VT.BinXml) {
          const inner = nestedFragment(this.chunk, value, scope);
          this.nodes(inner.nodes, inner.scope, acc);
        } else if (value.type & VT.Array) {
          acc.piece(arrayText(value.v as Scalar[]));
        } else {
          acc.piece(value.v as Scalar);
        }
        return;
      }
      case 'tmpl':
        this.nodes(n.def.nodes, templateScope(n, scope), acc);
        return;
      case 'pi':
        return;
      default:
        acc.piece(n);
    }
  }

  /** The value of a lone content node when it is a plain scalar (the common case), else COMPLEX. */
  private simple(c: Node, scope: Scope): Scalar | undefined | typeof COMPLEX {
    let v: Scalar;
    if (c.t === 'sub') {
      const value = scope.values?.[c.index];
      if (!value || value.type === VT.Null) return undefined;
      if (value.type === VT.BinXml || value.type & VT.Array) return COMPLEX;
      v = value.v as Scalar;
    } else if (c.t === 'val') {
      v = c.value.v as Scalar;
    } else {
      return COMPLEX;
    }
    return v === null || v === '' ? undefined : v;
  }

  private element(n: ElementNode, scope: Scope, parent: Acc): void {
    const repeat = repeatingArray(n, scope);
    if (repeat) {
      if (repeat.items.length === 0) this.build(n, scope, repeat.index, undefined, parent);
      for (const item of repeat.items) this.build(n, scope, repeat.index, item, parent);
      return;
    }
    this.build(n, scope, -1, undefined, parent);
  }

  /** Renders one element and adds it to its parent. */
  private build(n: ElementNode, scope: Scope, arrayIndex: number, item: Scalar | undefined, parent: Acc): void {
    let attrs: JsonObject | null = null;
    let nameAttr = '';
    // A `Data` child of EventData/UserData contributes its Name and content only.
    const dataChild = parent.container && n.name === 'Data';
    for (const a of n.attrs) {
      if (dataChild && a.name !== 'Name') continue;
      let v = a.parts.length === 1 ? this.simple(a.parts[0]!, scope) : COMPLEX;
      if (v === COMPLEX) {
        const acc = new Acc(false);
        for (const p of a.parts) this.content(p, scope, acc);
        v = acc.text();
      }
      if (v === undefined || v === null) continue;
      if (a.name === 'Name') nameAttr = typeof v === 'string' ? v : pieceText(v);
      if (!dataChild) (attrs ??= {})[a.name] = v;
    }
    // Content: a lone plain value needs no walk.
    let text: Scalar | undefined;
    let obj: JsonObject | null = null;
    let kept: Child[] | null = null;
    const only = n.children.length === 1 ? n.children[0]! : undefined;
    const direct = only && only.t !== 'el' && !(only.t === 'sub' && only.index === arrayIndex) ? this.simple(only, scope) : COMPLEX;
    if (direct !== COMPLEX || n.children.length === 0) {
      text = direct === COMPLEX ? undefined : direct;
      if (attrs) obj = { '#attributes': attrs };
    } else {
      const acc = new Acc(isContainer(n.name));
      if (attrs) acc.obj = { '#attributes': attrs };
      for (const c of n.children) {
        if (c.t === 'el') this.element(c, scope, acc);
        else if (c.t === 'sub' && c.index === arrayIndex) acc.piece(item ?? null);
        else this.content(c, scope, acc);
      }
      text = acc.text();
      obj = acc.obj;
      kept = acc.kept;
    }
    if (parent.container) {
      // EventData/UserData decide how to show a `Data` child once all children are known.
      const value = dataChild ? null : this.compose(obj, kept, text);
      (parent.kept ??= []).push({ name: n.name, nameAttr, text, value });
      return;
    }
    put((parent.obj ??= {}), n.name, this.compose(obj, kept, text));
  }

  private compose(obj: JsonObject | null, kept: Child[] | null, text: Scalar | undefined): JsonValue {
    if (kept) dataContainer(kept, (obj ??= {}));
    if (!obj) return text === undefined ? null : text;
    if (text !== undefined) obj['#text'] = text;
    return obj;
  }
}

/** JSON text of a rendered record (bigint values written as plain numbers). */
export function jsonText(v: JsonValue, indent = 0, depth = 0): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
  }
  const nl = indent > 0 ? `\n${' '.repeat(indent * (depth + 1))}` : '';
  const close = indent > 0 ? `\n${' '.repeat(indent * depth)}` : '';
  const sep = indent > 0 ? ': ' : ':';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[${v.map((x) => nl + jsonText(x, indent, depth + 1)).join(',')}${close}]`;
  }
  const keys = Object.keys(v);
  if (keys.length === 0) return '{}';
  return `{${keys.map((k) => `${nl}${JSON.stringify(k)}${sep}${jsonText(v[k]!, indent, depth + 1)}`).join(',')}${close}}`;
}
