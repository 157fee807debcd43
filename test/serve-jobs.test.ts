// The job queue: SQLite's in-process pool and PostgreSQL's worker processes (pg-boss) run every
// scan job exactly once, only inside the organisation's registered ranges, and a worker killed
// mid-job (or one that recorded its work and died before saying so) loses nothing and doubles nothing.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, test } from 'node:test';
import type { DbHandle } from '../src/serve/db/connect.js';
import { type JobQueue, type JobView, openQueue } from '../src/serve/jobs/queue.js';
import { scanJobHandler } from '../src/serve/jobs/scan-job.js';
import { claimNextJob } from '../src/serve/jobs/sqlite-queue.js';
import { createOrganisation } from '../src/serve/store/orgs.js';
import { startInProcessWorkers } from '../src/serve/worker.js';
import { startService } from '../src/serve/service.js';
import { startFleet } from './fleet.js';
import { repoRoot } from './helpers.js';
import { createTestDatabase } from './serve-db.js';

const FAST = { rate: 0, timeoutMs: 3000, retries: 0 };
const QUICK_QUEUE = { leaseSeconds: 3, pollSeconds: 0.2 };

async function waitFor<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Resolves with the jobs once none is queued or active. */
function settled(queue: JobQueue, ids: string[], ms = 20_000): Promise<JobView[]> {
  return waitFor(`jobs ${ids.join(', ')} to finish`, ms, async () => {
    const jobs = await Promise.all(ids.map(async (id) => (await queue.get(id))!));
    return jobs.every((j) => j.status === 'done' || j.status === 'failed') ? jobs : undefined;
  });
}

/** An Exchange front end that takes its time: X-OWA-Version on /owa/ after delayMs. */
async function slowExchange(delayMs: number): Promise<{ port: number; requests: () => number; close(): Promise<void> }> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    const t = setTimeout(() => {
      const owa = (req.url ?? '').toLowerCase().startsWith('/owa');
      res.writeHead(owa ? 200 : 404, { 'Content-Type': 'text/html', 'X-FEServer': 'EXCH01', ...(owa ? { 'X-OWA-Version': '15.2.1118.7' } : {}) });
      res.end('<html><body>Outlook</body></html>');
    }, delayMs);
    res.once('close', () => clearTimeout(t));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function scanObservations(h: DbHandle, orgId: string): Promise<{ observed_at: string; dedupe_key: string }[]> {
  return h.db.selectFrom('observations').select(['observed_at', 'dedupe_key']).where('org_id', '=', orgId).where('source', '=', 'scan').execute();
}

