// Seeding for `npm run bench:serve`, each phase through the service's own ingest functions and
// timed: the organisation list (importOrganisations), 90 daily feeds (recordObservations) with
// staff status changes half-way, a Shadowserver CSV (importShadowserver) and hunt reports
// (ingestReport). The reference is the same observation rows put into a bare table by one
// prepared INSERT in one transaction: what SQLite itself can take on this machine.
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database, RemediationStatus } from '../../src/serve/db/schema.js';
import { importOrganisations } from '../../src/serve/ingest/organisations.js';
import { importShadowserver } from '../../src/serve/ingest/shadowserver.js';
import { recordObservations } from '../../src/serve/store/observations.js';
import { setServerStatus } from '../../src/serve/store/queries.js';
import { ingestReport } from '../../src/serve/store/reports.js';
import { Rng } from '../../tools/corpus/rng.js';
import { DAYS, dayStart, observationDays, reportVariant, shadowserverCsv } from './feeds.js';
import { type Counts, type World, organisationCsv } from './world.js';

export type Progress = (message: string) => void;
type ReportDoc = Parameters<typeof ingestReport>[2];

export interface Phase {
  rows: number;
  ms: number;
  perS: number;
}

const phase = (rows: number, ms: number): Phase => ({ rows, ms, perS: rows / (ms / 1000) });
const ANALYST = 'analyst@cert.example';
/** Staff status changes are made after this day's feed, dated that day, so later feeds verify or reopen them. */
export const STATUS_DAY = 44;
const ORG_CHUNK = 2000;

export async function seedOrganisations(db: Kysely<Database>, world: World, progress: Progress): Promise<Phase & { ids: string[]; tokens: string[] }> {
  const byName = new Map<string, { id: string; token: string }>();
  let ms = 0;
  for (let i = 0; i < world.orgs.length; i += ORG_CHUNK) {
    const csv = organisationCsv(world.orgs.slice(i, i + ORG_CHUNK));
    const t = performance.now();
    const r = await importOrganisations(db, csv, `constituency-${i / ORG_CHUNK + 1}.csv`, ANALYST);
    ms += performance.now() - t;
    if (r.errors.length > 0 || r.updated.length > 0) throw new Error(`organisation import: ${r.errors.length} errors, ${r.updated.length} updated: ${r.errors.slice(0, 3).join('; ')}`);
    for (const c of r.created) byName.set(c.name, { id: c.id, token: c.token });
    progress(`organisations: ${Math.min(i + ORG_CHUNK, world.orgs.length)} / ${world.orgs.length}`);
  }
  const made = world.orgs.map((o) => byName.get(o.name)!);
  return { ...phase(world.orgs.length, ms), ids: made.map((m) => m.id), tokens: made.map((m) => m.token) };
}

export interface ObservationPhase extends Phase {
  inserted: number;
  duplicates: number;
  unmatched: number;
  statusChanges: Phase;
  /** Organisations whose servers got a staff status change (for the history query). */
  changedOrgs: number[];
}

/** 2 % of the attributable servers that are vulnerable on STATUS_DAY get a staff status change. */
async function statusChanges(db: Kysely<Database>, world: World, today: number): Promise<{ phase: Phase; orgs: number[] }> {
  const picked = world.servers.filter((s, i) => s.org >= 0 && i % 50 === 0 && s.patchDay > STATUS_DAY);
  const orgOf = new Map(picked.map((s) => [s.address, s.org]));
  const statuses: RemediationStatus[] = ['notified', 'acknowledged', 'patched', 'cleaned'];
  const at = new Date(dayStart(today, STATUS_DAY) + 86_399_000);
  const orgs = new Set<number>();
  let n = 0;
  const t = performance.now();
  for (let i = 0; i < picked.length; i += 500) {
    const rows = await db.selectFrom('servers').select(['id', 'address']).where('address', 'in', picked.slice(i, i + 500).map((s) => s.address)).execute();
    for (const r of rows) {
      await setServerStatus(db, r.id, statuses[n % statuses.length]!, ANALYST, 'bench: told by phone', at);
      orgs.add(orgOf.get(r.address)!);
      n++;
    }
  }
  return { phase: phase(n, performance.now() - t), orgs: [...orgs] };
}

