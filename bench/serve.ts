// `npm run bench:serve`: exhunt serve at a national CERT's scale, on SQLite, in one run.
//
// 1. Seeds a fresh data folder through the service's own ingest code (bench/serve/seed.ts):
//    30,000 organisations, 1,000,000 observations of 250,000 servers over 90 days, a 50,000-row
//    Shadowserver CSV and 2,000 hunt reports; EXHUNT_BENCH_SCALE (default 1) multiplies every
//    count. The observation rate is printed as a ratio of a bare prepared INSERT of the same rows.
// 2. Starts the real app (buildApp) on 127.0.0.1 and times the dashboard's main queries over HTTP
//    with a staff session: N sequential requests after a warm-up, p50/p95/max against the
//    p95 < 200 ms target. Requests over half the target are profiled: the SQL they ran, with
//    EXPLAIN QUERY PLAN of the slowest statements.
// 3. Loads POST /api/v1/reports with autocannon from a child process (bench/serve/upload-load.ts):
//    distinct reports (each a new record) and one report re-posted (the idempotent path), and checks
//    that the stored reports match the 201 answers.
// Results go to stdout and, as JSON, to test-results/serve-<time>.json. EXHUNT_BENCH_KEEP=1 keeps
// the data folder for a look with sqlite3.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../src/serve/app.js';
import { LoginLimiter } from '../src/serve/auth/login-limit.js';
import { SESSION_COOKIE, checkLogin, createSession, createUser } from '../src/serve/auth/sessions.js';
import { DEFAULT_MAX_UPLOAD, type ServiceContext } from '../src/serve/context.js';
import { openDatabase } from '../src/serve/db/connect.js';
import { Rng } from '../tools/corpus/rng.js';
import { TARGET_MS, type LatencyRow, type Probe, get, latencyTable, measure } from './serve/latency.js';
import { STATUS_DAY, type Progress, seedObservations, seedOrganisations, seedReports, seedShadowserver, rawReference } from './serve/seed.js';
import { explain, installStatementTimer, record } from './serve/sql-profile.js';
import type { LoadResult } from './serve/upload-load.js';
import { buildWorld, scaled } from './serve/world.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const scale = Number(process.env['EXHUNT_BENCH_SCALE'] ?? '1');
if (!(scale > 0)) throw new Error(`EXHUNT_BENCH_SCALE must be a positive number, got "${process.env['EXHUNT_BENCH_SCALE']}"`);
const SAMPLES = 200;
const WARMUP = 10;
const LOAD = { connections: 20, duration: 10 };
const progress: Progress = process.stderr.isTTY ? (m) => process.stderr.write(`bench:serve: ${m}\n`) : () => undefined;
const load = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const counts = scaled(scale);
const loadBefore = load();
// The last whole day, so that every generated sighting lies in the past: the service takes a time
// later than its clock as now.
const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()) - 86_400_000;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'exhunt-bench-serve-'));
const h = await openDatabase({ dataDir });
const demo = JSON.parse(readFileSync(path.join(repo, 'test', 'testdata', 'demo-report.json'), 'utf8'));

progress(`scale ${scale}: ${int(counts.orgs)} organisations, ${int(counts.servers)} servers, ${int(counts.observations)} observations in ${dataDir}`);
const world = buildWorld(counts);
const orgs = await seedOrganisations(h.db, world, progress);
const observations = await seedObservations(h.db, world, counts, today, progress);
progress('raw reference insert');
const raw = rawReference(dataDir, world, counts, today);
progress('Shadowserver CSV import');
const csv = await seedShadowserver(h.db, world, counts, today);
progress('hunt reports');
const reports = await seedReports(h.db, world, counts, orgs.ids, demo, today);
const dbFile = h.where;

// The service, as `exhunt serve` builds it; the onSend hook counts the upload answers it gives.
installStatementTimer();
const ctx: ServiceContext = { h, queue: undefined, limiter: new LoginLimiter(), settings: { maxUploadBytes: DEFAULT_MAX_UPLOAD, sender: 'cert@example.org', secureCookies: false }, now: () => new Date() };
const app = await buildApp(ctx);
const answered = { created: 0, repeated: 0, other: 0 };
app.addHook('onSend', async (req, reply, payload) => {
  if (req.method === 'POST' && req.routeOptions.url === '/api/v1/reports') {
    if (reply.statusCode === 201) answered.created++;
    else if (reply.statusCode === 200) answered.repeated++;
    else answered.other++;
  }
  return payload;
});
await app.listen({ host: '127.0.0.1', port: 0 });
const addr = app.server.address();
const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
await createUser(h.db, 'admin@cert.example', 'admin', 'bench-admin-password-long-enough', 'bench');
const { id: sessionId, session } = await createSession(h.db, (await checkLogin(h.db, 'admin@cert.example', 'bench-admin-password-long-enough'))!);
const staff = { cookie: `${SESSION_COOKIE}=${sessionId}` };

