// Organisations: who they are, what address ranges and domains they own (the attribution keys and
// the scan scope), their API tokens, and the summary columns the dashboard filters on.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { randomSecret, sha256Hex } from '../auth/secrets.js';
import { type Database, REMEDIATION } from '../db/schema.js';
import { cidrToRange, ipToHex } from '../ip.js';
import { audit } from './audit.js';

export interface Contact {
  name?: string;
  email: string;
  phone?: string;
}

export interface NewOrganisation {
  name: string;
  sector?: string | null;
  country?: string | null;
  contacts?: Contact[];
  abuse?: string[];
  ranges?: string[];
  domains?: string[];
}

export class InvalidInput extends Error {}

export const TOKEN_PREFIX = 'exo_';

export function normaliseDomain(d: string): string | undefined {
  const v = d.trim().toLowerCase().replace(/^\*\./, '').replace(/\.$/, '');
  return /^(?!-)[a-z0-9-]{1,63}(\.(?!-)[a-z0-9-]{1,63})+$/.test(v) ? v : undefined;
}

function checkedRanges(ranges: readonly string[]): ReturnType<typeof cidrToRange>[] {
  return ranges.map((r) => {
    const range = cidrToRange(r);
    if (!range) throw new InvalidInput(`"${r}" is not an address or CIDR range such as 192.0.2.0/24 or 2001:db8::/48`);
    return range;
  });
}

function checkedDomains(domains: readonly string[]): string[] {
  return domains.map((d) => {
    const v = normaliseDomain(d);
    if (!v) throw new InvalidInput(`"${d}" is not a domain name such as example.org`);
    return v;
  });
}

const EMAIL = /^[^\s@<>"(),;:]+@[^\s@<>"(),;:]+\.[^\s@<>"(),;:]+$/;

export function checkEmail(e: string): string {
  const v = e.trim();
  if (!EMAIL.test(v) || v.length > 254) throw new InvalidInput(`"${e}" is not an e-mail address`);
  return v;
}

/** Creates the organisation and its first API token; returns both (the token is shown only once). */
export async function createOrganisation(db: Kysely<Database>, o: NewOrganisation, actor: string, now = new Date()): Promise<{ id: string; token: string }> {
  const name = o.name.trim();
  if (name === '' || name.length > 300) throw new InvalidInput('an organisation needs a name of 1 to 300 characters');
  const ranges = checkedRanges(o.ranges ?? []);
  const domains = checkedDomains(o.domains ?? []);
  const abuse = (o.abuse ?? []).map(checkEmail);
  const contacts = (o.contacts ?? []).map((c) => ({ ...c, email: checkEmail(c.email) }));
  const id = randomUUID();
  const token = randomSecret(TOKEN_PREFIX);
  const at = now.toISOString();
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('organisations').values({ id, name, sector: o.sector ?? null, country: o.country ?? null, contacts: JSON.stringify(contacts), abuse: JSON.stringify(abuse), status: 'clear', servers: 0, vulnerable: 0, compromised: 0, created_at: at, updated_at: at }).execute();
    if (ranges.length > 0) await trx.insertInto('org_ranges').values(ranges.map((r) => ({ org_id: id, cidr: r!.cidr, start_hex: r!.start, end_hex: r!.end }))).execute();
    if (domains.length > 0) await trx.insertInto('org_domains').values([...new Set(domains)].map((domain) => ({ org_id: id, domain }))).execute();
    await trx.insertInto('org_tokens').values({ id: randomUUID(), org_id: id, token_hash: sha256Hex(token), label: 'created with the organisation', created_at: at, revoked_at: null }).execute();
    await audit(trx, { actor, action: 'create', entity: 'organisation', entityId: id, detail: { name, ranges: ranges.map((r) => r!.cidr), domains, abuse } }, now);
  });
  return { id, token };
}

/** The organisation a bearer token belongs to, or undefined (unknown or revoked). */
export async function organisationForToken(db: Kysely<Database>, token: string): Promise<string | undefined> {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined;
  const row = await db.selectFrom('org_tokens').select('org_id').where('token_hash', '=', sha256Hex(token)).where('revoked_at', 'is', null).executeTakeFirst();
  return row?.org_id;
}

/** Attribution by address: the most specific registered range that holds ip. */
export async function organisationForAddress(db: Kysely<Database>, ip: string): Promise<string | undefined> {
  const hex = ipToHex(ip);
  if (!hex) return undefined;
  const row = await db.selectFrom('org_ranges').select('org_id').where('start_hex', '<=', hex).where('end_hex', '>=', hex).orderBy('start_hex', 'desc').orderBy('end_hex', 'asc').limit(1).executeTakeFirst();
  return row?.org_id;
}

/** Attribution by host name: the longest registered domain the name is in. */
export async function organisationForHostname(db: Kysely<Database>, hostname: string): Promise<string | undefined> {
  const labels = hostname.trim().toLowerCase().replace(/\.$/, '').split('.');
  const suffixes = labels.slice(0, -1).map((_, i) => labels.slice(i).join('.'));
  if (suffixes.length === 0) return undefined;
  const rows = await db.selectFrom('org_domains').select(['org_id', 'domain']).where('domain', 'in', suffixes).execute();
  rows.sort((a, b) => b.domain.length - a.domain.length);
  return rows[0]?.org_id;
}

/** Address first (it is what was scanned), then host name. */
export async function attribute(db: Kysely<Database>, ip: string | null | undefined, hostname: string | null | undefined): Promise<string | undefined> {
  return (ip ? await organisationForAddress(db, ip) : undefined) ?? (hostname ? await organisationForHostname(db, hostname) : undefined);
}

/** The organisation's registered ranges: attribution keys and its scan scope. */
export async function rangesOf(db: Kysely<Database>, orgId: string): Promise<string[]> {
  const rows = await db.selectFrom('org_ranges').select('cidr').where('org_id', '=', orgId).orderBy('start_hex').execute();
  return rows.map((r) => r.cidr);
}

/**
 * Recomputes the summary columns the organisations table filters on: server counts and the least
 * advanced remediation status among servers with a problem ('clear' when none has one).
 */
export async function refreshOrganisationSummary(db: Kysely<Database>, orgId: string, now = new Date()): Promise<void> {
  const rows = await db.selectFrom('servers').select(['status', 'vulnerable', 'compromised']).where('org_id', '=', orgId).execute();
  let status = 'clear';
  let rank: number = REMEDIATION.length;
  for (const r of rows) {
    if (!r.vulnerable && !r.compromised) continue;
    const i = REMEDIATION.indexOf(r.status);
    if (i < rank) {
      rank = i;
      status = r.status;
    }
  }
  await db.updateTable('organisations').set({
    servers: rows.length,
    vulnerable: rows.filter((r) => r.vulnerable).length,
    compromised: rows.filter((r) => r.compromised).length,
    status,
    updated_at: now.toISOString(),
  }).where('id', '=', orgId).execute();
}
