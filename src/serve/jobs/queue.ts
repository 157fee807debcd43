// Scans and re-scans are jobs. Every job is a row of our own `jobs` table: it is what the dashboard
// and the API show, and the one place that decides whether a job is done. The queue behind it only
// hands job ids to runners: with SQLite an in-process pool claims rows itself, with PostgreSQL
// pg-boss distributes them to any number of `exhunt worker` processes.
//
// Exactly once: a runner holds a job under a lease (locked_until) that it renews while it works; a
// job whose lease ran out (its worker died) is taken again, and its work is committed by one UPDATE
// that requires `status <> 'done'` and counts the completion, so work already committed by an
// earlier attempt is never counted twice.
import { randomUUID } from 'node:crypto';
import type { ExpressionBuilder, Kysely, Selectable } from 'kysely';
import { errorMessage } from '../../core/errors.js';
import type { DbHandle } from '../db/connect.js';
import type { Database, JobTable } from '../db/schema.js';
import { audit } from '../store/audit.js';
import { InvalidInput } from '../store/orgs.js';
import { checkScanPayload } from './scan-job.js';

export const JOB_KINDS = ['scan'] as const;
export type JobKind = (typeof JOB_KINDS)[number];
export type JobStatus = JobTable['status'];
export type JobRow = Selectable<JobTable>;

export interface ScanJobPayload {
  /** Addresses, host:port, URLs or CIDR ranges; empty or absent = every known server of the organisation. */
  targets?: string[];
  /** Plain HTTP instead of HTTPS. */
  http?: boolean;
  /** Port for targets that name none (default 443, or 80 with http). */
  port?: number;
}

export interface JobView {
  id: string;
  kind: string;
  orgId: string | null;
  payload: ScanJobPayload;
  requestedBy: string | null;
  status: JobStatus;
  attempts: number;
  completions: number;
  worker: string | null;
  result: unknown;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface JobFilter {
  orgId?: string;
  status?: JobStatus;
  limit: number;
}

export interface JobQueue {
  readonly dialect: DbHandle['dialect'];
  /** Records the job (and an audit entry) and queues it; returns its id (jobs.id). */
  enqueue(kind: JobKind, orgId: string, payload: ScanJobPayload, actor: string): Promise<string>;
  get(id: string): Promise<JobView | undefined>;
  /** Newest first. */
  list(filter: JobFilter): Promise<JobView[]>;
  /** Starts runners in this process that take jobs and run them with the handlers. */
  work(o: WorkOptions): Promise<JobWorkers>;
  close(): Promise<void>;
}

/** A job as its handler sees it. */
export interface RunningJob {
  id: string;
  kind: string;
  orgId: string | null;
  payload: ScanJobPayload;
  requestedBy: string;
  attempt: number;
  /** When the job first started: a retry reuses it, so it records the same observations again. */
  firstStartedAt: Date;
}

export interface JobContext {
  db: Kysely<Database>;
  /** Aborted when the worker stops or loses the job's lease. */
  signal: AbortSignal;
  worker: string;
}

export type JobOutcome = { status: 'done'; result: unknown } | { status: 'failed'; error: string; result?: unknown } | { status: 'interrupted' };
/** Runs one job; a thrown error is unexpected and the job runs again (up to maxAttempts). */
export type JobHandler = (job: RunningJob, ctx: JobContext) => Promise<JobOutcome>;

export interface WorkOptions {
  handlers: Partial<Record<JobKind, JobHandler>>;
  concurrency: number;
  /** Names this process in jobs.worker (runner i is `workerId#i`). */
  workerId: string;
  log?: ((line: string) => void) | undefined;
}

export interface JobWorkers {
  /** Stops taking jobs, interrupts running ones and puts them back in the queue. */
  stop(): Promise<void>;
}

/**
 * Defaults (env overrides in brackets, for tests and operators):
 * - leaseSeconds 60 [EXHUNT_JOB_LEASE_SECONDS]: renewed every third of it, so a killed worker's job
 *   is taken again within about a minute, whatever the job's length;
 * - pollSeconds 2 [EXHUNT_JOB_POLL_SECONDS]: how often idle runners ask for work (SQLite runners
 *   are also woken at once by an enqueue in the same process);
 * - maxAttempts 3 [EXHUNT_JOB_MAX_ATTEMPTS]: starts that crashed or threw before the job is failed;
 * - retryDelaySeconds 30 [EXHUNT_JOB_RETRY_DELAY_SECONDS]: PostgreSQL only, the pause before a job
 *   that threw runs again (SQLite retries at once).
 */
export interface QueueOptions {
  leaseSeconds: number;
  pollSeconds: number;
  maxAttempts: number;
  retryDelaySeconds: number;
  /** Problems of the queue itself (pg-boss maintenance); stderr when not given. */
  log?: ((line: string) => void) | undefined;
}

export const DEFAULT_QUEUE_OPTIONS: QueueOptions = { leaseSeconds: 60, pollSeconds: 2, maxAttempts: 3, retryDelaySeconds: 30 };

const ENV: Record<Exclude<keyof QueueOptions, 'log'>, string> = {
  leaseSeconds: 'EXHUNT_JOB_LEASE_SECONDS',
  pollSeconds: 'EXHUNT_JOB_POLL_SECONDS',
  maxAttempts: 'EXHUNT_JOB_MAX_ATTEMPTS',
  retryDelaySeconds: 'EXHUNT_JOB_RETRY_DELAY_SECONDS',
};

export function queueOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<QueueOptions> {
  const o: Partial<QueueOptions> = {};
  for (const [key, name] of Object.entries(ENV) as [keyof typeof ENV, string][]) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    o[key] = Number(text);
  }
  return o;
}