// Organisations to ask about: any, those with servers, the largest, those with reports or history.
const serversPerOrg = new Array<number>(world.orgs.length).fill(0);
for (const s of world.servers) if (s.org >= 0) serversPerOrg[s.org]!++;
const withServers = serversPerOrg.flatMap((n, i) => (n > 0 ? [i] : []));
const largest = serversPerOrg.indexOf(Math.max(...serversPerOrg));
const rng = new Rng(99);
const orgId = (pool: readonly number[]) => (): string => orgs.ids[rng.pick(pool)]!;
const anyOrg = orgId(orgs.ids.map((_, i) => i));
const fixed = (name: string, p: string): Probe => ({ name, path: () => p });
const probes: Probe[] = [
  fixed('api organisations', '/api/v1/organisations'),
  fixed('api organisations ?status=open', '/api/v1/organisations?status=open'),
  fixed('api organisations ?problem=compromised', '/api/v1/organisations?problem=compromised'),
  fixed('api organisations ?q=credit', '/api/v1/organisations?q=credit'),
  fixed(`api organisations ?offset=${Math.floor(counts.orgs / 2)}`, `/api/v1/organisations?offset=${Math.floor(counts.orgs / 2)}`),
  { name: 'api organisations/{id} (random)', path: () => `/api/v1/organisations/${anyOrg()}` },
  { name: 'api …/{id}/servers (random, has servers)', path: () => `/api/v1/organisations/${orgId(withServers)()}/servers` },
  fixed(`api …/{id}/servers (largest: ${serversPerOrg[largest]} servers)`, `/api/v1/organisations/${orgs.ids[largest]}/servers`),
  { name: 'api …/{id}/findings (random, has reports)', path: () => `/api/v1/organisations/${orgId(reports.reportOrgs)()}/findings` },
  { name: 'api …/{id}/history (random, has changes)', path: () => `/api/v1/organisations/${orgId(observations.changedOrgs.length > 0 ? observations.changedOrgs : withServers)()}/history` },
  fixed('api stats/exposure (90 days)', '/api/v1/stats/exposure'),
  fixed('api stats/findings', '/api/v1/stats/findings'),
  fixed('api stats/status', '/api/v1/stats/status'),
  fixed('api unmatched', '/api/v1/unmatched'),
];
const pages: Probe[] = [
  fixed('page /', '/'),
  fixed('page /?status=open', '/?status=open'),
  { name: 'page /organisations/{id} (random, has servers)', path: () => `/organisations/${orgId(withServers)()}` },
  fixed('page /exposure', '/exposure'),
  fixed('page /findings', '/findings'),
  fixed('page /unmatched', '/unmatched'),
];
const missingPages: string[] = [];
for (const p of pages) {
  const probePath = p.path();
  const r = await get(base, probePath, staff);
  if (r.status === 200) probes.push(p);
  else missingPages.push(`${probePath} answered ${r.status}`);
}

const latency: LatencyRow[] = [];
for (const p of probes) {
  progress(`latency: ${p.name}`);
  latency.push(await measure(base, staff, p, SAMPLES, WARMUP));
}

// Why a request is slow: its statements, slowest first, with the query plan of the top two.
interface Profile {
  name: string;
  path: string;
  statements: { ms: number; sql: string; params: unknown[]; plan: string[] }[];
}
const profiles: Profile[] = [];
for (const row of latency.filter((r) => r.p95 >= TARGET_MS / 2)) {
  const probe = probes.find((p) => p.name === row.name)!;
  const probePath = probe.path();
  const statements = (await record(() => get(base, probePath, staff))).sort((a, b) => b.ms - a.ms).slice(0, 4);
  profiles.push({ name: row.name, path: probePath, statements: statements.map((s, i) => ({ ...s, plan: i < 2 ? explain(dbFile, s.sql, s.params) : [] })) });
}

