// The value modifiers of Sigma's modifiers appendix (v2.1), by family: which names exist, and the
// transformations that turn one rule value into the values actually compared (encodings, windash,
// placeholders). How the compared values become a test is in field.ts.
import { BlockList, isIP } from 'node:net';
import { RuleError } from './errors.js';

export const GENERIC = ['all', 'startswith', 'endswith', 'contains', 'exists', 'cased', 'neq'] as const;
export const STRING = ['windash', 're'] as const;
/** Regular-expression flags, with the long names pySigma also accepts. */
export const REGEX_FLAGS = ['i', 'm', 's', 'ignorecase', 'multiline', 'dotall'] as const;
export const ENCODING = ['base64', 'base64offset', 'utf16le', 'utf16be', 'utf16', 'wide'] as const;
export const NUMERIC = ['lt', 'lte', 'gt', 'gte'] as const;
export const TIME = ['minute', 'hour', 'day', 'week', 'month', 'year'] as const;
export const IP = ['cidr'] as const;
export const SPECIFIC = ['expand', 'fieldref'] as const;

export type NumericOp = (typeof NUMERIC)[number];
export type TimePart = (typeof TIME)[number];
export type Encoding = (typeof ENCODING)[number];

const KNOWN = new Set<string>([...GENERIC, ...STRING, ...REGEX_FLAGS, ...ENCODING, ...NUMERIC, ...TIME, ...IP, ...SPECIFIC]);

export function isKnownModifier(m: string): boolean {
  return KNOWN.has(m);
}

// ---- encodings -------------------------------------------------------------------------------

/** A value on its way through encoding modifiers: text until a UTF-16 modifier makes it bytes. */
export type Encoded = string | Buffer;

export function encode(value: Encoded, enc: Encoding): Encoded[] {
  const bytes = () => (typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
  switch (enc) {
    case 'utf16le':
    case 'wide':
      return [Buffer.from(text(value), 'utf16le')];
    case 'utf16be':
      return [Buffer.from(text(value), 'utf16le').swap16()];
    case 'utf16':
      return [Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text(value), 'utf16le')])];
    case 'base64':
      return [bytes().toString('base64')];
    case 'base64offset':
      return base64Offsets(bytes());
  }
}

function text(v: Encoded): string {
  return typeof v === 'string' ? v : v.toString('latin1');
}

/** Bytes left over after encoding are compared as one character per byte. */
export function encodedText(v: Encoded): string {
  return text(v);
}

/**
 * The three forms a byte string takes inside base64 depending on its offset modulo 3, each cut to
 * the characters that do not depend on the surrounding bytes (the well-known construction pySigma
 * and the Sigma converters use).
 */
function base64Offsets(b: Buffer): string[] {
  const out: string[] = [];
  const start = [0, 2, 3];
  const endCut = [0, 3, 2];
  for (let shift = 0; shift < 3; shift++) {
    const enc = Buffer.concat([Buffer.alloc(shift, 0x20), b]).toString('base64');
    const cut = endCut[(b.length + shift) % 3]!;
    out.push(enc.slice(start[shift]!, enc.length - cut));
  }
  return out.filter((s) => s.length > 0);
}

// ---- placeholders ----------------------------------------------------------------------------

/**
 * `expand`: `%name%` becomes each configured value (a value list multiplies out); `\%` is a plain
 * percent sign. A placeholder without configured values rejects the rule, as the specification
 * requires of a tool that cannot resolve it.
 */
export function expandPlaceholders(value: string, placeholders: Readonly<Record<string, readonly string[]>>): string[] {
  let results = [''];
  let i = 0;
  while (i < value.length) {
    const c = value[i]!;
    if (c === '\\' && value[i + 1] === '%') {
      results = results.map((r) => `${r}%`);
      i += 2;
      continue;
    }
    if (c === '%') {
      const end = value.indexOf('%', i + 1);
      if (end > i + 1) {
        const name = value.slice(i + 1, end);
        const values = placeholders[name] ?? placeholders[name.toLowerCase()];
        if (!values || values.length === 0) throw new RuleError(`placeholder %${name}% has no values (give them with --sigma-config)`);
        results = results.flatMap((r) => values.map((v) => r + v));
        i = end + 1;
        continue;
      }
    }
    results = results.map((r) => r + c);
    i++;
  }
  return results;
}

// ---- numbers and times -----------------------------------------------------------------------

/** An event value as a number: decimal, or hexadecimal with 0x; NaN for anything else. */
export function toNumber(v: string): number {
  const t = v.trim();
  if (t === '') return NaN;
  if (/^[+-]?0x[0-9a-f]+$/i.test(t)) return t.startsWith('-') ? -Number.parseInt(t.slice(3), 16) : Number.parseInt(t.replace(/^\+?0x/i, ''), 16);
  return Number(t);
}

export function compareNumber(op: NumericOp, a: number, b: number): boolean {
  switch (op) {
    case 'lt':
      return a < b;
    case 'lte':
      return a <= b;
    case 'gt':
      return a > b;
    case 'gte':
      return a >= b;
  }
}

const DATE = /(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{1,2}))?/;

/** ISO-8601 week number (1–53) of a calendar date. */
function isoWeek(y: number, m: number, d: number): number {
  const date = new Date(Date.UTC(y, m - 1, d));
  const day = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  return Math.ceil(((date.getTime() - yearStart) / 86_400_000 + 1) / 7);
}

/** The part of a date value as written (no time-zone conversion, as the appendix says); NaN if none. */
export function timePart(v: string, part: TimePart): number {
  const m = DATE.exec(v);
  if (!m) return NaN;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  switch (part) {
    case 'year':
      return y;
    case 'month':
      return mo;
    case 'day':
      return d;
    case 'week':
      return isoWeek(y, mo, d);
    case 'hour':
      return m[4] === undefined ? NaN : Number(m[4]);
    case 'minute':
      return m[5] === undefined ? NaN : Number(m[5]);
  }
}

// ---- IP ranges -------------------------------------------------------------------------------

/** `cidr`: IPv4 and IPv6 networks through Node's own BlockList. */
export function cidrTest(values: readonly string[]): (v: string) => boolean {
  const list = new BlockList();
  for (const raw of values) {
    const [net, bits, extra] = raw.trim().split('/');
    const family = isIP(net ?? '');
    const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
    const max = family === 6 ? 128 : 32;
    if (!family || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
      throw new RuleError(`'${raw}' is not a CIDR network (cidr modifier)`);
    }
    list.addSubnet(net!, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return (v) => {
    const ip = v.trim().replace(/^\[|\]$/g, '');
    const fam = isIP(ip);
    return fam !== 0 && list.check(ip, fam === 6 ? 'ipv6' : 'ipv4');
  };
}