function checkOptions(o: QueueOptions): QueueOptions {
  const bad = (key: keyof typeof ENV, want: string): never => {
    throw new Error(`job queue: ${key} (${ENV[key]}) is ${String(o[key])}; expected ${want}`);
  };
  if (!(o.leaseSeconds > 0)) bad('leaseSeconds', 'seconds > 0');
  if (!(o.pollSeconds > 0)) bad('pollSeconds', 'seconds > 0');
  if (!Number.isInteger(o.maxAttempts) || o.maxAttempts < 1) bad('maxAttempts', 'a whole number ≥ 1');
  if (!Number.isInteger(o.retryDelaySeconds) || o.retryDelaySeconds < 0) bad('retryDelaySeconds', 'whole seconds ≥ 0');
  return o;
}

/** The queue for the handle's database: options given > environment > defaults. */
export async function openQueue(h: DbHandle, opts: Partial<QueueOptions> = {}): Promise<JobQueue> {
  const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
  const o = checkOptions({ ...DEFAULT_QUEUE_OPTIONS, ...queueOptionsFromEnv(), ...given });
  // Loaded on demand: SQLite users never load pg-boss, and the queues import this module.
  if (h.dialect === 'postgres') return (await import('./pg-queue.js')).openPgQueue(h, o);
  return new (await import('./sqlite-queue.js')).SqliteQueue(h.db, o);
}

// ---- the jobs table ----

interface StoredPayload extends ScanJobPayload {
  requestedBy?: string;
}

export async function insertJob(db: Kysely<Database>, kind: JobKind, orgId: string, payload: ScanJobPayload, actor: string, now = new Date()): Promise<string> {
  if (!JOB_KINDS.includes(kind)) throw new InvalidInput(`"${String(kind)}" is not a job kind (${JOB_KINDS.join(', ')})`);
  const checked = checkScanPayload(payload);
  const org = await db.selectFrom('organisations').select('id').where('id', '=', orgId).executeTakeFirst();
  if (!org) throw new InvalidInput(`there is no organisation ${orgId}`);
  const id = randomUUID();
  const stored: StoredPayload = { ...checked, requestedBy: actor };
  await db.insertInto('jobs').values({
    id, kind, org_id: orgId, payload: JSON.stringify(stored), status: 'queued', attempts: 0, completions: 0,
    worker: null, locked_until: null, result: null, error: null, created_at: now.toISOString(), started_at: null, finished_at: null,
  }).execute();
  await audit(db, { actor, action: 'enqueue', entity: 'job', entityId: id, detail: { kind, orgId, ...checked } }, now);
  return id;
}

function parsePayload(text: string): StoredPayload {
  try {
    return JSON.parse(text) as StoredPayload;
  } catch {
    return {};
  }
}

