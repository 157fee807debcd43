// What an organisation has not been told yet. Every piece of news has a stable key, so "already
// told" is a row in notified_news: a vulnerable server keys on its address and each CVE
// (vulnerable:ADDRESS:CVE, so a CVE is told once whatever set it was seen in, and a new CVE is new
// news), a compromised server on its address, a hunt report that shows an attack on its id. Keys
// already in notified_news are left out. forgetServerNews releases a server's keys once it is
// clean again, so that a new compromise or vulnerability is news again.
import { type Kysely, sql } from 'kysely';
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
  /**
   * Identifies the item: its notified_news key for a compromise or a hunt report; for a vulnerable
   * server `vulnerable:ADDRESS`, which is never stored (its stored keys are in `keys`).
   */
  key: string;
  /** The notified_news keys this item tells: one, or one per new CVE for a vulnerable server. */
  keys: string[];
  kind: NewsKind;
  serverId: string | null;
  address: string | null;
  hostname: string | null;
  port: number | null;
  build: string | null;
  product: string | null;
  /** For a vulnerable server the CVEs not told yet (what this item is news about); else the server's CVEs. */
  cves: string[];
  /** For a vulnerable server the CVEs it still has that were told before (context); else empty. */
  cvesTold: string[];
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

/**
 * The key for one CVE of a vulnerable server. A server marked vulnerable without a known CVE keys
 * on the empty CVE (`vulnerable:ADDRESS:`).
 */
export function vulnerableKey(address: string, cve: string): string {
  return `${vulnerablePrefix(address)}${cve}`;
}

function vulnerablePrefix(address: string): string {
  return `vulnerable:${address}:`;
}

/** The item key of a vulnerable server (never stored in notified_news). */
function vulnerableItemKey(address: string): string {
  return `vulnerable:${address}`;
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

async function serverNews(db: Kysely<Database>, orgIds: readonly string[] | undefined, told: ReadonlySet<string>): Promise<NewsItem[]> {
  let q = db.selectFrom('servers').selectAll().where((eb) => eb.or([eb('vulnerable', '=', 1), eb('compromised', '=', 1)]));
  q = orgIds ? q.where('org_id', 'in', orgIds) : q.where('org_id', 'is not', null);
  const rows = await q.execute();
  const urls = await shellUrls(db, rows.filter((r) => r.compromised).map((r) => r.id));
  const items: NewsItem[] = [];
  for (const s of rows) {
    const base = {
      orgId: s.org_id!, serverId: s.id, address: s.address, hostname: s.hostname, port: s.port, build: s.build, product: s.product,
      cves: cveList(s.cves), cvesTold: [], firstSeen: s.first_seen, lastSeen: s.last_seen, status: s.status,
    };
    if (s.compromised) {
      const key = compromisedKey(s.address);
      if (!told.has(`${base.orgId}\n${key}`)) items.push({ ...base, kind: 'compromised', key, keys: [key], url: urls.get(s.id) ?? null });
    }
    if (s.vulnerable) {
      const all = base.cves.length > 0 ? base.cves : [''];
      const fresh = all.filter((c) => !told.has(`${base.orgId}\n${vulnerableKey(s.address, c)}`));
      if (fresh.length === 0) continue;
      items.push({
        ...base, kind: 'vulnerable', key: vulnerableItemKey(s.address), keys: fresh.map((c) => vulnerableKey(s.address, c)),
        cves: fresh.filter((c) => c !== ''), cvesTold: base.cves.filter((c) => !fresh.includes(c)), url: null,
      });
    }
  }
  return items;
}

/**
 * The item restricted to the given keys (those a run claimed), or undefined when it holds none of
 * them. A vulnerable server's CVEs whose keys are left out count as told (another run tells them).
 */
export function narrowNews(n: NewsItem, keys: ReadonlySet<string>): NewsItem | undefined {
  const kept = n.keys.filter((k) => keys.has(k));
  if (kept.length === 0) return undefined;
  if (kept.length === n.keys.length) return n;
  if (n.kind !== 'vulnerable' || n.address === null) return { ...n, keys: kept };
  const address = n.address;
  const cves = n.cves.filter((c) => kept.includes(vulnerableKey(address, c)));
  return { ...n, keys: kept, cves, cvesTold: [...n.cvesTold, ...n.cves.filter((c) => !cves.includes(c))].sort() };
}

async function reportNews(db: Kysely<Database>, orgIds: readonly string[] | undefined, told: ReadonlySet<string>): Promise<NewsItem[]> {
  let q = db.selectFrom('reports').leftJoin('servers', 'servers.id', 'reports.server_id')
    .select(['reports.id', 'reports.org_id', 'reports.server_id', 'reports.verdict', 'reports.summary', 'reports.host', 'reports.uploaded_at',
      'servers.address', 'servers.hostname', 'servers.port', 'servers.build', 'servers.product', 'servers.cves', 'servers.first_seen', 'servers.last_seen', 'servers.status'])
    .where('reports.verdict', 'in', ALERT_VERDICTS);
  if (orgIds) q = q.where('reports.org_id', 'in', orgIds);
  const rows = (await q.execute()).filter((r) => !told.has(`${r.org_id}\n${reportKey(r.id)}`));
  return rows.map((r): NewsItem => ({
    orgId: r.org_id, key: reportKey(r.id), keys: [reportKey(r.id)], kind: 'report', serverId: r.server_id, address: r.address, hostname: r.hostname ?? r.host, port: r.port,
    build: r.build, product: r.product, cves: cveList(r.cves ?? ''), cvesTold: [], firstSeen: r.first_seen, lastSeen: r.last_seen, status: r.status, url: null,
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
    items.push(...(await serverNews(db, ids, told)), ...(await reportNews(db, ids, told)));
  }
  return items.sort(byOrgThenWeight);
}

const CLAIM_PATTERN = 'claim:%';

/** `\`, `%` and `_` escaped for a LIKE … ESCAPE '\' pattern. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Forgets what the organisation was told about the server at this address (its compromise and each
 * of its CVEs), so that a compromise or vulnerability seen after it was verified clean, or reopened,
 * is news again. Hunt reports keep their keys: a new report is new news anyway. Claims of a send in
 * progress (notification_id 'claim:…') are left alone. Returns how many keys were forgotten.
 */
export async function forgetServerNews(db: Kysely<Database>, orgId: string, address: string): Promise<number> {
  const prefix = vulnerablePrefix(address);
  // LIKE narrows the rows (case-insensitively on SQLite); the exact check leaves out another address
  // this one is a prefix of (IPv6: 2001:db8::1 and 2001:db8::1:5), as a CVE holds no ':'. No
  // transaction of its own, so that a caller can pass its own (a Kysely Transaction).
  const candidates = await db.selectFrom('notified_news').select('news_key').where('org_id', '=', orgId)
    .where(sql<boolean>`news_key like ${`${likeLiteral(prefix)}%`} escape '\\'`).where('notification_id', 'not like', CLAIM_PATTERN).execute();
  const keys = [compromisedKey(address), ...candidates.map((r) => r.news_key).filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes(':'))];
  let forgotten = 0;
  for (const part of chunks(keys)) {
    const r = await db.deleteFrom('notified_news').where('org_id', '=', orgId).where('news_key', 'in', part).where('notification_id', 'not like', CLAIM_PATTERN).executeTakeFirst();
    forgotten += Number(r.numDeletedRows);
  }
  return forgotten;
}
