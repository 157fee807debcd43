// Observations: one sighting of an Exchange server (a scan, a Shadowserver report row, a hunt) and
// what follows from it: the server's latest state, the per-day exposure counts the chart draws and
// the remediation changes the evidence proves. A national feed brings 100k rows a day, so rows are
// written in chunks, each chunk with a handful of multi-row statements in one transaction.
import { createHash, randomUUID } from 'node:crypto';
import type { ExpressionBuilder, Kysely, Selectable } from 'kysely';
import { atomically } from '../db/connect.js';
import { type Database, type RemediationStatus, type ServerTable } from '../db/schema.js';
import { hexToIp, ipToHex } from '../ip.js';
import { audit } from './audit.js';
import { forgetServerNews } from '../notify/news.js';
import { type Attribution, loadAttribution } from './attribution.js';
import { InvalidInput, refreshOrganisationSummaries } from './orgs.js';

export type ObservationSource = 'scan' | 'shadowserver' | 'hunt';

export interface ObservationInput {
  address: string;
  hostname?: string | null;
  port?: number | null;
  /** ISO-8601 with a zone (Z or an offset); stored as UTC. */
  observedAt: string;
  source: ObservationSource;
  tag: string;
  build?: string | null;
  product?: string | null;
  verdict?: string | null;
  vulnerable: boolean;
  compromised: boolean;
  cves: string[];
  url?: string | null;
  /** When set, attribute to this org without range lookup. */
  orgId?: string;
}

export interface RecordResult {
  /** New observations stored. */
  inserted: number;
  /** Rows already stored (same source, address, time, tag and URL): skipped. */
  duplicates: number;
  /** New observations that no organisation could be found for. */
  unmatched: number;
  /** Distinct servers the new observations are about. */
  servers: number;
  /** Organisations whose servers changed (their summaries were refreshed), sorted. */
  orgs: string[];
}

// Big enough that commits (a WAL checkpoint at times) are rare, small enough to keep memory flat.
const CHUNK = 5000;
/** Bound values per statement, under SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_PARAMS = 30_000;
const ZONED = /(Z|[+-]\d{2}:?\d{2})$/i;

type Server = Selectable<ServerTable>;

interface Prepared extends ObservationInput {
  key: string;
  day: string;
  /** What attribution found (rows without orgId), and the orgs with a range holding the address. */
  org: string | null;
  holders: readonly string[];
}


interface Context {
  actor: string;
  now: Date;
  /** Loaded on the first row that needs it: uploads by an organisation never do. */
  attribution?: Attribution;
  touched: Set<string>;
  servers: Set<string>;
  result: RecordResult;
}