export function jobView(r: JobRow): JobView {
  const { requestedBy, ...payload } = parsePayload(r.payload);
  let result: unknown = null;
  try {
    result = r.result === null ? null : JSON.parse(r.result);
  } catch {
    result = r.result;
  }
  return {
    id: r.id, kind: r.kind, orgId: r.org_id, payload, requestedBy: requestedBy ?? null, status: r.status, attempts: r.attempts,
    completions: r.completions, worker: r.worker, result, error: r.error, createdAt: r.created_at, startedAt: r.started_at, finishedAt: r.finished_at,
  };
}

export async function getJob(db: Kysely<Database>, id: string): Promise<JobView | undefined> {
  const r = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  return r && jobView(r);
}

export async function listJobs(db: Kysely<Database>, f: JobFilter): Promise<JobView[]> {
  let q = db.selectFrom('jobs').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(Math.max(1, Math.min(1000, Math.floor(f.limit))));
  if (f.orgId !== undefined) q = q.where('org_id', '=', f.orgId);
  if (f.status !== undefined) q = q.where('status', '=', f.status);
  return (await q.execute()).map(jobView);
}

/** Queued, or taken by a runner whose lease ran out. */
export function claimable(eb: ExpressionBuilder<Database, 'jobs'>, now: string) {
  return eb.or([eb('status', '=', 'queued'), eb.and([eb('status', '=', 'active'), eb('locked_until', '<', now)])]);
}

/** What taking a job sets: started_at only the first time, so retries reuse it. */
export function claimChanges(eb: ExpressionBuilder<Database, 'jobs'>, worker: string, leaseMs: number, now: Date) {
  return {
    status: 'active' as const,
    attempts: eb('attempts', '+', 1),
    worker,
    locked_until: new Date(now.getTime() + leaseMs).toISOString(),
    started_at: eb.fn.coalesce('started_at', eb.val(now.toISOString())),
  };
}

