// Binary XML (MS-EVEN6 2.2.12) of one 64 KiB chunk: tokens into a small node tree. Template
// definitions are parsed once per chunk and cached by their offset; a record is a template
// instance whose substitution values fill the definition's placeholders. Names and template
// definitions are "inline" when their offset is the position right after the offset field itself.
// Every read is bounded by the chunk and by the enclosing fragment; nesting depth is bounded too,
// so a hostile file can neither read out of bounds nor recurse without end.
import { EvtxFormatError } from './errors.js';
import type { SystemPlan } from './system-facts.js';
import { type ChunkLife, type Value, decodeUnsizedValue, lazyValue } from './values.js';

export interface ElementNode {
  t: 'el';
  name: string;
  attrs: AttrNode[];
  children: Node[];
  /** Substitution indexes among the direct children (an array value there repeats the element). */
  subs: number[] | null;
}

export interface AttrNode {
  name: string;
  parts: ContentNode[];
}

export interface TemplateDef {
  offset: number;
  nodes: Node[];
  /** Where its System values sit (system-facts.ts); undefined until first asked, null when not plain. */
  systemPlan?: SystemPlan | null;
}

export type ContentNode =
  | { t: 'val'; value: Value }
  | { t: 'sub'; index: number; optional: boolean }
  | { t: 'cref'; code: number }
  | { t: 'eref'; name: string }
  | { t: 'cdata'; text: string }
  | { t: 'pi'; target: string; data: string }
  | { t: 'tmpl'; def: TemplateDef; values: Value[] };

export type Node = ElementNode | ContentNode;

const MAX_DEPTH = 64;
const MAX_SUBSTITUTIONS = 4096;

export const TOKEN = {
  EOF: 0x00,
  OpenStart: 0x01,
  CloseStart: 0x02,
  CloseEmpty: 0x03,
  End: 0x04,
  Value: 0x05,
  Attribute: 0x06,
  CData: 0x07,
  CharRef: 0x08,
  EntityRef: 0x09,
  PITarget: 0x0a,
  PIData: 0x0b,
  TemplateInstance: 0x0c,
  NormalSub: 0x0d,
  OptionalSub: 0x0e,
  FragmentHeader: 0x0f,
} as const;

/** The 16-bit hash stored with every name (MS-EVEN6: hash = hash * 65599 + code unit). */
export function nameHash(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (Math.imul(h, 65599) + name.charCodeAt(i)) >>> 0;
  return h & 0xffff;
}

/** The parsing state of one chunk: its bytes and the names and templates seen so far. */
export class ChunkBinXml implements ChunkLife {
  /** Set once the chunk's bytes may be reused: lazy values refuse to decode then. */
  released = false;
  private readonly names = new Map<number, string>();
  private readonly templates = new Map<number, TemplateDef | 'parsing'>();

  private readonly badHashes = new Set<number>();
  /** Set while parsing recovered records: template ids and name hashes must match (see templateInstance, nameAt). */
  strict = false;

  constructor(readonly buf: Buffer) {}

  private need(p: number, n: number, limit: number): void {
    if (p + n > limit || p + n > this.buf.length) throw new EvtxFormatError(`unexpected end of data at chunk offset ${p}`);
  }

  private u16(p: number, limit: number): number {
    this.need(p, 2, limit);
    return this.buf.readUInt16LE(p);
  }

  private u32(p: number, limit: number): number {
    this.need(p, 4, limit);
    return this.buf.readUInt32LE(p);
  }

  /** The name at a chunk offset (next-offset u32, hash u16, length u16, UTF-16, NUL). */
  private nameAt(off: number): string {
    let name = this.names.get(off);
    if (name === undefined) {
      this.need(off, 8, this.buf.length);
      const n = this.buf.readUInt16LE(off + 6);
      if (n === 0) throw new EvtxFormatError(`empty name at chunk offset ${off}`);
      this.need(off + 8, 2 * n, this.buf.length);
      name = this.buf.toString('utf16le', off + 8, off + 8 + 2 * n);
      if (nameHash(name) !== this.buf.readUInt16LE(off + 4)) this.badHashes.add(off);
      this.names.set(off, name);
    }
    // In recovered records a name may point into space rewritten since: its hash no longer fits.
    if (this.strict && this.badHashes.has(off)) throw new EvtxFormatError(`name at chunk offset ${off} does not match its hash`);
    return name;
  }

