// Substitution value types of binary XML (MS-EVEN6 "Value types") and their renderings, matching
// what evtx_dump writes: integers as numbers, GUIDs upper-case without braces, hex integers as
// lower-case `0x…` without padding, binary as upper-case hex, FILETIME/SYSTEMTIME as ISO-8601 with
// exactly six fraction digits (truncated), SIDs as `S-1-…`, strings cut at NUL with trailing
// white space trimmed. Everything is bounds-checked: a value never reads past its declared size.
import { EvtxFormatError } from './errors.js';

export const VT = {
  Null: 0x00,
  String: 0x01,
  AnsiString: 0x02,
  Int8: 0x03,
  UInt8: 0x04,
  Int16: 0x05,
  UInt16: 0x06,
  Int32: 0x07,
  UInt32: 0x08,
  Int64: 0x09,
  UInt64: 0x0a,
  Real32: 0x0b,
  Real64: 0x0c,
  Bool: 0x0d,
  Binary: 0x0e,
  Guid: 0x0f,
  SizeT: 0x10,
  FileTime: 0x11,
  SysTime: 0x12,
  Sid: 0x13,
  HexInt32: 0x14,
  HexInt64: 0x15,
  EvtHandle: 0x20,
  BinXml: 0x21,
  EvtXml: 0x23,
  Array: 0x80,
} as const;

/** A decoded scalar: what a JSON renderer writes as is (bigint beyond 2^53). */
export type Scalar = string | number | bigint | boolean | null;

export interface Value {
  type: number;
  /** Scalar for plain types; Scalar[] for arrays; raw fragment bounds for BinXml. */
  v: Scalar | Scalar[] | { start: number; end: number };
}

const EMPTY: Value = { type: VT.Null, v: null };

// Rust's char::is_whitespace: the set evtx trims from substitution strings (not JS trimEnd's).
function isRustWhitespace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0x85) return false;
  return c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/** A substitution string: cut at the first NUL, trailing white space trimmed. */
export function trimString(s: string): string {
  let end = s.indexOf('\0');
  if (end === -1) end = s.length;
  while (end > 0 && isRustWhitespace(s.charCodeAt(end - 1))) end--;
  return end === s.length ? s : s.slice(0, end);
}

const CP1252_HIGH = '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

function decodeAnsi(buf: Buffer, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (b === 0) continue;
    s += b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80]! : String.fromCharCode(b);
  }
  return s;
}

// Byte → two upper-case hex digits, computed once.
const HEX2 = Array.from({ length: 256 }, (_, b) => b.toString(16).toUpperCase().padStart(2, '0'));

export function hexUpper(buf: Buffer, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += HEX2[buf[i]!]!;
  return s;
}

// Records repeat the same provider GUID and keywords: the last rendering of each is kept.
const lastGuid = Buffer.alloc(16);
let lastGuidText = '';

export function guidAt(buf: Buffer, p: number): string {
  if (lastGuidText !== '' && buf.compare(lastGuid, 0, 16, p, p + 16) === 0) return lastGuidText;
  const b = (i: number) => HEX2[buf[p + i]!]!;
  // Data1..Data3 are little-endian, Data4 is bytes in order.
  lastGuidText = `${b(3)}${b(2)}${b(1)}${b(0)}-${b(5)}${b(4)}-${b(7)}${b(6)}-${b(8)}${b(9)}-${b(10)}${b(11)}${b(12)}${b(13)}${b(14)}${b(15)}`;
  buf.copy(lastGuid, 0, p, p + 16);
  return lastGuidText;
}

const TWO32 = 4294967296;
const TWO32_MOD_1E7 = TWO32 % 1e7;
const SECONDS_1601_TO_1970 = 11644473600;

// Consecutive records usually share their second: remember the last one's text.
let lastSecond = NaN;
let lastSecondText = '';

/**
 * FILETIME (100 ns since 1601, as two 32-bit halves) → `YYYY-MM-DDThh:mm:ss.ffffffZ`, microseconds
 * truncated. Exact without BigInt: the remainder modulo 10^7 is computed from the halves, after
 * which the whole seconds are a float within rounding distance of an integer.
 */
