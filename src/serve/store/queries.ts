// The reads behind the API and the dashboard. Every list is paged; every filter is a bound value.
import { type Kysely, sql } from 'kysely';
import { type Database, REMEDIATION, type RemediationStatus } from '../db/schema.js';
import { forgetServerNews } from '../notify/news.js';
import { audit } from './audit.js';
import { refreshOrganisationSummary } from './orgs.js';

export interface PageOpts {
  limit?: number | undefined;
  offset?: number | undefined;
}

function paging(p: PageOpts): { limit: number; offset: number } {
  return { limit: Math.min(500, p.limit ?? 50), offset: p.offset ?? 0 };
}

function list(text: string): string[] {
  return text === '' ? [] : text.split(' ');
}

function json<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export interface OrgFilter extends PageOpts {
  status?: string | undefined;
  q?: string | undefined;
  country?: string | undefined;
  sector?: string | undefined;
  problem?: 'vulnerable' | 'compromised' | undefined;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The organisations that pass the filter: one definition for the API list and the dashboard table. */
export function filteredOrganisations(db: Kysely<Database>, f: OrgFilter) {
  let q = db.selectFrom('organisations');
  if (f.status) q = q.where('status', '=', f.status);
  if (f.country) q = q.where('country', '=', f.country.toUpperCase());
  if (f.sector) q = q.where('sector', '=', f.sector);
  if (f.problem === 'vulnerable') q = q.where('vulnerable', '>', 0);
  if (f.problem === 'compromised') q = q.where('compromised', '>', 0);
  if (f.q) q = q.where((eb) => eb(eb.fn('lower', ['name']), 'like', `%${escapeLike(f.q!.toLowerCase())}%`));
  return q;
}

export async function organisationPage(db: Kysely<Database>, f: OrgFilter) {
  const { limit, offset } = paging(f);
  const q = filteredOrganisations(db, f);
  const { total } = await q.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const rows = await q.selectAll().orderBy('compromised', 'desc').orderBy('vulnerable', 'desc').orderBy('name').orderBy('id').limit(limit).offset(offset).execute();
  return { total: Number(total), items: rows.map(orgOut) };
}

function orgOut(r: Database['organisations']) {
  return { ...r, abuse: json<string[]>(r.abuse, []), contacts: json<{ email: string }[]>(r.contacts, []) };
}

export async function organisationDetail(db: Kysely<Database>, id: string) {
  const r = await db.selectFrom('organisations').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) return undefined;
  const ranges = await db.selectFrom('org_ranges').select('cidr').where('org_id', '=', id).orderBy('start_hex').execute();
  const domains = await db.selectFrom('org_domains').select('domain').where('org_id', '=', id).orderBy('domain').execute();
  return { ...orgOut(r), ranges: ranges.map((x) => x.cidr), domains: domains.map((x) => x.domain) };
}

export function serverOut(r: Database['servers']) {
  return { ...r, cves: list(r.cves), vulnerable: r.vulnerable === 1, compromised: r.compromised === 1 };
}

export async function serversOf(db: Kysely<Database>, orgId: string, p: PageOpts) {
  const { limit, offset } = paging(p);
  const base = db.selectFrom('servers').where('org_id', '=', orgId);
  const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const rows = await base.selectAll().orderBy('compromised', 'desc').orderBy('vulnerable', 'desc').orderBy('address').limit(limit).offset(offset).execute();
  return { total: Number(total), items: rows.map(serverOut) };
}

const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low', 'info'];

export async function findingsOf(db: Kysely<Database>, orgId: string, p: PageOpts) {
  const { limit, offset } = paging(p);
  const base = db.selectFrom('findings').where('org_id', '=', orgId);
  const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const rows = await base.select(['id', 'report_id', 'server_id', 'rule', 'title', 'severity', 'stage', 'cves', 'first_seen', 'last_seen', 'count', 'summary'])
    .orderBy((eb) => eb.case().when('severity', '=', 'critical').then(0).when('severity', '=', 'high').then(1).when('severity', '=', 'medium').then(2).when('severity', '=', 'low').then(3).else(4).end())
    .orderBy('first_seen').orderBy('id').limit(limit).offset(offset).execute();
  return { total: Number(total), items: rows.map((r) => ({ ...r, cves: list(r.cves) })) };
}