async function renewLease(db: Kysely<Database>, id: string, worker: string, leaseMs: number): Promise<boolean> {
  const r = await db.updateTable('jobs').set({ locked_until: new Date(Date.now() + leaseMs).toISOString() })
    .where('id', '=', id).where('worker', '=', worker).where('status', '=', 'active').executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/** Commits the work: false when an earlier attempt already did. */
async function completeJob(db: Kysely<Database>, id: string, result: unknown): Promise<boolean> {
  const r = await db.updateTable('jobs')
    .set((eb) => ({ status: 'done', completions: eb('completions', '+', 1), result: JSON.stringify(result), error: null, locked_until: null, finished_at: new Date().toISOString() }))
    .where('id', '=', id).where('status', '<>', 'done').executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

async function failJob(db: Kysely<Database>, id: string, error: string, result: unknown): Promise<void> {
  await db.updateTable('jobs').set({ status: 'failed', error, result: result === undefined ? null : JSON.stringify(result), locked_until: null, finished_at: new Date().toISOString() })
    .where('id', '=', id).where('status', '<>', 'done').execute();
}

export interface Release {
  /** Why it runs again (kept from before when null). */
  error: string | null;
  /** A stop is not the job's fault: the attempt is given back. */
  refund: boolean;
}

/** Puts a job this runner holds back in the queue; false when it no longer holds it. */
export async function releaseJob(db: Kysely<Database>, id: string, worker: string, r: Release): Promise<boolean> {
  const res = await db.updateTable('jobs')
    .set((eb) => ({ status: 'queued', locked_until: null, ...(r.refund ? { attempts: eb('attempts', '-', 1) } : {}), ...(r.error === null ? {} : { error: r.error }) }))
    .where('id', '=', id).where('worker', '=', worker).where('status', '=', 'active').executeTakeFirst();
  return res.numUpdatedRows > 0n;
}

// ---- the runners ----

/** How a queue hands out jobs; the pool below runs them the same way for both. */
export interface JobSource {
  /** Claims a job for the runner (status active, attempts + 1, its lease), or undefined when none is waiting. */
  next(worker: string, leaseMs: number): Promise<JobRow | undefined>;
  requeue(row: JobRow, worker: string, r: Release): Promise<void>;
  /** Run every half lease (PostgreSQL: re-queues jobs whose worker died). */
  sweep?(): Promise<void>;
}

export function startPool(db: Kysely<Database>, source: JobSource, w: WorkOptions, o: QueueOptions): JobWorkers & { wake(): void } {
  const leaseMs = o.leaseSeconds * 1000;
  const log = w.log ?? (() => undefined);
  const stopping = new AbortController();
  const running = new Set<AbortController>();
  let sleepers: (() => void)[] = [];
  const wake = (): void => {
    const s = sleepers;
    sleepers = [];
    for (const f of s) f();
  };
  const nap = (ms: number): Promise<void> => new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      resolve();
    }
    sleepers.push(done);
  });

  const run = async (row: JobRow, worker: string): Promise<void> => {
    log(`job-start ${row.id} ${row.kind} attempt ${row.attempts} on ${worker}`);
    const handler = w.handlers[row.kind as JobKind];
    if (!handler || row.attempts > o.maxAttempts) {
      const why = handler ? `gave up after ${o.maxAttempts} attempts${row.error ? `; the last: ${row.error}` : ''}` : `no handler for jobs of kind "${row.kind}"`;
      await failJob(db, row.id, why, undefined);
      log(`job-failed ${row.id}: ${why}`);
      return;
    }
    const ac = new AbortController();
    running.add(ac);
    // Claimed while stop() was already interrupting the others: back to the queue at once.
    if (stopping.signal.aborted) ac.abort(new Error('the worker is stopping'));
    let lost = false;
    const renew = setInterval(() => {
      renewLease(db, row.id, worker, leaseMs).then((held) => {
        if (!held && !lost) {
          lost = true;
          ac.abort(new Error('another runner took the job'));
        }
      }, (err: unknown) => log(`job-lease ${row.id}: cannot renew the lease: ${errorMessage(err)}`));
    }, leaseMs / 3);
    const { requestedBy, ...payload } = parsePayload(row.payload);
    const job: RunningJob = { id: row.id, kind: row.kind, orgId: row.org_id, payload, requestedBy: requestedBy ?? 'unknown', attempt: row.attempts, firstStartedAt: new Date(row.started_at ?? Date.now()) };
    let outcome: JobOutcome | { status: 'error'; error: string };
    try {
      outcome = await handler(job, { db, signal: ac.signal, worker });
    } catch (err) {
      outcome = { status: 'error', error: errorMessage(err) };
    } finally {
      clearInterval(renew);
      running.delete(ac);
    }
    if (outcome.status === 'done') {
      const first = await completeJob(db, row.id, outcome.result);
      log(`job-done ${row.id}${first ? '' : ' (an earlier attempt had already completed it)'}`);
    } else if (lost) {
      log(`job-lost ${row.id}: another runner took it over`);
    } else if (outcome.status === 'failed') {
      await failJob(db, row.id, outcome.error, outcome.result);
      log(`job-failed ${row.id}: ${outcome.error}`);
    } else if (outcome.status === 'interrupted') {
      await source.requeue(row, worker, { error: null, refund: true });
      log(`job-released ${row.id}: the worker is stopping`);
    } else if (row.attempts >= o.maxAttempts) {
      await failJob(db, row.id, `gave up after ${row.attempts} attempts; the last: ${outcome.error}`, undefined);
      log(`job-failed ${row.id}: ${outcome.error}`);
    } else {
      await source.requeue(row, worker, { error: outcome.error, refund: false });
      log(`job-retry ${row.id}: ${outcome.error}`);
    }
  };

  const runner = async (worker: string): Promise<void> => {
    while (!stopping.signal.aborted) {
      let idle = true;
      try {
        const row = await source.next(worker, leaseMs);
        if (row) await run(row, worker);
        idle = row === undefined;
      } catch (err) {
        // The database went away or a write failed: the lease runs out and the job is taken again.
        log(`job-queue error on ${worker}: ${errorMessage(err)}`);
      }
      if (idle && !stopping.signal.aborted) await nap(o.pollSeconds * 1000);
    }
  };

  const sweeper = source.sweep && setInterval(() => void source.sweep!().catch((err: unknown) => log(`job-sweep: ${errorMessage(err)}`)), leaseMs / 2);
  const runners = Array.from({ length: Math.max(1, w.concurrency) }, (_, i) => runner(`${w.workerId}#${i + 1}`));
  return {
    wake,
    async stop() {
      stopping.abort();
      if (sweeper) clearInterval(sweeper);
      for (const ac of running) ac.abort(new Error('the worker is stopping'));
      wake();
      await Promise.all(runners);
    },
  };
}