function batches<T>(items: readonly T[], columns: number): T[][] {
  const size = Math.max(1, Math.floor(MAX_PARAMS / columns));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A CVE id as MITRE writes them; anything else in an upload's CVE list is dropped. */
const CVE_ID = /^CVE-\d{4}-\d{4,7}$/;
const MAX_CVES = 100;

function prepare(r: ObservationInput, i: number, nowMs: number): Prepared {
  const hex = ipToHex(r.address.trim());
  if (!hex) throw new InvalidInput(`observation ${i + 1}: "${r.address}" is not an IP address`);
  const t = Date.parse(r.observedAt);
  // A time without a zone would be read in the server's local time.
  if (Number.isNaN(t) || !ZONED.test(r.observedAt.trim())) throw new InvalidInput(`observation ${i + 1}: "${r.observedAt}" is not an ISO-8601 time with a zone`);
  // One spelling per address and time, so that the same sighting always has the same key.
  const address = hexToIp(hex);
  // A sighting from the future would stay "newest" forever and freeze the server's state (and
  // stretch the exposure chart): a time later than the service's clock is taken as now.
  const observedAt = new Date(Math.min(t, nowMs)).toISOString();
  const cves = [...new Set(r.cves.map((c) => c.trim().toUpperCase()).filter((c) => CVE_ID.test(c)))].slice(0, MAX_CVES);
  const key = createHash('sha256').update(`${r.source}|${address}|${observedAt}|${r.tag}|${r.url ?? ''}`).digest('base64url');
  return { ...r, address, observedAt, cves, key, day: observedAt.slice(0, 10), org: null, holders: [] };
}

function newServer(r: Prepared): Server {
  return {
    id: randomUUID(), org_id: null, address: r.address, hostname: null, port: null, build: null, product: null, verdict: null,
    cves: '', vulnerable: 0, compromised: 0, status: 'open', first_seen: r.observedAt, last_seen: r.observedAt,
  };
}

/** A sighting that could not tell (a scan that saw no build) says nothing about the server's state. */
function informative(r: Prepared): boolean {
  return r.vulnerable || r.compromised || r.verdict !== 'unknown';
}

/** Folds one observation (rows come in time order) into the server's state. */
function merge(s: Server, r: Prepared): void {
  if (r.observedAt < s.first_seen) s.first_seen = r.observedAt;
  const latest = r.observedAt >= s.last_seen;
  // A sighting that could not read the name, port or build does not erase what an earlier one read.
  if (r.hostname && (latest || !s.hostname)) s.hostname = r.hostname;
  if (r.port != null && (latest || s.port == null)) s.port = r.port;
  if (r.build && (latest || !s.build)) s.build = r.build;
  if (r.product && (latest || !s.product)) s.product = r.product;
  if (latest) s.last_seen = r.observedAt;
  if (latest && informative(r)) {
    // A version scan cannot see a web shell: only a hunt of the server itself clears "compromised"
    // (or an analyst who verifies it), never a later scan that merely did not look.
    const compromised = r.compromised ? 1 : r.source === 'hunt' ? 0 : s.compromised;
    Object.assign(s, { verdict: r.verdict ?? null, cves: r.cves.join(' '), vulnerable: r.vulnerable ? 1 : 0, compromised });
  }
  // An explicit org (its own upload) only claims a server nobody has. Attribution moves a server
  // only from an org whose own range holds it (a more specific range was registered since), never
  // away from an analyst's assignment or a domain match.
  if (r.orgId) s.org_id ??= r.orgId;
  else if (r.org && (s.org_id === null || r.holders.includes(s.org_id))) s.org_id = r.org;
}

/** Values for the server upsert: newer state wins even if another import wrote in between. */
function serverUpdate(eb: ExpressionBuilder<Database & { excluded: ServerTable }, 'servers' | 'excluded'>) {
  const newer = eb('excluded.last_seen', '>=', eb.ref('servers.last_seen'));
  const latest = <C extends 'build' | 'verdict' | 'cves' | 'vulnerable' | 'compromised' | 'last_seen'>(c: C) =>
    eb.case().when(newer).then(eb.ref(`excluded.${c}`)).else(eb.ref(`servers.${c}`)).end();
  const sticky = <C extends 'org_id' | 'hostname' | 'port' | 'product'>(c: C) => eb.fn.coalesce(eb.ref(`excluded.${c}`), eb.ref(`servers.${c}`));
  return {
    org_id: sticky('org_id'), hostname: sticky('hostname'), port: sticky('port'), product: sticky('product'),
    build: latest('build'), verdict: latest('verdict'), cves: latest('cves'), vulnerable: latest('vulnerable'), compromised: latest('compromised'), last_seen: latest('last_seen'),
    first_seen: eb.case().when('excluded.first_seen', '<', eb.ref('servers.first_seen')).then(eb.ref('excluded.first_seen')).else(eb.ref('servers.first_seen')).end(),
  };
}

async function recordChunk(db: Kysely<Database>, chunk: Prepared[], ctx: Context): Promise<void> {
  // Duplicates are dropped before anything is touched, so importing a file again changes nothing.
  const stored = await db.selectFrom('observations').select('dedupe_key').where('dedupe_key', 'in', chunk.map((r) => r.key)).execute();
  const seen = new Set(stored.map((s) => s.dedupe_key));
  const fresh: Prepared[] = [];
  for (const r of chunk) {
    if (seen.has(r.key)) ctx.result.duplicates++;
    else fresh.push(r);
    seen.add(r.key);
  }
  for (const r of fresh) if (!r.orgId) ({ org: r.org, holders: r.holders } = (ctx.attribution ??= await loadAttribution(db))(r.address, r.hostname));
  if (fresh.length === 0) return;
  fresh.sort((a, b) => (a.observedAt < b.observedAt ? -1 : a.observedAt > b.observedAt ? 1 : 0));
  const addresses = [...new Set(fresh.map((r) => r.address))];
  const before = new Map((await db.selectFrom('servers').selectAll().where('address', 'in', addresses).execute()).map((s) => [s.address, s]));
  const after = new Map<string, Server>();
  for (const r of fresh) {
    let s = after.get(r.address);
    if (!s) {
      const old = before.get(r.address);
      s = old ? { ...old } : newServer(r);
      after.set(r.address, s);
    }
    merge(s, r);
  }
  const ids = new Map<string, string>();
  for (const part of batches([...after.values()], 14)) {
    // RETURNING gives the stored id also when another import created the server first.
    const rows = await db.insertInto('servers').values(part).onConflict((oc) => oc.column('address').doUpdateSet(serverUpdate)).returning(['id', 'address']).execute();
    for (const row of rows) ids.set(row.address, row.id);
  }
  for (const [address, s] of after) {
    const old = before.get(address);
    if (old?.org_id && s.org_id !== old.org_id) {
      // Attribution moved the server (a more specific range was registered): its history follows.
      ctx.touched.add(old.org_id);
      await db.updateTable('observations').set({ org_id: s.org_id }).where('server_id', '=', old.id).execute();
      await audit(db, { actor: ctx.actor, action: 'reattribute', entity: 'server', entityId: old.id, detail: { address, from: old.org_id, to: s.org_id } }, ctx.now);
    }
  }
  // An observation belongs to the uploader when one is named, else to whoever holds the server now.
  const orgOf = (r: Prepared): string | null => r.orgId ?? after.get(r.address)!.org_id;
  const values = fresh.map((r) => ({
    server_id: ids.get(r.address)!, org_id: orgOf(r), observed_at: r.observedAt, day: r.day, source: r.source, tag: r.tag,
    build: r.build ?? null, verdict: r.verdict ?? null, vulnerable: r.vulnerable ? 1 : 0, compromised: r.compromised ? 1 : 0, cves: r.cves.join(' '), url: r.url ?? null, dedupe_key: r.key,
  }));
  const insertedKeys = new Set<string>();
  for (const part of batches(values, 13)) {
    const rows = await db.insertInto('observations').values(part).onConflict((oc) => oc.column('dedupe_key').doNothing()).returning('dedupe_key').execute();
    for (const row of rows) insertedKeys.add(row.dedupe_key);
  }
  const inserted = fresh.filter((r) => insertedKeys.has(r.key));
  ctx.result.duplicates += fresh.length - inserted.length;
  ctx.result.inserted += inserted.length;
  const exposure = new Map<string, { day: string; cve: string; server_id: string }>();
  for (const r of inserted) {
    const serverId = ids.get(r.address)!;
    const org = orgOf(r);
    ctx.servers.add(serverId);
    if (org) ctx.touched.add(org);
    else ctx.result.unmatched++;
    const cves = [...(r.vulnerable ? r.cves : []), ...(r.compromised ? ['webshell'] : [])];
    for (const cve of cves) exposure.set(`${r.day} ${cve} ${serverId}`, { day: r.day, cve, server_id: serverId });
  }
  await countExposure(db, [...exposure.values()]);
  await applyEvidence(db, before, after, inserted);
}

/** A server counts once per day and CVE: only a (day, CVE, server) row that is new adds to the count. */
async function countExposure(db: Kysely<Database>, rows: { day: string; cve: string; server_id: string }[]): Promise<void> {
  const added = new Map<string, { day: string; cve: string; servers: number }>();
  for (const part of batches(rows, 3)) {
    const fresh = await db.insertInto('exposure_days').values(part).onConflict((oc) => oc.columns(['day', 'cve', 'server_id']).doNothing()).returning(['day', 'cve']).execute();
    for (const f of fresh) {
      const k = `${f.day} ${f.cve}`;
      const c = added.get(k) ?? { day: f.day, cve: f.cve, servers: 0 };
      c.servers++;
      added.set(k, c);
    }
  }
  for (const part of batches([...added.values()], 3)) {
    await db.insertInto('exposure_counts').values(part)
      .onConflict((oc) => oc.columns(['day', 'cve']).doUpdateSet((eb) => ({ servers: eb('exposure_counts.servers', '+', eb.ref('excluded.servers')) })))
      .execute();
  }
}

const CLAIMED_FIXED: readonly RemediationStatus[] = ['patched', 'cleaned', 'verified'];

/**
 * Status changes the evidence proves: a server said to be patched or cleaned and seen clean since
 * is verified; one seen vulnerable or compromised since it was patched, cleaned or verified is open
 * again. "Since" is the time of its last status change, so a late import of older data proves nothing.
 */
async function applyEvidence(db: Kysely<Database>, before: Map<string, Server>, after: Map<string, Server>, inserted: Prepared[]): Promise<void> {
  const claimed = [...before.values()].filter((s) => CLAIMED_FIXED.includes(s.status) && after.get(s.address)?.org_id);
  if (claimed.length === 0) return;
  const changes = await db.selectFrom('remediation_history').select(['server_id', (eb) => eb.fn.max('at').as('at')])
    .where('server_id', 'in', claimed.map((s) => s.id)).groupBy('server_id').execute();
  const changedAt = new Map(changes.map((c) => [c.server_id, c.at]));
  const since = new Map(claimed.map((s) => [s.address, changedAt.get(s.id) ?? s.last_seen]));
  // The newest observation after the change decides (rows are in time order).
  const latest = new Map<string, Prepared>();
  for (const r of inserted) if (informative(r) && r.observedAt > (since.get(r.address) ?? '\uffff')) latest.set(r.address, r);
  for (const s of claimed) {
    const evidence = latest.get(s.address);
    if (!evidence) continue;
    const bad = evidence.vulnerable || evidence.compromised;
    const to: RemediationStatus | undefined = bad ? 'open' : s.status === 'verified' ? undefined : 'verified';
    if (!to) continue;
    const done = await db.updateTable('servers').set({ status: to }).where('id', '=', s.id).where('status', '=', s.status).executeTakeFirst();
    if (Number(done.numUpdatedRows) === 0) continue;
    // Fixed, or broken again: what the organisation was told about this server is history, and a
    // new problem is news again.
    await forgetServerNews(db, after.get(s.address)!.org_id!, s.address);
    const what = bad ? `reopened: ${evidence.compromised ? 'compromised (web shell)' : `vulnerable (${evidence.cves.join(', ') || evidence.verdict || 'no CVE named'})`}` : 'verified: neither vulnerable nor compromised';
    await db.insertInto('remediation_history').values({
      org_id: after.get(s.address)!.org_id!, server_id: s.id, from_status: s.status, to_status: to, at: evidence.observedAt, actor: 'system',
      note: `${what} in a ${evidence.source} observation of ${evidence.observedAt} (tag ${evidence.tag}), after it was marked ${s.status}`,
    }).execute();
  }
}

/** Stores observations; see the header for what follows from each. Throws InvalidInput for a bad address or time before writing anything. */
export async function recordObservations(db: Kysely<Database>, rows: readonly ObservationInput[], actor: string, now = new Date()): Promise<RecordResult> {
  const prepared = rows.map((r, i) => prepare(r, i, now.getTime()));
  const ctx: Context = { actor, now, touched: new Set(), servers: new Set(), result: { inserted: 0, duplicates: 0, unmatched: 0, servers: 0, orgs: [] } };
  for (let i = 0; i < prepared.length; i += CHUNK) await atomically(db, (trx) => recordChunk(trx, prepared.slice(i, i + CHUNK), ctx));
  const orgs = [...ctx.touched].sort();
  await refreshOrganisationSummaries(db, orgs, now);
  ctx.result.servers = ctx.servers.size;
  ctx.result.orgs = orgs;
  return ctx.result;
}

export interface UnmatchedServer {
  id: string;
  address: string;
  hostname: string | null;
  port: number | null;
  build: string | null;
  verdict: string | null;
  vulnerable: boolean;
  compromised: boolean;
  firstSeen: string;
  lastSeen: string;
  /** Tag and URL of its latest observation. */
  tag: string | null;
  url: string | null;
}

/** Servers no organisation claims, newest sighting first: the queue an analyst assigns by hand. */
export async function listUnmatched(db: Kysely<Database>, page: { limit: number; offset: number }): Promise<{ total: number; servers: UnmatchedServer[] }> {
  const total = await db.selectFrom('servers').select((eb) => eb.fn.countAll().as('n')).where('org_id', 'is', null).executeTakeFirstOrThrow();
  const latest = (eb: ExpressionBuilder<Database, 'servers'>) => eb.selectFrom('observations as o').whereRef('o.server_id', '=', 'servers.id').orderBy('o.observed_at', 'desc').orderBy('o.id', 'desc').limit(1);
  const rows = await db.selectFrom('servers')
    .select(['id', 'address', 'hostname', 'port', 'build', 'verdict', 'vulnerable', 'compromised', 'first_seen', 'last_seen'])
    .select((eb) => [latest(eb).select('o.tag').as('tag'), latest(eb).select('o.url').as('url')])
    .where('org_id', 'is', null).orderBy('last_seen', 'desc').orderBy('address').limit(page.limit).offset(page.offset).execute();
  return {
    total: Number(total.n),
    servers: rows.map((r) => ({
      id: r.id, address: r.address, hostname: r.hostname, port: r.port, build: r.build, verdict: r.verdict, vulnerable: r.vulnerable === 1, compromised: r.compromised === 1,
      firstSeen: r.first_seen, lastSeen: r.last_seen, tag: r.tag ?? null, url: r.url ?? null,
    })),
  };
}

/** Moves a server and all its observations to an organisation (an analyst's decision, audited). */
export async function assignServer(db: Kysely<Database>, serverId: string, orgId: string, actor: string, now = new Date()): Promise<{ address: string; from: string | null }> {
  const moved = await atomically(db, async (trx) => {
    const server = await trx.selectFrom('servers').select(['address', 'org_id']).where('id', '=', serverId).executeTakeFirst();
    if (!server) throw new InvalidInput(`there is no server ${serverId}`);
    const org = await trx.selectFrom('organisations').select('name').where('id', '=', orgId).executeTakeFirst();
    if (!org) throw new InvalidInput(`there is no organisation ${orgId}`);
    await trx.updateTable('servers').set({ org_id: orgId }).where('id', '=', serverId).execute();
    await trx.updateTable('observations').set({ org_id: orgId }).where('server_id', '=', serverId).execute();
    await audit(trx, { actor, action: 'assign', entity: 'server', entityId: serverId, detail: { address: server.address, from: server.org_id, to: orgId, organisation: org.name } }, now);
    return { address: server.address, from: server.org_id };
  });
  await refreshOrganisationSummaries(db, [orgId, ...(moved.from && moved.from !== orgId ? [moved.from] : [])], now);
  return moved;
}