  /** Reads a name reference at p; returns the name and the position after it (skipping an inline name). */
  private name(p: number, limit: number): { name: string; next: number } {
    const off = this.u32(p, limit);
    const after = p + 4;
    const name = this.nameAt(off);
    if (off === after) return { name, next: after + 10 + 2 * name.length };
    return { name, next: after };
  }

  /** A template definition at a chunk offset, parsed once. */
  template(off: number, depth: number): TemplateDef {
    const cached = this.templates.get(off);
    if (cached === 'parsing') throw new EvtxFormatError(`template at chunk offset ${off} refers to itself`);
    if (cached) return cached;
    this.need(off, 24, this.buf.length);
    const size = this.buf.readUInt32LE(off + 20);
    const start = off + 24;
    if (start + size > this.buf.length) throw new EvtxFormatError(`template at chunk offset ${off} runs past the chunk`);
    this.templates.set(off, 'parsing');
    try {
      const def: TemplateDef = { offset: off, nodes: this.fragment(start, start + size, true, depth + 1) };
      this.templates.set(off, def);
      return def;
    } catch (err) {
      this.templates.delete(off);
      throw err;
    }
  }

  /** Parses the tokens of [start, end) into nodes. */
  fragment(start: number, end: number, inTemplate: boolean, depth = 0): Node[] {
    if (depth > MAX_DEPTH) throw new EvtxFormatError('binary XML nested too deeply');
    const nodes: Node[] = [];
    let p = start;
    while (p < end) {
      const tok = this.buf[p]!;
      const base = tok & 0xbf;
      if (base === TOKEN.EOF) break;
      if (base === TOKEN.FragmentHeader) {
        this.need(p, 4, end);
        p += 4;
        continue;
      }
      if (base === TOKEN.OpenStart) {
        const r = this.element(p, end, inTemplate, depth + 1);
        nodes.push(r.node);
        p = r.next;
        continue;
      }
      if (base === TOKEN.TemplateInstance) {
        const r = this.templateInstance(p, end, depth + 1);
        nodes.push(r.node);
        p = r.next;
        continue;
      }
      const r = this.content(p, end, depth);
      if (!r) throw new EvtxFormatError(`unexpected token 0x${tok.toString(16)} at chunk offset ${p}`);
      nodes.push(r.node);
      p = r.next;
    }
    return nodes;
  }

  private templateInstance(p: number, end: number, depth: number): { node: ContentNode; next: number } {
    this.need(p, 10, end);
    const defOff = this.buf.readUInt32LE(p + 6);
    let q = p + 10;
    // Records recovered from slack may point at a definition since replaced by another template:
    // a definition's GUID starts with the id of the template it defines.
    if (this.strict && defOff !== q && defOff + 8 <= this.buf.length && this.buf.readUInt32LE(defOff + 4) !== this.buf.readUInt32LE(p + 2)) {
      throw new EvtxFormatError(`template at chunk offset ${defOff} is not the one the record used`);
    }
    const def = this.template(defOff, depth);
    if (defOff === q) {
      // Inline definition: skip its 24-byte header and its data.
      q = defOff + 24 + this.buf.readUInt32LE(defOff + 20);
    }
    const n = this.u32(q, end);
    if (n > MAX_SUBSTITUTIONS) throw new EvtxFormatError(`template instance with ${n} substitutions`);
    q += 4;
    this.need(q, 4 * n, end);
    const descs = q;
    q += 4 * n;
    const values: Value[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const size = this.buf.readUInt16LE(descs + 4 * i);
      const type = this.buf[descs + 4 * i + 2]!;
      this.need(q, size, end);
      values[i] = lazyValue(this.buf, type, q, size, this);
      q += size;
    }
    return { node: { t: 'tmpl', def, values }, next: q };
  }

