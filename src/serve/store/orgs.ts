// Organisations: who they are, what address ranges and domains they own (the attribution keys and
// the scan scope), their API tokens, and the summary columns the dashboard filters on.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { randomSecret, sha256Hex } from '../auth/secrets.js';
import { atomically } from '../db/connect.js';
import { type Database, type OrganisationTable, REMEDIATION, type ServerTable } from '../db/schema.js';
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

/** The organisation's registered ranges: attribution keys and its scan scope. */
export async function rangesOf(db: Kysely<Database>, orgId: string): Promise<string[]> {
  const rows = await db.selectFrom('org_ranges').select('cidr').where('org_id', '=', orgId).orderBy('start_hex').execute();
  return rows.map((r) => r.cidr);
}

/**
 * What an organisation may report on: addresses whose owner it is — its registered ranges, minus
 * the more specific ranges of others nested inside them (a provider's /16 holds its customers'
 * /24s, and the provider must not overwrite what is known about a customer's server).
 */
export async function organisationScope(db: Kysely<Database>, orgId: string): Promise<(address: string) => Promise<boolean>> {
  const own = (await rangesOf(db, orgId)).flatMap((c) => cidrToRange(c) ?? []);
  return async (address) => {
    const hex = ipToHex(address);
    if (hex === undefined || !own.some((r) => r.start <= hex && hex <= r.end)) return false;
    // Ranges are CIDR blocks: of those holding the address, the one starting last is the most specific.
    const owner = await db.selectFrom('org_ranges').select('org_id').where('start_hex', '<=', hex).where('end_hex', '>=', hex)
      .orderBy('start_hex', 'desc').orderBy('end_hex', 'asc').limit(1).executeTakeFirst();
    return owner?.org_id === orgId;
  };
}

/** Recomputes one organisation's summary columns (see refreshOrganisationSummaries). */
export function refreshOrganisationSummary(db: Kysely<Database>, orgId: string, now = new Date()): Promise<void> {
  return refreshOrganisationSummaries(db, [orgId], now);
}

type Summary = Pick<OrganisationTable, 'servers' | 'vulnerable' | 'compromised' | 'status'>;
type ServerState = Pick<ServerTable, 'status' | 'vulnerable' | 'compromised'>;

/**
 * The summary columns the organisations table filters on: server counts, and the least advanced
 * remediation status among servers with a problem ('clear' when none has one).
 */
function summarise(rows: readonly ServerState[]): Summary {
  const sum: Summary = { servers: rows.length, vulnerable: 0, compromised: 0, status: 'clear' };
  let rank: number = REMEDIATION.length;
  for (const r of rows) {
    sum.vulnerable += r.vulnerable ? 1 : 0;
    sum.compromised += r.compromised ? 1 : 0;
    if (!r.vulnerable && !r.compromised) continue;
    const i = REMEDIATION.indexOf(r.status);
    if (i < rank) [rank, sum.status] = [i, r.status];
  }
  return sum;
}

/**
 * Summaries for many organisations at once: a daily feed touches thousands, and two
 * queries and a write each cost more than the feed itself. Reads in batches, writes only the
 * organisations whose summary changed, in one transaction.
 */
export async function refreshOrganisationSummaries(db: Kysely<Database>, orgIds: readonly string[], now = new Date()): Promise<void> {
  for (let i = 0; i < orgIds.length; i += 1000) {
    const part = orgIds.slice(i, i + 1000);
    const servers = new Map<string, ServerState[]>(part.map((id) => [id, []]));
    for (const s of await db.selectFrom('servers').select(['org_id', 'status', 'vulnerable', 'compromised']).where('org_id', 'in', part).execute()) servers.get(s.org_id!)?.push(s);
    const current = await db.selectFrom('organisations').select(['id', 'servers', 'vulnerable', 'compromised', 'status']).where('id', 'in', part).execute();
    const changed = current.flatMap(({ id, ...was }) => {
      const sum = summarise(servers.get(id) ?? []);
      return sum.servers === was.servers && sum.vulnerable === was.vulnerable && sum.compromised === was.compromised && sum.status === was.status ? [] : [{ id, sum }];
    });
    await atomically(db, async (trx) => {
      for (const { id, sum } of changed) await trx.updateTable('organisations').set({ ...sum, updated_at: now.toISOString() }).where('id', '=', id).execute();
    });
  }
}