export function fileTimeHalvesToIso(lo: number, hi: number): string {
  const r = ((hi % 1e7) * TWO32_MOD_1E7 + (lo % 1e7)) % 1e7;
  const sec = Math.round((hi * TWO32 + lo - r) / 1e7) - SECONDS_1601_TO_1970;
  if (sec !== lastSecond) {
    const d = new Date(sec * 1000);
    if (Number.isNaN(d.getTime())) throw new EvtxFormatError('FILETIME out of range');
    lastSecond = sec;
    lastSecondText = d.toISOString().slice(0, 19);
  }
  const us = Math.floor(r / 10);
  return `${lastSecondText}.${us < 100000 ? String(us).padStart(6, '0') : us}Z`;
}

export function fileTimeAt(buf: Buffer, p: number): string {
  return fileTimeHalvesToIso(buf.readUInt32LE(p), buf.readUInt32LE(p + 4));
}

/** Milliseconds since the epoch of a FILETIME given as halves (for event times). */
export function fileTimeHalvesToMs(lo: number, hi: number): number {
  return Math.floor((hi * TWO32 + lo) / 1e4) - SECONDS_1601_TO_1970 * 1000;
}

function sysTimeAt(buf: Buffer, p: number): string {
  const y = buf.readUInt16LE(p);
  const mo = buf.readUInt16LE(p + 2);
  const d = buf.readUInt16LE(p + 6);
  const hh = buf.readUInt16LE(p + 8);
  const mi = buf.readUInt16LE(p + 10);
  const ss = buf.readUInt16LE(p + 12);
  const ms = buf.readUInt16LE(p + 14);
  if (y === 0 && mo === 0 && d === 0 && hh === 0 && mi === 0 && ss === 0 && ms === 0) return '1601-01-01T00:00:00.000000Z';
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mi > 59 || ss > 59 || ms > 999) throw new EvtxFormatError('invalid SYSTEMTIME');
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(hh)}:${pad(mi)}:${pad(ss)}.${pad(ms * 1000, 6)}Z`;
}

/** A SID and its byte length. */
function sidAt(buf: Buffer, p: number, end: number): { s: string; len: number } {
  if (p + 8 > end) throw new EvtxFormatError('SID too short');
  const rev = buf[p]!;
  const n = buf[p + 1]!;
  const len = 8 + 4 * n;
  if (p + len > end) throw new EvtxFormatError('SID longer than its value');
  const authority = buf.readUIntBE(p + 2, 6);
  let s = `S-${rev}-${authority >= 2 ** 32 ? `0x${authority.toString(16).toUpperCase()}` : authority}`;
  for (let i = 0; i < n; i++) s += `-${buf.readUInt32LE(p + 8 + 4 * i)}`;
  return { s, len };
}

function int64(buf: Buffer, p: number, signed: boolean): number | bigint {
  const lo = buf.readUInt32LE(p);
  const hi = signed ? buf.readInt32LE(p + 4) : buf.readUInt32LE(p + 4);
  // Exact as a number while |value| < 2^53; BigInt beyond.
  if (hi >= -0x200000 && hi < 0x200000) return hi * TWO32 + lo;
  return signed ? buf.readBigInt64LE(p) : buf.readBigUInt64LE(p);
}

let lastHexLo = -1;
let lastHexHi = -1;
let lastHexText = '';

function hex64(buf: Buffer, p: number): string {
  const lo = buf.readUInt32LE(p);
  const hi = buf.readUInt32LE(p + 4);
  if (lo === lastHexLo && hi === lastHexHi) return lastHexText;
  lastHexLo = lo;
  lastHexHi = hi;
  lastHexText = hi === 0 ? `0x${lo.toString(16)}` : `0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')}`;
  return lastHexText;
}

/** Shortest decimal that reads back as the same 32-bit float (what Rust prints for an f32). */
function real32Text(f: number): string {
  if (!Number.isFinite(f)) return String(f);
  for (let p = 1; p <= 9; p++) {
    const s = Number(f.toPrecision(p));
    if (Math.fround(s) === f) return String(s);
  }
  return String(f);
}

const FIXED_SIZE: Record<number, number> = {
  [VT.Int8]: 1, [VT.UInt8]: 1, [VT.Int16]: 2, [VT.UInt16]: 2, [VT.Int32]: 4, [VT.UInt32]: 4, [VT.Int64]: 8, [VT.UInt64]: 8,
  [VT.Real32]: 4, [VT.Real64]: 8, [VT.Bool]: 4, [VT.Guid]: 16, [VT.FileTime]: 8, [VT.SysTime]: 16, [VT.HexInt32]: 4, [VT.HexInt64]: 8,
};

