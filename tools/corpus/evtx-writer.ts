// Writes EVTX files (MS-EVEN6 layout) from element trees, for the demo collection and for tests
// that need shapes no shared sample has (RenderingInfo, string arrays, hostile templates). Every
// event becomes a template instance: the tree's shape is the template definition (defined inline
// at its first use in a chunk, as Windows does) and its leaf values are the substitutions. Chunks
// and the file header carry correct checksums unless told otherwise.
import { crc32 } from '../../src/core/crc32.js';
import { nameHash } from '../../src/parsers/evtx/binxml.js';

/** A typed value. Plain strings are UTF-16 strings and plain numbers are UInt32. */
export type XValue =
  | string
  | number
  | boolean
  | null
  | { t: 'u8' | 'u16' | 'u32' | 'u64' | 'i32' | 'i64' | 'hex32' | 'hex64'; v: number | bigint }
  | { t: 'filetime'; ms: number }
  | { t: 'systime'; ms: number }
  | { t: 'guid'; v: string }
  | { t: 'sid'; v: string }
  | { t: 'binary'; v: Buffer }
  | { t: 'ansi'; v: string }
  | { t: 'strings'; v: string[] }
  | { t: 'binxml'; v: XElement }
  // Markup rather than values: always written as their own tokens, never as substitutions.
  | { t: 'cdata'; v: string }
  | { t: 'charref'; v: number }
  | { t: 'entity'; v: string };

type Markup = Extract<XValue, { t: 'cdata' | 'charref' | 'entity' }>;

function isMarkup(v: XValue): v is Markup {
  return typeof v === 'object' && v !== null && (v.t === 'cdata' || v.t === 'charref' || v.t === 'entity');
}

export interface XElement {
  name: string;
  attrs?: [string, XValue][];
  content?: (XElement | XValue)[];
}

export interface WriteOptions {
  /** Header flag "dirty" (the log was not closed cleanly). */
  dirty?: boolean;
  /** Leave every checksum zero. */
  noChecksums?: boolean;
}

export interface RecordSpec {
  event: XElement;
  /** Record header time (ms); defaults to the event's TimeCreated or 0. */
  written?: number;
}

const FILETIME_EPOCH_MS = 11644473600000n;

function isElement(x: XElement | XValue): x is XElement {
  return typeof x === 'object' && x !== null && 'name' in x;
}

function utf16(s: string): Buffer {
  return Buffer.from(s, 'utf16le');
}

function fileTime(ms: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE((BigInt(Math.round(ms)) + FILETIME_EPOCH_MS) * 10000n);
  return b;
}

function guidBytes(s: string): Buffer {
  const h = s.replace(/[{}-]/g, '');
  const b = Buffer.from(h, 'hex');
  if (b.length !== 16) throw new Error(`bad GUID ${s}`);
  // Data1..Data3 are stored little-endian.
  return Buffer.concat([Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(), Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8)]);
}

function sidBytes(s: string): Buffer {
  const parts = s.split('-');
  if (parts[0] !== 'S') throw new Error(`bad SID ${s}`);
  const subs = parts.slice(3).map(Number);
  const b = Buffer.alloc(8 + 4 * subs.length);
  b[0] = Number(parts[1]);
  b[1] = subs.length;
  b.writeUIntBE(Number(parts[2]), 2, 6);
  subs.forEach((v, i) => b.writeUInt32LE(v, 8 + 4 * i));
  return b;
}