export { SEVERITY_ORDER };

export async function reportsOf(db: Kysely<Database>, orgId: string, p: PageOpts) {
  const { limit, offset } = paging(p);
  const base = db.selectFrom('reports').where('org_id', '=', orgId);
  const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const items = await base.select(['id', 'server_id', 'host', 'verdict', 'summary', 'schema_version', 'size', 'uploaded_at']).orderBy('uploaded_at', 'desc').orderBy('id').limit(limit).offset(offset).execute();
  return { total: Number(total), items };
}

export async function historyOf(db: Kysely<Database>, orgId: string, p: PageOpts) {
  const { limit, offset } = paging(p);
  const base = db.selectFrom('remediation_history').innerJoin('servers', 'servers.id', 'remediation_history.server_id').where('remediation_history.org_id', '=', orgId);
  const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const items = await base.select(['remediation_history.server_id', 'servers.address', 'from_status', 'to_status', 'at', 'actor', 'note'])
    .orderBy('at', 'desc').orderBy('remediation_history.id', 'desc').limit(limit).offset(offset).execute();
  return { total: Number(total), items };
}

/** A person's status change, with history, audit and the organisation's summary refreshed. */
export async function setServerStatus(db: Kysely<Database>, serverId: string, status: RemediationStatus, actor: string, note: string, now = new Date()): Promise<void> {
  if (!REMEDIATION.includes(status)) throw new Error(`unknown status ${status}`);
  await db.transaction().execute(async (trx) => {
    const s = await trx.selectFrom('servers').select(['org_id', 'status', 'address']).where('id', '=', serverId).executeTakeFirstOrThrow();
    if (s.status === status || s.org_id === null) return;
    // Verified is the CERT's word that the server is clean; it ends the compromise flag a scan cannot clear.
    await trx.updateTable('servers').set(status === 'verified' ? { status, compromised: 0 } : { status }).where('id', '=', serverId).execute();
    // Verified clean: a later compromise or CVE of this server is news again.
    if (status === 'verified') await forgetServerNews(trx, s.org_id, s.address);
    await trx.insertInto('remediation_history').values({ org_id: s.org_id, server_id: serverId, from_status: s.status, to_status: status, at: now.toISOString(), actor, note }).execute();
    await audit(trx, { actor, action: 'set-status', entity: 'server', entityId: serverId, detail: { from: s.status, to: status, note } }, now);
    await refreshOrganisationSummary(trx, s.org_id, now);
  });
}

/** Vulnerable servers per day and CVE over the last `days` days (the exposure chart). */
export async function exposureByDay(db: Kysely<Database>, days: number, now = new Date()) {
  const since = new Date(now.getTime() - days * 86_400_000).toISOString().slice(0, 10);
  const today = now.toISOString().slice(0, 10);
  return db.selectFrom('exposure_counts').select(['day', 'cve', 'servers']).where('day', '>=', since).where('day', '<=', today).orderBy('day').orderBy('cve').execute();
}

/** Findings by rule over all organisations (the "findings by type" view), with the rule's most severe rating. */
export async function findingsByType(db: Kysely<Database>) {
  const rank = sql<number>`max(case severity when 'critical' then 4 when 'high' then 3 when 'medium' then 2 when 'low' then 1 else 0 end)`;
  const rows = await db.selectFrom('findings')
    .select((eb) => ['rule', eb.fn.max('title').as('title'), rank.as('rank'), eb.fn.countAll<number>().as('findings'), eb.fn.count<number>('org_id').distinct().as('organisations')])
    .groupBy('rule').orderBy('findings', 'desc').orderBy('rule').limit(200).execute();
  return rows.map(({ rank: r, ...rest }) => ({ ...rest, severity: SEVERITY_ORDER[4 - Number(r)]!, findings: Number(rest.findings), organisations: Number(rest.organisations) }));
}

/** Organisations per status (the dashboard's headline counts). */
export async function statusCounts(db: Kysely<Database>) {
  const rows = await db.selectFrom('organisations').select((eb) => ['status', eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])) as Record<string, number>;
}