/** One scalar of a fixed-size type at p (size already checked). */
function scalarAt(buf: Buffer, type: number, p: number, size: number): Scalar {
  switch (type) {
    case VT.Int8:
      return buf.readInt8(p);
    case VT.UInt8:
      return buf[p]!;
    case VT.Int16:
      return buf.readInt16LE(p);
    case VT.UInt16:
      return buf.readUInt16LE(p);
    case VT.Int32:
      return buf.readInt32LE(p);
    case VT.UInt32:
      return buf.readUInt32LE(p);
    case VT.Int64:
      return int64(buf, p, true);
    case VT.UInt64:
      return int64(buf, p, false);
    case VT.Real32:
      return real32Text(buf.readFloatLE(p));
    case VT.Real64:
      return String(buf.readDoubleLE(p));
    case VT.Bool:
      return buf.readInt32LE(p) !== 0;
    case VT.Guid:
      return guidAt(buf, p);
    case VT.FileTime:
      return fileTimeAt(buf, p);
    case VT.SysTime:
      return sysTimeAt(buf, p);
    case VT.HexInt32:
      return `0x${buf.readUInt32LE(p).toString(16)}`;
    case VT.HexInt64:
      return hex64(buf, p);
    case VT.SizeT:
      return size === 8 ? hex64(buf, p) : `0x${buf.readUInt32LE(p).toString(16)}`;
    default:
      throw new EvtxFormatError(`value type 0x${type.toString(16)} is not supported`);
  }
}

/** Decodes a substitution value of `size` bytes at p. */
export function decodeValue(buf: Buffer, type: number, p: number, size: number): Value {
  const end = p + size;
  if (end > buf.length) throw new EvtxFormatError(`value runs past the chunk (type 0x${type.toString(16)}, ${size} bytes)`);
  switch (type) {
    case VT.Null:
      return EMPTY;
    case VT.String:
      return { type, v: trimString(buf.toString('utf16le', p, p + (size & ~1))) };
    case VT.AnsiString:
      return { type, v: trimString(decodeAnsi(buf, p, end)) };
    case VT.Binary:
      return { type, v: hexUpper(buf, p, end) };
    case VT.Sid:
      return { type, v: sidAt(buf, p, end).s };
    case VT.BinXml:
      return { type, v: { start: p, end } };
    case VT.SizeT:
      if (size !== 4 && size !== 8) throw new EvtxFormatError(`SizeT of ${size} bytes`);
      return { type, v: scalarAt(buf, type, p, size) };
    case VT.EvtHandle:
    case VT.EvtXml:
      throw new EvtxFormatError(`value type 0x${type.toString(16)} is not supported`);
    default:
      break;
  }
  if (type & VT.Array) return { type, v: decodeArray(buf, type & 0x7f, p, end) };
  const fixed = FIXED_SIZE[type];
  if (fixed === undefined) throw new EvtxFormatError(`unknown value type 0x${type.toString(16)}`);
  if (size < fixed) throw new EvtxFormatError(`value of type 0x${type.toString(16)} is ${size} bytes, needs ${fixed}`);
  return { type, v: scalarAt(buf, type, p, fixed) };
}

/** Whether the chunk bytes a lazy value reads from are still there. */
export interface ChunkLife {
  released: boolean;
}

/**
 * A substitution value decoded on first use: most records are dismissed by a detector after a
 * glance at their System values, and strings, GUIDs and times are then never built.
 */
class LazyValue implements Value {
  private done = false;
  private cached: Value['v'] = null;

  constructor(
    readonly type: number,
    private readonly buf: Buffer,
    private readonly p: number,
    private readonly size: number,
    private readonly life: ChunkLife,
  ) {}

  /** Milliseconds since the epoch of a FILETIME value, without building its text; NaN otherwise. */
  timeMs(): number {
    if (this.type !== VT.FileTime || this.life.released) return NaN;
    return fileTimeHalvesToMs(this.buf.readUInt32LE(this.p), this.buf.readUInt32LE(this.p + 4));
  }

  get v(): Value['v'] {
    if (!this.done) {
      if (this.life.released) throw new Error('EVTX value read after its chunk was released');
      this.cached = decodeValue(this.buf, this.type, this.p, this.size).v;
      this.done = true;
    }
    return this.cached;
  }
}