/** Value type code and bytes of a substitution value. */
export function encodeValue(v: XValue, at = 0): { type: number; bytes: Buffer } {
  if (v === null) return { type: 0x00, bytes: Buffer.alloc(0) };
  if (typeof v === 'string') return { type: 0x01, bytes: utf16(v) };
  if (typeof v === 'number') {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return { type: 0x08, bytes: b };
  }
  if (typeof v === 'boolean') {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v ? 1 : 0);
    return { type: 0x0d, bytes: b };
  }
  const b8 = () => Buffer.alloc(8);
  switch (v.t) {
    case 'u8':
      return { type: 0x04, bytes: Buffer.from([Number(v.v)]) };
    case 'u16': {
      const b = Buffer.alloc(2);
      b.writeUInt16LE(Number(v.v));
      return { type: 0x06, bytes: b };
    }
    case 'u32':
    case 'hex32': {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(Number(v.v));
      return { type: v.t === 'u32' ? 0x08 : 0x14, bytes: b };
    }
    case 'i32': {
      const b = Buffer.alloc(4);
      b.writeInt32LE(Number(v.v));
      return { type: 0x07, bytes: b };
    }
    case 'u64':
    case 'hex64': {
      const b = b8();
      b.writeBigUInt64LE(BigInt(v.v));
      return { type: v.t === 'u64' ? 0x0a : 0x15, bytes: b };
    }
    case 'i64': {
      const b = b8();
      b.writeBigInt64LE(BigInt(v.v));
      return { type: 0x09, bytes: b };
    }
    case 'filetime':
      return { type: 0x11, bytes: fileTime(v.ms) };
    case 'systime': {
      const d = new Date(v.ms);
      const b = Buffer.alloc(16);
      [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDay(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()].forEach((x, i) => b.writeUInt16LE(x, 2 * i));
      return { type: 0x12, bytes: b };
    }
    case 'guid':
      return { type: 0x0f, bytes: guidBytes(v.v) };
    case 'sid':
      return { type: 0x13, bytes: sidBytes(v.v) };
    case 'binary':
      return { type: 0x0e, bytes: v.v };
    case 'ansi':
      return { type: 0x02, bytes: Buffer.from(v.v, 'latin1') };
    case 'strings':
      return { type: 0x81, bytes: Buffer.concat(v.v.map((s) => utf16(`${s}\0`))) };
    case 'binxml':
      return { type: 0x21, bytes: plainFragment(v.v, at) };
    default:
      throw new Error(`${v.t} is markup, not a value`);
  }
}

/** A name written inline (next-offset, hash, length, UTF-16, NUL). */
function inlineName(name: string): Buffer {
  const b = Buffer.alloc(8 + 2 * name.length + 2);
  b.writeUInt16LE(nameHash(name), 4);
  b.writeUInt16LE(name.length, 6);
  b.write(name, 8, 'utf16le');
  return b;
}