// Upload load: an organisation token issued through the API, reports about one of its servers.
const issued = await fetch(`${base}/api/v1/organisations/${orgs.ids[largest]}/tokens`, { method: 'POST', headers: { ...staff, 'x-csrf-token': session.csrf, 'content-type': 'application/json' }, body: JSON.stringify({ label: 'bench upload load' }) });
const token = ((await issued.json()) as { token: string }).token;
const uploadServer = world.servers.find((s) => s.org === largest && !s.address.includes(':'))!.address;
const uploadUrl = `${base}/api/v1/reports?server=${encodeURIComponent(uploadServer)}`;
const bodyFile = path.join(dataDir, 'upload-body.json');
writeFileSync(bodyFile, JSON.stringify({ ...demo, generatedAt: new Date(today).toISOString() }));
const storedReports = async (): Promise<number> => Number((await h.db.selectFrom('reports').select((eb) => eb.fn.countAll<number>().as('n')).where('org_id', '=', orgs.ids[largest]!).executeTakeFirstOrThrow()).n);

interface LoadRun extends LoadResult {
  stored: number;
  answered201: number;
  answered200: number;
  answeredOther: number;
}

async function loadRun(mode: 'distinct' | 'same'): Promise<LoadRun> {
  progress(`upload load: ${mode}, ${LOAD.connections} connections, ${LOAD.duration} s`);
  const before = await storedReports();
  Object.assign(answered, { created: 0, repeated: 0, other: 0 });
  const child = spawn(process.execPath, [path.join(here, 'serve', 'upload-load.js'), JSON.stringify({ url: uploadUrl, token, bodyFile, mode, ...LOAD, base: today + 43_200_000 })], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`upload-load exited with ${code}`);
  // Requests the client gave up on at the end may still be finishing on the server.
  let stored = await storedReports();
  for (let last = -1; stored !== last; stored = await storedReports()) {
    last = stored;
    await sleep(500);
  }
  return { ...(JSON.parse(out) as LoadResult), stored: stored - before, answered201: answered.created, answered200: answered.repeated, answeredOther: answered.other };
}

const distinct = await loadRun('distinct');
await fetch(uploadUrl, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: readFileSync(bodyFile) });
const same = await loadRun('same');
await app.close();
await h.close();
// Closing the last connection checkpoints the WAL into the file.
const finalDbBytes = statSync(dbFile).size;
const loadAfter = load();

