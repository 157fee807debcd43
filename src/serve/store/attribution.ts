// Attribution: which organisation owns a sighting, by address range, then by host-name domain.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { ipToHex } from '../ip.js';

export type Attribution = (address: string, hostname: string | null | undefined) => { org: string | null; holders: string[] };

/** The first `len` bits of a hex address, as a map key: whole hex digits, then the leftover bits. */
function prefixKey(hex: string, len: number): string {
  const digits = len >> 2;
  const rest = len & 3;
  return rest === 0 ? hex.slice(0, digits) : `${hex.slice(0, digits)}/${parseInt(hex[digits]!, 16) >> (4 - rest)}`;
}

/** How many leading bits two hex addresses share. */
function commonBits(a: string, b: string): number {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i === a.length ? i * 4 : i * 4 + Math.clz32(parseInt(a[i]!, 16) ^ parseInt(b[i]!, 16)) - 28;
}

/**
 * The attribution rule, loaded once per import: the ranges and domains are read once and looked
 * up in memory, because a query per address is a round trip each on PostgreSQL. The owner is the
 * organisation with the most specific range holding the address, else the one with the longest
 * registered domain of the host name. Ranges are CIDR blocks (cidrToRange), so the most specific
 * one is the longest matching bit prefix. `holders`: every organisation whose range holds it.
 */
export async function loadAttribution(db: Kysely<Database>): Promise<Attribution> {
  const byLength = new Map<number, Map<string, string>>();
  for (const r of await db.selectFrom('org_ranges').select(['org_id', 'start_hex', 'end_hex']).orderBy('id').execute()) {
    const len = commonBits(r.start_hex, r.end_hex);
    const blocks = byLength.get(len) ?? new Map<string, string>();
    byLength.set(len, blocks);
    const key = prefixKey(r.start_hex, len);
    if (!blocks.has(key)) blocks.set(key, r.org_id);
  }
  const lengths = [...byLength.keys()].sort((a, b) => b - a);
  const domains = new Map<string, string>();
  for (const d of await db.selectFrom('org_domains').select(['org_id', 'domain']).execute()) if (!domains.has(d.domain)) domains.set(d.domain, d.org_id);
  return (address, hostname) => {
    const hex = ipToHex(address)!;
    const holders = lengths.flatMap((len) => byLength.get(len)!.get(prefixKey(hex, len)) ?? []);
    if (holders.length > 0) return { org: holders[0]!, holders };
    const labels = (hostname ?? '').trim().toLowerCase().replace(/\.$/, '').split('.');
    for (let i = 0; i < labels.length - 1; i++) {
      const org = domains.get(labels.slice(i).join('.'));
      if (org) return { org, holders };
    }
    return { org: null, holders };
  };
}