/** Tokens being assembled at a known chunk offset (names are inline, so offsets matter). */
class Tokens {
  parts: Buffer[] = [];
  size = 0;
  constructor(readonly base: number) {}
  push(b: Buffer): void {
    this.parts.push(b);
    this.size += b.length;
  }
  byte(...xs: number[]): void {
    this.push(Buffer.from(xs));
  }
  u16(v: number): void {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    this.push(b);
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    this.push(b);
  }
  get pos(): number {
    return this.base + this.size;
  }
  name(name: string): void {
    this.u32(this.pos + 4);
    this.push(inlineName(name));
  }
  buffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/**
 * Element tokens. In a template every leaf value becomes an optional substitution (its index
 * taken from `subs`); outside one (nested binary XML) values are written as value tokens.
 */
function writeElement(t: Tokens, el: XElement, inTemplate: boolean, subs: XValue[] | null): void {
  const attrs = el.attrs ?? [];
  t.byte(attrs.length > 0 ? 0x41 : 0x01);
  if (inTemplate) t.u16(0xffff);
  const sizeAt = t.parts.length;
  t.u32(0); // data size, patched below
  const startSize = t.size;
  t.name(el.name);
  if (attrs.length > 0) {
    const listAt = t.parts.length;
    t.u32(0);
    const listStart = t.size;
    attrs.forEach(([name, value], i) => {
      t.byte(i < attrs.length - 1 ? 0x46 : 0x06);
      t.name(name);
      writeValue(t, value, subs);
    });
    t.parts[listAt]!.writeUInt32LE(t.size - listStart);
  }
  const content = el.content ?? [];
  if (content.length === 0) {
    t.byte(0x03);
  } else {
    t.byte(0x02);
    for (const c of content) {
      if (isElement(c)) writeElement(t, c, inTemplate, subs);
      else writeValue(t, c, subs);
    }
    t.byte(0x04);
  }
  t.parts[sizeAt]!.writeUInt32LE(t.size - startSize);
}

function writeValue(t: Tokens, v: XValue, subs: XValue[] | null): void {
  if (isMarkup(v)) {
    if (v.t === 'cdata') {
      t.byte(0x07);
      t.u16(v.v.length);
      t.push(utf16(v.v));
    } else if (v.t === 'charref') {
      t.byte(0x08);
      t.u16(v.v);
    } else {
      t.byte(0x09);
      t.name(v.v);
    }
    return;
  }
  if (subs) {
    t.byte(0x0e);
    t.u16(subs.length);
    t.byte(encodeValue(v).type);
    subs.push(v);
    return;
  }
  if (typeof v === 'string') {
    t.byte(0x05, 0x01);
    t.u16(v.length);
    t.push(utf16(v));
    return;
  }
  const { type, bytes } = encodeValue(v);
  t.byte(0x05, type);
  t.push(bytes);
}

/** A stand-alone fragment (nested binary XML value) at chunk offset `at`: no templates, values inline. */
function plainFragment(el: XElement, at: number): Buffer {
  const t = new Tokens(at);
  t.byte(0x0f, 0x01, 0x01, 0x00);
  writeElement(t, el, false, null);
  t.byte(0x00);
  return t.buffer();
}

/** The shape of an event (what its template definition depends on). */
function shapeKey(el: XElement): string {
  const value = (v: XValue) => (isMarkup(v) ? `${v.t}:${JSON.stringify(v.v)}` : encodeValue(v).type.toString(16));
  const walk = (e: XElement): string =>
    `<${e.name}${(e.attrs ?? []).map(([n, v]) => ` ${n}=${value(v)}`).join('')}>${(e.content ?? []).map((c) => (isElement(c) ? walk(c) : `{${value(c)}}`)).join('')}</>`;
  return walk(el);
}

const CHUNK_SIZE = 65536;
const CHUNK_HEADER = 512;

class ChunkBuilder {
  records: Buffer[] = [];
  used = CHUNK_HEADER;
  templates = new Map<string, number>();
  templateIds = new Map<number, number>();
  firstId = 0;
  lastId = 0;
  lastOffset = 0;

  private chunkTemplateId(defAt: number): number {
    return this.templateIds.get(defAt)!;
  }

  /** Adds the record at the chunk's current end; false when it does not fit. */
  tryAdd(id: number, written: number, event: XElement): boolean {
    const at = this.used;
    const t = new Tokens(at + 24);
    t.byte(0x0f, 0x01, 0x01, 0x00);
    t.byte(0x0c, 0x01);
    const key = shapeKey(event);
    const known = this.templates.get(key);
    const subs: XValue[] = [];
    if (known !== undefined) {
      t.u32(this.chunkTemplateId(known)); // template id: the first 4 bytes of its GUID
      t.u32(known);
      collectSubs(event, subs);
    } else {
      const templateId = 0x5e000000 + this.templates.size + 1;
      t.u32(templateId);
      const defAt = t.pos + 4;
      t.u32(defAt);
      t.u32(0); // next template
      const guid = Buffer.alloc(16);
      guid.writeUInt32LE(templateId);
      this.templateIds.set(defAt, templateId);
      t.push(guid);
      const sizeAt = t.parts.length;
      t.u32(0);
      const dataStart = t.size;
      t.byte(0x0f, 0x01, 0x01, 0x00);
      writeElement(t, event, true, subs);
      t.byte(0x00);
      t.parts[sizeAt]!.writeUInt32LE(t.size - dataStart);
      this.templates.set(key, defAt);
    }
    t.u32(subs.length);
    // Nested binary XML holds inline names whose offsets are chunk offsets: place values first.
    const sized = subs.map((v) => encodeValue(v));
    let valueAt = t.pos + 4 * subs.length;
    const encoded = subs.map((v, i) => {
      const e = typeof v === 'object' && v !== null && 't' in v && v.t === 'binxml' ? encodeValue(v, valueAt) : sized[i]!;
      valueAt += e.bytes.length;
      return e;
    });
    for (const e of encoded) {
      t.u16(e.bytes.length);
      t.byte(e.type, 0);
    }
    for (const e of encoded) t.push(e.bytes);
    const body = t.buffer();
    const size = 24 + body.length + 4;
    if (at + size > CHUNK_SIZE) {
      if (known === undefined) this.templates.delete(key);
      return false;
    }
    const head = Buffer.alloc(24);
    head.writeUInt32LE(0x00002a2a, 0);
    head.writeUInt32LE(size, 4);
    head.writeBigUInt64LE(BigInt(id), 8);
    fileTime(written).copy(head, 16);
    const tail = Buffer.alloc(4);
    tail.writeUInt32LE(size);
    this.records.push(head, body, tail);
    if (this.firstId === 0) this.firstId = id;
    this.lastId = id;
    this.lastOffset = at;
    this.used += size;
    return true;
  }