export async function seedObservations(db: Kysely<Database>, world: World, counts: Counts, today: number, progress: Progress): Promise<ObservationPhase> {
  let ms = 0;
  let rows = 0;
  const sums = { inserted: 0, duplicates: 0, unmatched: 0 };
  let changes = { phase: phase(0, 0), orgs: [] as number[] };
  for (const { day, rows: batch } of observationDays(world, counts.observations, today)) {
    const t = performance.now();
    const r = await recordObservations(db, batch, 'feed:shadowserver');
    ms += performance.now() - t;
    rows += batch.length;
    sums.inserted += r.inserted;
    sums.duplicates += r.duplicates;
    sums.unmatched += r.unmatched;
    if (day === STATUS_DAY) changes = await statusChanges(db, world, today);
    if (day % 10 === 9 || day === DAYS - 1) progress(`observations: day ${day + 1} / ${DAYS}, ${rows} rows, ${(rows / (ms / 1000)).toFixed(0)} rows/s`);
  }
  return { ...phase(rows, ms), ...sums, statusChanges: changes.phase, changedOrgs: changes.orgs };
}

/** The same rows, one plain prepared INSERT each, one transaction, a table without indexes. */
export function rawReference(dataDir: string, world: World, counts: Counts, today: number): Phase {
  const raw = new BetterSqlite3(path.join(dataDir, 'raw-reference.sqlite'));
  try {
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.exec(`create table raw_observations (address text not null, hostname text, port integer, observed_at text not null, day text not null, source text not null,
      tag text not null, build text, verdict text, vulnerable integer not null, compromised integer not null, cves text not null)`);
    const insert = raw.prepare('insert into raw_observations values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    let ms = 0;
    let rows = 0;
    raw.exec('begin');
    for (const { rows: batch } of observationDays(world, counts.observations, today)) {
      const t = performance.now();
      for (const r of batch) {
        insert.run(r.address, r.hostname ?? null, r.port ?? null, r.observedAt, r.observedAt.slice(0, 10), r.source, r.tag, r.build ?? null, r.verdict ?? null, r.vulnerable ? 1 : 0, r.compromised ? 1 : 0, r.cves.join(' '));
      }
      ms += performance.now() - t;
      rows += batch.length;
    }
    const t = performance.now();
    raw.exec('commit');
    ms += performance.now() - t;
    return phase(rows, ms);
  } finally {
    raw.close();
  }
}

export async function seedShadowserver(db: Kysely<Database>, world: World, counts: Counts, today: number): Promise<Phase & { inserted: number; duplicates: number; unmatched: number; errors: number }> {
  const text = shadowserverCsv(world, counts.shadowserverRows, today);
  const name = `${new Date(today).toISOString().slice(0, 10)}-scan_exchange-bench.csv`;
  const t = performance.now();
  const r = await importShadowserver(db, text, name, ANALYST);
  const ms = performance.now() - t;
  return { ...phase(counts.shadowserverRows, ms), inserted: r.inserted, duplicates: r.duplicates, unmatched: r.unmatched, errors: r.errors.length };
}

export async function seedReports(db: Kysely<Database>, world: World, counts: Counts, ids: readonly string[], demo: ReportDoc, today: number): Promise<Phase & { created: number; reportOrgs: number[] }> {
  const rng = new Rng(13);
  const attributable = world.servers.filter((s) => s.org >= 0);
  const orgs = new Set<number>();
  let created = 0;
  const t = performance.now();
  for (let i = 0; i < counts.reports; i++) {
    const s = rng.pick(attributable);
    const doc = reportVariant(demo, i, dayStart(today, rng.int(DAYS)) + rng.int(86_400) * 1000, rng);
    const r = await ingestReport(db, ids[s.org]!, doc, { server: s.address, actor: `org:${ids[s.org]}` });
    if (r.created) created++;
    orgs.add(s.org);
  }
  return { ...phase(counts.reports, performance.now() - t), created, reportOrgs: [...orgs] };
}
