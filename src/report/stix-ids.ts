// Deterministic STIX identifiers and timestamps. Cyber-observables (SCOs) follow the STIX 2.1 rule
// (part 1, section 2.9): UUIDv5 in the namespace 00abedb4-aa42-466c-9c01-fed23315a9b7 over the
// RFC 8785 canonical JSON of the object's ID-contributing properties, so that every producer names
// the same address or file alike. Domain and relationship objects use UUIDv5 in exhunt's own
// namespace over a stable key. Evidence (attacker-controlled) only ever enters an id through a hash.
import { createHash } from 'node:crypto';

const SCO_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7';
const EXHUNT_NAMESPACE = 'e3fe267a-d417-433d-9151-2a84bc91e16c';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** RFC 4122 name-based UUID, version 5 (SHA-1). */
export function uuidv5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new Error(`uuidv5: namespace "${namespace}" is not a UUID`);
  const b = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const x = b.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** RFC 8785 (JCS): members sorted by UTF-16 code units, no whitespace, ECMAScript string and number forms. */
export function canonicalJson(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** `type--uuid` of an SCO from its ID-contributing properties (absent ones left out). */
export function scoId(type: string, contributing: Record<string, Json | undefined>): string {
  const present: Record<string, Json> = {};
  for (const [k, v] of Object.entries(contributing)) if (v !== undefined) present[k] = v;
  return `${type}--${uuidv5(SCO_NAMESPACE, canonicalJson(present))}`;
}

/** `type--uuid` of an SDO or SRO from a key that is stable across runs (a finding id, a CVE…). */
export function sdoId(type: string, key: string): string {
  return `${type}--${uuidv5(EXHUNT_NAMESPACE, `${type}\n${key}`)}`;
}

/** An ISO-8601 time in the STIX form `YYYY-MM-DDTHH:MM:SS.sssZ`, or undefined when it is not a time STIX can write. */
export function stixTime(iso: string | undefined): string | undefined {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return undefined;
  const year = new Date(ms).getUTCFullYear();
  // toISOString writes years outside 0000–9999 as ±YYYYYY, which the STIX timestamp form has no room for.
  return year >= 0 && year <= 9999 ? new Date(ms).toISOString() : undefined;
}