  build(opts: WriteOptions): Buffer {
    const chunk = Buffer.alloc(CHUNK_SIZE);
    Buffer.concat(this.records).copy(chunk, CHUNK_HEADER);
    chunk.write('ElfChnk\0', 0, 'latin1');
    chunk.writeBigUInt64LE(BigInt(this.firstId), 8);
    chunk.writeBigUInt64LE(BigInt(this.lastId), 16);
    chunk.writeBigUInt64LE(BigInt(this.firstId), 24);
    chunk.writeBigUInt64LE(BigInt(this.lastId), 32);
    chunk.writeUInt32LE(128, 40);
    chunk.writeUInt32LE(this.lastOffset, 44);
    chunk.writeUInt32LE(this.used, 48);
    if (!opts.noChecksums) {
      chunk.writeUInt32LE(crc32(chunk, CHUNK_HEADER, this.used), 52);
      chunk.writeUInt32LE(crc32(chunk, 128, 512, crc32(chunk, 0, 120)), 124);
    }
    return chunk;
  }
}

function collectSubs(el: XElement, subs: XValue[]): void {
  for (const [, v] of el.attrs ?? []) if (!isMarkup(v)) subs.push(v);
  for (const c of el.content ?? []) {
    if (isElement(c)) collectSubs(c, subs);
    else if (!isMarkup(c)) subs.push(c);
  }
}

/** An EVTX file holding the events in order, record ids from 1. */
export function writeEvtx(records: readonly RecordSpec[], opts: WriteOptions = {}): Buffer {
  const chunks: Buffer[] = [];
  let cur = new ChunkBuilder();
  let id = 1;
  for (const r of records) {
    const written = r.written ?? 0;
    if (!cur.tryAdd(id, written, r.event)) {
      if (cur.records.length === 0) throw new Error('event too large for one chunk');
      chunks.push(cur.build(opts));
      cur = new ChunkBuilder();
      if (!cur.tryAdd(id, written, r.event)) throw new Error('event too large for one chunk');
    }
    id++;
  }
  if (cur.records.length > 0 || chunks.length === 0) chunks.push(cur.build(opts));
  const header = Buffer.alloc(4096);
  header.write('ElfFile\0', 0, 'latin1');
  header.writeBigUInt64LE(0n, 8);
  header.writeBigUInt64LE(BigInt(chunks.length - 1), 16);
  header.writeBigUInt64LE(BigInt(id), 24);
  header.writeUInt32LE(128, 32);
  header.writeUInt16LE(1, 36);
  header.writeUInt16LE(3, 38);
  header.writeUInt16LE(4096, 40);
  header.writeUInt16LE(chunks.length, 42);
  header.writeUInt32LE((opts.dirty ? 1 : 0) | (opts.noChecksums ? 4 : 0), 120);
  if (!opts.noChecksums) header.writeUInt32LE(crc32(header, 0, 120), 124);
  return Buffer.concat([header, ...chunks]);
}

// ---------------------------------------------------------------------------------------------
// Windows events as Event Viewer shows them.

const EVENT_NS = 'http://schemas.microsoft.com/win/2004/08/events/event';

export interface WinEventSpec {
  provider: string;
  providerGuid?: string;
  eventSourceName?: string;
  eventId: number;
  qualifiers?: number;
  version?: number;
  level?: number;
  task?: number;
  opcode?: number;
  keywords?: bigint;
  time: number;
  recordId?: number;
  processId?: number;
  threadId?: number;
  channel: string;
  computer: string;
  userSid?: string;
  /** Named EventData (`<Data Name=…>`), or positional values (unnamed `<Data>`; a string array stays one array value). */
  data?: [string, XValue][] | (XValue | { t: 'strings'; v: string[] })[];
  /** UserData instead of EventData. */
  userData?: XElement;
  /** RenderingInfo of a forwarded event. */
  rendering?: { culture: string; message: string; level: string; task: string; opcode: string; channel: string; provider: string; keywords: string[] };
}

export function winEvent(e: WinEventSpec): XElement {
  const providerAttrs: [string, XValue][] = [['Name', e.provider]];
  if (e.providerGuid) providerAttrs.push(['Guid', { t: 'guid', v: e.providerGuid }]);
  if (e.eventSourceName) providerAttrs.push(['EventSourceName', e.eventSourceName]);
  const eventId: XElement = { name: 'EventID', content: [{ t: 'u16', v: e.eventId }] };
  if (e.qualifiers !== undefined) eventId.attrs = [['Qualifiers', { t: 'u16', v: e.qualifiers }]];
  const system: XElement = {
    name: 'System',
    content: [
      { name: 'Provider', attrs: providerAttrs },
      eventId,
      { name: 'Version', content: [{ t: 'u8', v: e.version ?? 0 }] },
      { name: 'Level', content: [{ t: 'u8', v: e.level ?? 4 }] },
      { name: 'Task', content: [{ t: 'u16', v: e.task ?? 0 }] },
      { name: 'Opcode', content: [{ t: 'u8', v: e.opcode ?? 0 }] },
      { name: 'Keywords', content: [{ t: 'hex64', v: e.keywords ?? 0x8020000000000000n }] },
      { name: 'TimeCreated', attrs: [['SystemTime', { t: 'filetime', ms: e.time }]] },
      { name: 'EventRecordID', content: [{ t: 'u64', v: e.recordId ?? 0 }] },
      { name: 'Correlation' },
      { name: 'Execution', attrs: [['ProcessID', { t: 'u32', v: e.processId ?? 4 }], ['ThreadID', { t: 'u32', v: e.threadId ?? 8 }]] },
      { name: 'Channel', content: [e.channel] },
      { name: 'Computer', content: [e.computer] },
      e.userSid ? { name: 'Security', attrs: [['UserID', { t: 'sid', v: e.userSid }]] } : { name: 'Security' },
    ],
  };
  const content: XElement[] = [system];
  if (e.userData) content.push({ name: 'UserData', content: [e.userData] });
  else if (e.data) {
    const data = e.data.map((d): XElement => (Array.isArray(d) ? { name: 'Data', attrs: [['Name', d[0]]], content: [d[1]] } : { name: 'Data', content: [d] }));
    content.push({ name: 'EventData', content: data });
  }
  if (e.rendering) {
    const r = e.rendering;
    content.push({
      name: 'RenderingInfo',
      attrs: [['Culture', r.culture]],
      content: [
        { name: 'Message', content: [r.message] },
        { name: 'Level', content: [r.level] },
        { name: 'Task', content: [r.task] },
        { name: 'Opcode', content: [r.opcode] },
        { name: 'Channel', content: [r.channel] },
        { name: 'Provider', content: [r.provider] },
        { name: 'Keywords', content: r.keywords.map((k): XElement => ({ name: 'Keyword', content: [k] })) },
      ],
    });
  }
  return { name: 'Event', attrs: [['xmlns', EVENT_NS]], content };
}