const rate = (p: { rows: number; ms: number; perS: number }, unit: string): string => `${int(p.rows).padStart(10)} ${unit.padEnd(13)} ${(p.ms / 1000).toFixed(1).padStart(7)} s ${int(p.perS).padStart(9)} /s`;
const loadLines = (r: LoadRun): string[] => [
  `  ${r.mode === 'distinct' ? 'distinct reports (each a new record)' : 'one report re-posted (idempotent 200)'}: ${r.requestsPerS.toFixed(1)} req/s, ${int(r.responses)} answers in ${r.durationS} s, body ${(r.bodyBytes / 1024).toFixed(0)} KiB`,
  `    latency ms: p50 ${r.latencyMs.p50} · p90 ${r.latencyMs.p90} · p97.5 ${r.latencyMs.p97_5} · p99 ${r.latencyMs.p99} · max ${r.latencyMs.max}`,
  `    status codes: ${Object.entries(r.statusCodes).map(([c, n]) => `${c} ×${n}`).join(', ') || 'none'} · non-2xx ${r.non2xx} · errors ${r.errors} · timeouts ${r.timeouts}`,
  `    server answered 201 ×${r.answered201}, 200 ×${r.answered200}, other ×${r.answeredOther}; reports stored ${r.stored}; distinct ids in 201s ${r.createdIds}` +
    ` → ${r.stored === r.answered201 ? 'OK' : 'MISMATCH'}: stored = server's 201 answers${r.answered201 > (r.statusCodes['201'] ?? 0) ? ` (${r.answered201 - (r.statusCodes['201'] ?? 0)} answered after autocannon stopped)` : ''}`,
];
const failing = latency.filter((r) => r.p95 >= TARGET_MS || r.errors > 0);
const out = [
  '',
  `exhunt serve at scale ${scale} (EXHUNT_BENCH_SCALE), SQLite ${dbFile}, Node.js ${process.version}, ${os.cpus().length} cores; load average ${loadBefore} before, ${loadAfter} after`,
  `seeded: ${int(counts.orgs)} organisations, ${int(world.servers.length)} servers in the feeds (+${int(world.csvServers.length)} first seen in the CSV), ${int(counts.observations)} observations over 90 days, ${int(counts.reports)} hunt reports; database ${(finalDbBytes / 1024 ** 2).toFixed(0)} MB at the end`,
  '',
  'ingest                                        rows          time      rate',
  `  organisations (importOrganisations)  ${rate(orgs, 'orgs')}`,
  `  observations (recordObservations)    ${rate(observations, 'rows')}   (${int(observations.inserted)} stored, ${int(observations.duplicates)} duplicates, ${int(observations.unmatched)} unmatched)`,
  `  same rows, bare prepared INSERT      ${rate(raw, 'rows')}   (one transaction, no index: the reference)`,
  `  Shadowserver CSV (importShadowserver)${rate(csv, 'rows')}   (${int(csv.inserted)} stored, ${int(csv.unmatched)} unmatched, ${csv.errors} bad rows)`,
  `  hunt reports (ingestReport)          ${rate(reports, 'reports')}   (${int(reports.created)} created, ${(statSync(path.join(repo, 'test', 'testdata', 'demo-report.json')).size / 1024).toFixed(0)} KiB demo report varied)`,
  `  staff status changes (day ${STATUS_DAY + 1})        ${rate(observations.statusChanges, 'changes')}`,
  `  ratio observations/raw insert rate: ${(observations.perS / raw.perS).toFixed(3)}× (${(raw.perS / observations.perS).toFixed(1)}× slower than the bare insert)`,
  '',
  `dashboard queries over HTTP, staff session: ${SAMPLES} sequential requests each after ${WARMUP} warm-up; target p95 < ${TARGET_MS} ms`,
  ...latencyTable(latency),
  ...(missingPages.length > 0 ? [`  pages not measured (no 200 answer): ${missingPages.join('; ')}`] : []),
  ...profiles.flatMap((p) => [
    '',
    `profile of ${p.path} (${p.name}): slowest statements`,
    ...p.statements.flatMap((s) => [`  ${s.ms.toFixed(1).padStart(7)} ms  ${s.sql.slice(0, 300)}`, ...s.plan.map((l) => `             plan: ${l}`)]),
  ]),
  '',
  `upload load (autocannon 9, ${LOAD.connections} connections, ${LOAD.duration} s, POST /api/v1/reports?server=… with an organisation token, from a child process)`,
  ...loadLines(distinct),
  ...loadLines(same),
  '',
  'summary',
  `  ingest: ${int(orgs.perS)} orgs/s · ${int(observations.perS)} observations/s (${(observations.perS / raw.perS).toFixed(3)}× the bare insert's ${int(raw.perS)} rows/s) · ${int(csv.perS)} CSV rows/s · ${reports.perS.toFixed(0)} reports/s`,
  `  queries: ${latency.length - failing.length} of ${latency.length} under p95 ${TARGET_MS} ms; worst p95 ${Math.max(...latency.map((r) => r.p95)).toFixed(1)} ms (${latency.reduce((a, b) => (b.p95 > a.p95 ? b : a)).name})${failing.length > 0 ? `; FAIL: ${failing.map((r) => r.name).join(', ')}` : ''}`,
  `  uploads: ${distinct.requestsPerS.toFixed(1)} new reports/s (p99 ${distinct.latencyMs.p99} ms) · ${same.requestsPerS.toFixed(1)} repeated/s (p99 ${same.latencyMs.p99} ms) · stored = 201s: ${distinct.stored === distinct.answered201 && same.stored === same.answered201 ? 'yes' : 'NO'}`,
  '',
];
process.stdout.write(out.join('\n'));

const stamp = new Date().toISOString().replace(/:/g, '').slice(0, 15);
const resultsDir = path.join(repo, 'test-results');
mkdirSync(resultsDir, { recursive: true });
const jsonFile = path.join(resultsDir, `serve-${stamp}.json`);
writeFileSync(jsonFile, `${JSON.stringify({
  at: new Date().toISOString(), scale, counts, node: process.version, cores: os.cpus().length, loadBefore, loadAfter, dbBytes: finalDbBytes,
  ingest: { organisations: orgs, observations, raw, ratioToRaw: observations.perS / raw.perS, shadowserver: csv, reports },
  targetMs: TARGET_MS, latency, missingPages, profiles, uploads: { distinct, same },
}, (k, v: unknown) => (['ids', 'tokens', 'reportOrgs', 'changedOrgs'].includes(k) ? undefined : v), 2)}\n`);
process.stdout.write(`results: ${path.relative(repo, jsonFile)}\n`);
if (process.env['EXHUNT_BENCH_KEEP'] === '1') process.stdout.write(`data kept in ${dataDir}\n`);
else rmSync(dataDir, { recursive: true, force: true });
