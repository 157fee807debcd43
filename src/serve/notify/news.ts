// What an organisation has not been told yet. Every piece of news has a stable key, so "already
// told" is a row in notified_news: a vulnerable server keys on its address and CVE set (a new CVE
// set is new news), a compromised server on its address, a hunt report that shows an attack on its
// id. Keys already in notified_news are left out.
import type { Kysely } from 'kysely';
import type { Database, RemediationStatus } from '../db/schema.js';

/** Hunt verdicts worth telling an organisation about. */
export const ALERT_VERDICTS = ['COMPROMISED', 'EXPLOITATION ATTEMPTED'] as const;

export type NewsKind = 'compromised' | 'report' | 'vulnerable';

export interface NewsReport {
  id: string;
  verdict: string;
  summary: string;
  /** The host name the report names, if any. */
  host: string | null;
  uploadedAt: string;
}

export interface NewsItem {
  orgId: string;
  key: string;
  kind: NewsKind;
  serverId: string | null;
  address: string | null;
  hostname: string | null;
  port: number | null;
  build: string | null;
  product: string | null;
  cves: string[];
  firstSeen: string | null;
  lastSeen: string | null;
  status: RemediationStatus | null;
  /** The web shell's address, from the latest compromised observation that recorded one. */
  url: string | null;
  report?: NewsReport;
}

export interface NewsRef {
  orgId: string;
  key: string;
}

// Bound parameter lists stay far below SQLite's and PostgreSQL's limits.
const CHUNK = 500;

export function chunks<T>(xs: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** servers.cves (space-separated) as a sorted list without duplicates. */
function cveList(spaceSeparated: string): string[] {
  return [...new Set(spaceSeparated.split(/\s+/).filter((c) => c !== ''))].sort();
}

export function vulnerableKey(address: string, cves: readonly string[]): string {
  return `vulnerable:${address}:${[...cves].sort().join('+')}`;
}

export function compromisedKey(address: string): string {
  return `compromised:${address}`;
}

export function reportKey(reportId: string): string {
  return `report:${reportId}`;
}

const KIND_ORDER: Record<NewsKind, number> = { compromised: 0, report: 1, vulnerable: 2 };

function byOrgThenWeight(a: NewsItem, b: NewsItem): number {
  return a.orgId.localeCompare(b.orgId) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || (a.address ?? '').localeCompare(b.address ?? '') || a.key.localeCompare(b.key);
}

async function shellUrls(db: Kysely<Database>, serverIds: readonly string[]): Promise<Map<string, string>> {
  const urls = new Map<string, string>();
  for (const ids of chunks(serverIds)) {
    const rows = await db.selectFrom('observations').select(['server_id', 'url']).where('server_id', 'in', ids).where('compromised', '=', 1).where('url', 'is not', null)
      .orderBy('observed_at', 'desc').orderBy('id', 'desc').execute();
    for (const r of rows) if (!urls.has(r.server_id)) urls.set(r.server_id, r.url!);
  }
  return urls;
}

async function serverNews(db: Kysely<Database>, orgIds: readonly string[] | undefined): Promise<NewsItem[]> {
  let q = db.selectFrom('servers').selectAll().where((eb) => eb.or([eb('vulnerable', '=', 1), eb('compromised', '=', 1)]));
  q = orgIds ? q.where('org_id', 'in', orgIds) : q.where('org_id', 'is not', null);
  const rows = await q.execute();
  const urls = await shellUrls(db, rows.filter((r) => r.compromised).map((r) => r.id));
  const items: NewsItem[] = [];
  for (const s of rows) {
    const base = {
      orgId: s.org_id!, serverId: s.id, address: s.address, hostname: s.hostname, port: s.port, build: s.build, product: s.product,
      cves: cveList(s.cves), firstSeen: s.first_seen, lastSeen: s.last_seen, status: s.status,
    };
    if (s.compromised) items.push({ ...base, kind: 'compromised', key: compromisedKey(s.address), url: urls.get(s.id) ?? null });
    if (s.vulnerable) items.push({ ...base, kind: 'vulnerable', key: vulnerableKey(s.address, base.cves), url: null });
  }
  return items;
}

async function reportNews(db: Kysely<Database>, orgIds: readonly string[] | undefined): Promise<NewsItem[]> {
  let q = db.selectFrom('reports').leftJoin('servers', 'servers.id', 'reports.server_id')
    .select(['reports.id', 'reports.org_id', 'reports.server_id', 'reports.verdict', 'reports.summary', 'reports.host', 'reports.uploaded_at',
      'servers.address', 'servers.hostname', 'servers.port', 'servers.build', 'servers.product', 'servers.cves', 'servers.first_seen', 'servers.last_seen', 'servers.status'])
    .where('reports.verdict', 'in', ALERT_VERDICTS);
  if (orgIds) q = q.where('reports.org_id', 'in', orgIds);
  const rows = await q.execute();
  return rows.map((r): NewsItem => ({
    orgId: r.org_id, key: reportKey(r.id), kind: 'report', serverId: r.server_id, address: r.address, hostname: r.hostname ?? r.host, port: r.port,
    build: r.build, product: r.product, cves: cveList(r.cves ?? ''), firstSeen: r.first_seen, lastSeen: r.last_seen, status: r.status, url: null,
    report: { id: r.id, verdict: r.verdict, summary: r.summary, host: r.host, uploadedAt: r.uploaded_at },
  }));
}

async function notifiedKeys(db: Kysely<Database>, orgIds: readonly string[] | undefined): Promise<Set<string>> {
  let q = db.selectFrom('notified_news').select(['org_id', 'news_key']);
  if (orgIds) q = q.where('org_id', 'in', orgIds);
  return new Set((await q.execute()).map((r) => `${r.org_id}\n${r.news_key}`));
}

/**
 * The news not yet told to each organisation (all organisations when orgIds is undefined), sorted by
 * organisation, then compromise before hunt reports before vulnerabilities.
 */
export async function newsFor(db: Kysely<Database>, orgIds?: readonly string[]): Promise<NewsItem[]> {
  if (orgIds && orgIds.length === 0) return [];
  const groups = orgIds ? chunks(orgIds) : [undefined];
  const items: NewsItem[] = [];
  for (const ids of groups) {
    const told = await notifiedKeys(db, ids);
    const fresh = [...(await serverNews(db, ids)), ...(await reportNews(db, ids))].filter((n) => !told.has(`${n.orgId}\n${n.key}`));
    items.push(...fresh);
  }
  return items.sort(byOrgThenWeight);
}