describe('jobs on SQLite: the in-process pool', async () => {
  const tdb = await createTestDatabase('sqlite');
  const h = await tdb.open();
  const fleet = await startFleet([
    { name: 'e16', style: 'header', build: '15.1.2176.2' },
    { name: 'e19', style: 'exporttool', build: '15.2.1118.20' },
    { name: 'e19-http', style: 'header', build: '15.2.1544.4', tls: false },
    { name: 'outside', style: 'header', build: '15.1.2507.59' },
  ]);
  const port = (name: string): number => fleet.hosts.find((x) => x.name === name)!.port;
  const org = await createOrganisation(h.db, { name: 'Loopback', ranges: ['127.0.0.0/8'] }, 'test');
  const queue = await openQueue(h, QUICK_QUEUE);
  const lines: string[] = [];
  const workers = await startInProcessWorkers(h, { queue, concurrency: 3, workerId: 'pool', scan: FAST, log: (l) => lines.push(l) });
  after(async () => {
    await workers.stop();
    await fleet.close();
    await h.close();
  });

  test('every job runs once and its results are recorded at its start time', async () => {
    const payloads = [
      { targets: [`127.0.0.1:${port('e16')}`] },
      { targets: [`127.0.0.1:${port('e19')}`] },
      { targets: [`127.0.0.1:${port('e19-http')}`], http: true },
      { targets: [`https://127.0.0.1:${port('e16')}/`] },
      { targets: [`127.0.0.1:${port('e19')}`] },
      { targets: [`127.0.0.1:${port('e19-http')}`], http: true },
    ];
    const ids = await Promise.all(payloads.map((p) => queue.enqueue('scan', org.id, p, 'analyst@example.org')));
    const jobs = await settled(queue, ids);
    for (const j of jobs) {
      assert.equal(j.status, 'done', `${j.id}: ${j.error}`);
      assert.equal(j.completions, 1);
      assert.equal(j.attempts, 1);
      assert.match(j.worker ?? '', /^pool#[123]$/);
      assert.equal(j.requestedBy, 'analyst@example.org');
      const r = j.result as { scanned: number; exchange: number; refused: number; recorded: { inserted: number; duplicates: number } };
      assert.deepEqual([r.scanned, r.exchange, r.refused], [1, 1, 0]);
      // Jobs started in the same millisecond observe the same address at the same time: one row.
      assert.equal(r.recorded.inserted + r.recorded.duplicates, 1);
    }
    const starts = new Set(jobs.map((j) => j.startedAt));
    const observed = await scanObservations(h, org.id);
    assert.equal(observed.length, starts.size);
    for (const o of observed) assert.ok(starts.has(o.observed_at), `observation at ${o.observed_at} is no job's start`);
    for (const id of ids) assert.ok(lines.some((l) => l.startsWith(`job-start ${id} `)) && lines.includes(`job-done ${id}`), id);
    assert.equal((await queue.list({ orgId: org.id, status: 'done', limit: 100 })).length, ids.length);
  });

  test('a target outside the ranges is refused before any packet reaches it', async () => {
    const other = await createOrganisation(h.db, { name: 'Elsewhere', ranges: ['192.0.2.0/24', '127.0.0.2/32'] }, 'test');
    const outside = `127.0.0.1:${port('outside')}`;
    const [alone, mixed, range] = await Promise.all([
      queue.enqueue('scan', other.id, { targets: [outside] }, 'test'),
      queue.enqueue('scan', other.id, { targets: [outside, `127.0.0.2:${port('outside')}`] }, 'test'),
      queue.enqueue('scan', other.id, { targets: ['127.0.0.0/30'], port: port('outside') }, 'test'),
    ]);
    const [a, m, r] = await settled(queue, [alone!, mixed!, range!]);
    assert.equal(a!.status, 'failed');
    assert.match(a!.error ?? '', /every target is outside organisation Elsewhere's registered ranges/);
    assert.equal(m!.status, 'done');
    assert.deepEqual((m!.result as { refusals: unknown }).refusals, [{ target: outside, reason: "outside the organisation's registered ranges; nothing was sent" }]);
    assert.equal(r!.status, 'done');
    assert.deepEqual((r!.result as { refusals: unknown }).refusals, [{ target: '127.0.0.0/30', reason: "3 of 4 addresses are outside the organisation's registered ranges; nothing was sent to them" }]);
    assert.equal(fleet.requests.filter((q) => q.host === 'outside').length, 0);
    assert.equal(fleet.connections.get('outside'), undefined);
  });

  test('an organisation without ranges gets a failed job that says why', async () => {
    const bare = await createOrganisation(h.db, { name: 'No Ranges Ltd' }, 'test');
    const id = await queue.enqueue('scan', bare.id, { targets: [`127.0.0.1:${port('e16')}`] }, 'test');
    const [j] = await settled(queue, [id]);
    assert.equal(j!.status, 'failed');
    assert.equal(j!.error, 'organisation No Ranges Ltd has no registered address ranges: nothing is in scope');
    assert.equal(j!.completions, 0);
  });

  test('bad payloads and unknown organisations are refused at enqueue', async () => {
    await assert.rejects(queue.enqueue('scan', org.id, { targets: ['10.0.0.0/8'] }, 'test'), /more than --max-hosts/);
    await assert.rejects(queue.enqueue('scan', org.id, { targets: ['not a host'] }, 'test'), /not a host/);
    await assert.rejects(queue.enqueue('scan', org.id, { port: 70000 }, 'test'), /port must be 1-65535/);
    await assert.rejects(queue.enqueue('scan', 'no-such-org', {}, 'test'), /there is no organisation/);
  });
});

describe('jobs on SQLite: crashes and stops', async () => {
  const tdb = await createTestDatabase('sqlite');
  const h = await tdb.open();
  const fleet = await startFleet([{ name: 'e16', style: 'header', build: '15.1.2176.2' }]);
  const slow = await slowExchange(1500);
  const org = await createOrganisation(h.db, { name: 'Loopback', ranges: ['127.0.0.1/32'] }, 'test');
  const queue = await openQueue(h, QUICK_QUEUE);
  after(async () => {
    await fleet.close();
    await slow.close();
    await h.close();
  });

  test('work recorded by a worker that died before committing is not recorded or counted twice', async () => {
    const id = await queue.enqueue('scan', org.id, { targets: [`127.0.0.1:${fleet.hosts[0]!.port}`] }, 'test');
    // The "dead" worker: takes the job under a 1 ms lease, records the scan, and never commits.
    const row = (await claimNextJob(h.db, 'ghost#1', 1))!;
    assert.equal(row.id, id);
    const first = await scanJobHandler(FAST)(
      { id, kind: 'scan', orgId: org.id, payload: (await queue.get(id))!.payload, requestedBy: 'test', attempt: 1, firstStartedAt: new Date(row.started_at!) },
      { db: h.db, signal: new AbortController().signal, worker: 'ghost#1' },
    );
    assert.equal(first.status, 'done');
    assert.equal((await scanObservations(h, org.id)).length, 1);
    const workers = await startInProcessWorkers(h, { queue, concurrency: 2, workerId: 'pool', scan: FAST });
    const [j] = await settled(queue, [id]);
    await workers.stop();
    assert.equal(j!.status, 'done');
    assert.equal(j!.attempts, 2);
    assert.equal(j!.completions, 1);
    assert.equal(j!.startedAt, row.started_at);
    assert.deepEqual((j!.result as { recorded: { inserted: number; duplicates: number } }).recorded, { ...(j!.result as { recorded: object }).recorded, inserted: 0, duplicates: 1 });
    assert.equal((await scanObservations(h, org.id)).length, 1);
  });

  test('a stop puts a running job back in the queue; the next pool finishes it', async () => {
    const id = await queue.enqueue('scan', org.id, { targets: [`127.0.0.1:${slow.port}`], http: true }, 'test');
    const first = await startInProcessWorkers(h, { queue, concurrency: 1, workerId: 'first', scan: FAST });
    await waitFor('the job to start', 5000, async () => (slow.requests() > 0 ? true : undefined));
    await first.stop();
    const released = (await queue.get(id))!;
    assert.equal(released.status, 'queued');
    assert.equal(released.attempts, 0, 'a stop is not counted as an attempt');
    assert.equal(released.completions, 0);
    const second = await startInProcessWorkers(h, { queue, concurrency: 1, workerId: 'second', scan: FAST });
    const [j] = await settled(queue, [id]);
    await second.stop();
    assert.equal(j!.status, 'done');
    assert.equal(j!.worker, 'second#1');
    assert.equal(j!.completions, 1);
    assert.equal(j!.startedAt, released.startedAt, 'the first start time is kept');
  });
});

interface Child {
  proc: ChildProcess;
  started: string[];
  lines: string[];
  exit: Promise<number | null>;
}

/** A real `exhunt worker` process; its job lines (stderr) tell the test when a job is in flight. */
function startWorker(name: string, databaseUrl: string, onLine: (line: string) => void): Child {
  const proc = spawn(process.execPath, [path.join(repoRoot(), 'bin', 'exhunt.js'), 'worker', '--id', name, '--concurrency', '2'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, EXHUNT_JOB_LEASE_SECONDS: '3', EXHUNT_JOB_POLL_SECONDS: '0.5' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const child: Child = { proc, started: [], lines: [], exit: new Promise((resolve) => proc.once('exit', (code) => resolve(code))) };
  createInterface({ input: proc.stderr! }).on('line', (raw) => {
    const line = raw.replace(/^exhunt worker: /, '');
    child.lines.push(line);
    const m = /^job-start (\S+)/.exec(line);
    if (m) child.started.push(m[1]!);
    onLine(line);
  });
  return child;
}

describe('jobs on PostgreSQL: the service and two exhunt worker processes, one killed mid-job', async () => {
  const tdb = await createTestDatabase('postgres');
  const service = await startService({ dataDir: tdb.dataDir, databaseUrl: tdb.url, host: '127.0.0.1', port: 0, workers: 0, maxUploadBytes: 1 << 20, sender: 'cert@example.org', secureCookies: true });
  const h = service.h;
  const servers = await Promise.all(Array.from({ length: 8 }, () => slowExchange(1500)));
  const org = await createOrganisation(h.db, { name: 'Loopback', ranges: ['127.0.0.1/32'] }, 'test');
  const queue = await openQueue(h);
  const children: Child[] = [];
  after(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await queue.close();
    await service.close();
    await Promise.all(servers.map((s) => s.close()));
    await tdb.drop();
  });

  test('every job queued through the API completes exactly once; the killed worker\'s job is retried by the other', { timeout: 60_000 }, async () => {
    let killed = false;
    const w1: Child = startWorker('w1', tdb.url!, (line) => {
      if (!killed && line.startsWith('job-start ')) {
        killed = true;
        w1.proc.kill('SIGKILL');
      }
    });
    const w2 = startWorker('w2', tdb.url!, () => undefined);
    children.push(w1, w2);
    await waitFor('both workers to start', 15_000, async () => (w1.lines.length > 0 && w2.lines.length > 0 ? true : undefined));
    const ids: string[] = [];
    for (const s of servers) {
      const res = await fetch(`${service.url}/api/v1/organisations/${org.id}/scan-jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${org.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ targets: [`127.0.0.1:${s.port}`], http: true }),
      });
      assert.equal(res.status, 202);
      ids.push(((await res.json()) as { id: string }).id);
    }
    assert.equal(await w1.exit, null, 'w1 was killed');
    assert.ok(w1.started.length >= 1);
    const jobs = await settled(queue, ids, 45_000);
    for (const j of jobs) {
      assert.equal(j.status, 'done', `${j.id}: ${j.error}`);
      assert.equal(j.completions, 1, j.id);
    }
    for (const id of w1.started) {
      const j = jobs.find((x) => x.id === id)!;
      assert.ok(j.attempts >= 2, `${id} started on w1 and was taken again (attempts ${j.attempts})`);
      assert.match(j.worker ?? '', /^w2#/);
      assert.ok(w2.lines.includes(`job-done ${id}`));
    }
    const viaApi = await fetch(`${service.url}/api/v1/jobs/${ids[0]}`, { headers: { authorization: `Bearer ${org.token}` } });
    assert.equal(((await viaApi.json()) as { status: string }).status, 'done');
    const starts = new Set(jobs.map((j) => j.startedAt));
    const observed = await scanObservations(h, org.id);
    assert.equal(new Set(observed.map((o) => o.dedupe_key)).size, observed.length);
    assert.equal(observed.length, starts.size, 'one observation per job start time, none at a retry\'s time');
    for (const o of observed) assert.ok(starts.has(o.observed_at));
    w2.proc.kill('SIGTERM');
    assert.equal(await w2.exit, 0, 'w2 stops cleanly on SIGTERM');
    assert.ok(w2.lines.some((l) => /^worker w2: stopped/.test(l)), w2.lines.join('\n'));
  });
});