/** Milliseconds since the epoch of a time value (FILETIME read directly, text parsed); NaN when none. */
export function valueTimeMs(value: Value): number {
  if (value instanceof LazyValue && value.type === VT.FileTime) return value.timeMs();
  const v = value.v;
  return typeof v === 'string' && v !== '' ? Date.parse(v) : NaN;
}

/**
 * A substitution value whose type and size are checked now and whose content is decoded when it
 * is read (see LazyValue); errors in the content surface then, as EvtxFormatError.
 */
export function lazyValue(buf: Buffer, type: number, p: number, size: number, life: ChunkLife): Value {
  if (p + size > buf.length) throw new EvtxFormatError(`value runs past the chunk (type 0x${type.toString(16)}, ${size} bytes)`);
  switch (type) {
    case VT.Null:
      return EMPTY;
    case VT.BinXml:
      return { type, v: { start: p, end: p + size } };
    case VT.String:
    case VT.AnsiString:
    case VT.Binary:
    case VT.Sid:
      return new LazyValue(type, buf, p, size, life);
    case VT.SizeT:
      if (size !== 4 && size !== 8) throw new EvtxFormatError(`SizeT of ${size} bytes`);
      return new LazyValue(type, buf, p, size, life);
    case VT.EvtHandle:
    case VT.EvtXml:
      throw new EvtxFormatError(`value type 0x${type.toString(16)} is not supported`);
    default:
      break;
  }
  if (type & VT.Array) {
    const item = type & 0x7f;
    if (item !== VT.String && item !== VT.Sid && FIXED_SIZE[item] === undefined) throw new EvtxFormatError(`array of value type 0x${item.toString(16)} is not supported`);
    return new LazyValue(type, buf, p, size, life);
  }
  const fixed = FIXED_SIZE[type];
  if (fixed === undefined) throw new EvtxFormatError(`unknown value type 0x${type.toString(16)}`);
  if (size < fixed) throw new EvtxFormatError(`value of type 0x${type.toString(16)} is ${size} bytes, needs ${fixed}`);
  return new LazyValue(type, buf, p, size, life);
}

function decodeArray(buf: Buffer, item: number, p: number, end: number): Scalar[] {
  const out: Scalar[] = [];
  if (item === VT.String) {
    // NUL-terminated UTF-16 strings back to back.
    const s = buf.toString('utf16le', p, p + ((end - p) & ~1));
    const parts = s.split('\0');
    if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
    return parts;
  }
  if (item === VT.Sid) {
    let q = p;
    while (q < end) {
      const { s, len } = sidAt(buf, q, end);
      out.push(s);
      q += len;
    }
    return out;
  }
  const size = FIXED_SIZE[item];
  if (size === undefined) throw new EvtxFormatError(`array of value type 0x${item.toString(16)} is not supported`);
  for (let q = p; q + size <= end; q += size) out.push(scalarAt(buf, item, q, size));
  return out;
}

/** A 0x05 value token's value: `u16 count + UTF-16` for strings, fixed-size types as such. */
export function decodeUnsizedValue(buf: Buffer, type: number, p: number, limit: number): { value: Value; next: number } {
  if (type === VT.String) {
    if (p + 2 > limit) throw new EvtxFormatError('value token runs past its fragment');
    const n = buf.readUInt16LE(p);
    const end = p + 2 + 2 * n;
    if (end > limit) throw new EvtxFormatError('value token string runs past its fragment');
    return { value: { type, v: buf.toString('utf16le', p + 2, end) }, next: end };
  }
  const fixed = FIXED_SIZE[type];
  if (fixed === undefined) throw new EvtxFormatError(`value token of type 0x${type.toString(16)} is not supported`);
  if (p + fixed > limit) throw new EvtxFormatError('value token runs past its fragment');
  return { value: { type, v: scalarAt(buf, type, p, fixed) }, next: p + fixed };
}

/** The value as text, as it appears when concatenated or written as XML. */
export function valueText(v: Scalar): string {
  if (v === null) return '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return String(v);
}

/** Empty in the sense of optional substitutions: nothing to show. */
export function isEmptyValue(val: Value): boolean {
  if (val.type === VT.Null) return true;
  const v = val.v;
  if (v === null || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object' && v !== null && 'start' in v) return v.end <= v.start;
  return false;
}