  private content(p: number, end: number, depth: number): { node: ContentNode; next: number } | undefined {
    const base = this.buf[p]! & 0xbf;
    switch (base) {
      case TOKEN.Value: {
        this.need(p, 2, end);
        const r = decodeUnsizedValue(this.buf, this.buf[p + 1]!, p + 2, end);
        return { node: { t: 'val', value: r.value }, next: r.next };
      }
      case TOKEN.NormalSub:
      case TOKEN.OptionalSub:
        this.need(p, 4, end);
        return { node: { t: 'sub', index: this.buf.readUInt16LE(p + 1), optional: base === TOKEN.OptionalSub }, next: p + 4 };
      case TOKEN.CharRef:
        return { node: { t: 'cref', code: this.u16(p + 1, end) }, next: p + 3 };
      case TOKEN.EntityRef: {
        const r = this.name(p + 1, end);
        return { node: { t: 'eref', name: r.name }, next: r.next };
      }
      case TOKEN.CData: {
        const n = this.u16(p + 1, end);
        this.need(p + 3, 2 * n, end);
        return { node: { t: 'cdata', text: this.buf.toString('utf16le', p + 3, p + 3 + 2 * n) }, next: p + 3 + 2 * n };
      }
      case TOKEN.PITarget: {
        const target = this.name(p + 1, end);
        let q = target.next;
        let data = '';
        if ((this.buf[q]! & 0xbf) === TOKEN.PIData) {
          const n = this.u16(q + 1, end);
          this.need(q + 3, 2 * n, end);
          data = this.buf.toString('utf16le', q + 3, q + 3 + 2 * n);
          q += 3 + 2 * n;
        }
        return { node: { t: 'pi', target: target.name, data }, next: q };
      }
      case TOKEN.TemplateInstance:
        return this.templateInstance(p, end, depth + 1);
      default:
        return undefined;
    }
  }

  private element(p: number, end: number, inTemplate: boolean, depth: number): { node: ElementNode; next: number } {
    if (depth > MAX_DEPTH) throw new EvtxFormatError('binary XML nested too deeply');
    const tok = this.buf[p]!;
    // Elements inside template definitions carry a 2-byte dependency id, others do not. Should
    // the data size read make no sense, the other reading is tried (files in the wild vary).
    let q = p + 1 + (inTemplate ? 2 : 0);
    const size = this.u32(q, end);
    if (size > this.buf.length) q = p + 1 + (inTemplate ? 0 : 2);
    q += 4;
    const nm = this.name(q, end);
    q = nm.next;
    const node: ElementNode = { t: 'el', name: nm.name, attrs: [], children: [], subs: null };
    if (tok & 0x40) {
      q += 4; // attribute list size
      for (;;) {
        this.need(q, 1, end);
        if ((this.buf[q]! & 0xbf) !== TOKEN.Attribute) break;
        const an = this.name(q + 1, end);
        q = an.next;
        const parts: ContentNode[] = [];
        for (;;) {
          this.need(q, 1, end);
          const b = this.buf[q]! & 0xbf;
          if (b !== TOKEN.Value && b !== TOKEN.NormalSub && b !== TOKEN.OptionalSub && b !== TOKEN.CharRef && b !== TOKEN.EntityRef && b !== TOKEN.CData) break;
          const r = this.content(q, end, depth)!;
          parts.push(r.node);
          q = r.next;
        }
        node.attrs.push({ name: an.name, parts });
      }
    }
    this.need(q, 1, end);
    const close = this.buf[q]! & 0xbf;
    if (close === TOKEN.CloseEmpty) return { node, next: q + 1 };
    if (close !== TOKEN.CloseStart) throw new EvtxFormatError(`expected the end of an element start at chunk offset ${q}, found token 0x${this.buf[q]!.toString(16)}`);
    q += 1;
    for (;;) {
      this.need(q, 1, end);
      const b = this.buf[q]! & 0xbf;
      if (b === TOKEN.End) return { node, next: q + 1 };
      if (b === TOKEN.OpenStart) {
        const r = this.element(q, end, inTemplate, depth + 1);
        node.children.push(r.node);
        q = r.next;
        continue;
      }
      const r = this.content(q, end, depth);
      if (!r) throw new EvtxFormatError(`unexpected token 0x${this.buf[q]!.toString(16)} inside <${node.name}> at chunk offset ${q}`);
      node.children.push(r.node);
      if (r.node.t === 'sub') (node.subs ??= []).push(r.node.index);
      q = r.next;
    }
  }
}
