// The job queue on SQLite: the jobs table is the queue. A runner claims the oldest job that is
// queued (or whose runner's lease ran out) with one UPDATE … WHERE id = (SELECT …) RETURNING, which
// SQLite runs as a single write, so two runners never take the same job. Runners in this process
// are woken at once by an enqueue; other processes on the same file find the job when they poll.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import {
  type JobFilter, type JobKind, type JobQueue, type JobRow, type JobSource, type JobView, type JobWorkers, type QueueOptions,
  type Release, type ScanJobPayload, type WorkOptions, claimChanges, claimable, getJob, insertJob, listJobs, releaseJob, startPool,
} from './queue.js';

// Per database, so the service's queue wakes runners started separately (startInProcessWorkers).
const wakers = new WeakMap<Kysely<Database>, Set<() => void>>();

export async function claimNextJob(db: Kysely<Database>, worker: string, leaseMs: number, now = new Date()): Promise<JobRow | undefined> {
  const at = now.toISOString();
  return db.updateTable('jobs')
    .set((eb) => claimChanges(eb, worker, leaseMs, now))
    .where('id', '=', (eb) => eb.selectFrom('jobs').select('id').where((w) => claimable(w, at)).orderBy('created_at').orderBy('id').limit(1))
    .returningAll()
    .executeTakeFirst();
}

export class SqliteQueue implements JobQueue {
  readonly dialect = 'sqlite' as const;

  constructor(private readonly db: Kysely<Database>, private readonly o: QueueOptions) {}

  async enqueue(kind: JobKind, orgId: string, payload: ScanJobPayload, actor: string): Promise<string> {
    const id = await this.db.transaction().execute((trx) => insertJob(trx, kind, orgId, payload, actor));
    for (const wake of wakers.get(this.db) ?? []) wake();
    return id;
  }

  get(id: string): Promise<JobView | undefined> {
    return getJob(this.db, id);
  }

  list(filter: JobFilter): Promise<JobView[]> {
    return listJobs(this.db, filter);
  }

  async work(w: WorkOptions): Promise<JobWorkers> {
    const db = this.db;
    const source: JobSource = {
      next: (worker: string, leaseMs: number) => claimNextJob(db, worker, leaseMs),
      async requeue(row: JobRow, worker: string, r: Release): Promise<void> {
        await releaseJob(db, row.id, worker, r);
        for (const wake of wakers.get(db) ?? []) wake();
      },
    };
    const pool = startPool(db, source, w, this.o);
    const set = wakers.get(db) ?? new Set();
    wakers.set(db, set.add(pool.wake));
    return {
      async stop() {
        set.delete(pool.wake);
        await pool.stop();
      },
    };
  }

  async close(): Promise<void> {
    // Nothing of its own to close: the handle belongs to the caller.
  }
}
