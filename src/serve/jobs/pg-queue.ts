// The job queue on PostgreSQL: pg-boss (its own schema `pgboss` in the same database) distributes
// messages `{ jobId }` to any number of `exhunt worker` processes; our jobs row stays the record of
// the job. A message only says "this job may need running": a runner takes it, claims the row and
// completes the message in one transaction, and a message for a row that is done, failed or held
// under a live lease is simply completed.
//
// pg-boss v10 has no heartbeat: it notices a dead worker only when a message's expiry passes, which
// would have to be longer than the longest scan. So the lease on our row decides instead: every
// worker sweeps rows whose lease ran out back to queued, with a fresh message for each. Enqueue,
// claim, release and sweep each write our row and the message in one transaction, so no queued
// row is ever left without a message and no message is held by a dead worker.
import { type Kysely, CompiledQuery } from 'kysely';
import PgBoss from 'pg-boss';
import { errorMessage } from '../../core/errors.js';
import type { DbHandle } from '../db/connect.js';
import type { Database } from '../db/schema.js';
import {
  type JobFilter, type JobKind, type JobQueue, type JobRow, type JobSource, type JobView, type JobWorkers, type QueueOptions,
  type Release, type ScanJobPayload, type WorkOptions, claimChanges, claimable, getJob, insertJob, listJobs, releaseJob, startPool,
} from './queue.js';

export const PG_QUEUE = 'exhunt-jobs';

interface Message {
  jobId: string;
}

/** A message is completed when it is taken, so pg-boss's own retries never apply. */
const MESSAGE_OPTIONS = { retryLimit: 0 } as const;

/**
 * pg-boss's statements (its own prepared SQL text and parameters) on our connection pool, or on
 * our transaction so that a message commits with the row it is about.
 */
function via(db: Kysely<Database>): PgBoss.Db {
  return {
    async executeSql(text: string, values: unknown[] | undefined) {
      const r = await db.executeQuery(CompiledQuery.raw(text, values ?? []));
      return { rows: r.rows as unknown[] as never[] };
    },
  };
}

/** The row a message names, if it may run; a concurrent claim waits on the row lock and re-checks. */
function claim(trx: Kysely<Database>, jobId: string, worker: string, leaseMs: number): Promise<JobRow | undefined> {
  const now = new Date();
  return trx.updateTable('jobs')
    .set((eb) => claimChanges(eb, worker, leaseMs, now))
    .where('id', '=', jobId)
    .where((eb) => claimable(eb, now.toISOString()))
    .returningAll()
    .executeTakeFirst();
}

export async function openPgQueue(h: DbHandle, o: QueueOptions): Promise<JobQueue> {
  // On the handle's pool: no second pool, no connection string to pass around. No cron schedules;
  // maintenance (archiving and deleting old messages) stays on at pg-boss's defaults.
  const boss = new PgBoss({ db: via(h.db), schedule: false });
  const log = o.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  // An EventEmitter without an 'error' listener would throw; pg-boss reports maintenance failures here.
  boss.on('error', (err) => log(`job-queue (pg-boss): ${errorMessage(err)}`));
  await boss.start();
  try {
    await boss.createQueue(PG_QUEUE, { name: PG_QUEUE, ...MESSAGE_OPTIONS });
  } catch (err) {
    await boss.stop({ graceful: false }).catch(() => undefined);
    throw err;
  }
  return new PgQueue(h.db, boss, o);
}

class PgQueue implements JobQueue {
  readonly dialect = 'postgres' as const;

  constructor(private readonly db: Kysely<Database>, private readonly boss: PgBoss, private readonly o: QueueOptions) {}

  private async send(trx: Kysely<Database>, jobId: string, delaySeconds = 0): Promise<void> {
    const data: Message = { jobId };
    const id = await this.boss.send(PG_QUEUE, data, { ...MESSAGE_OPTIONS, db: via(trx), ...(delaySeconds > 0 ? { startAfter: delaySeconds } : {}) });
    if (id === null) throw new Error(`pg-boss did not accept the message for job ${jobId}`);
  }

  enqueue(kind: JobKind, orgId: string, payload: ScanJobPayload, actor: string): Promise<string> {
    return this.db.transaction().execute(async (trx) => {
      const id = await insertJob(trx, kind, orgId, payload, actor);
      await this.send(trx, id);
      return id;
    });
  }

  get(id: string): Promise<JobView | undefined> {
    return getJob(this.db, id);
  }

  list(filter: JobFilter): Promise<JobView[]> {
    return listJobs(this.db, filter);
  }

  /**
   * Takes the next message and claims the row it names, if that may run, in one transaction with
   * completing the message: a worker that dies halfway leaves both as they were. A message for a
   * row that is done, failed or under a live lease is completed and the next one taken.
   */
  private next(worker: string, leaseMs: number): Promise<JobRow | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const onTrx = { db: via(trx) };
      for (;;) {
        const [message] = await this.boss.fetch<Message>(PG_QUEUE, { batchSize: 1, ...onTrx });
        if (!message) return undefined;
        const row = typeof message.data?.jobId === 'string' ? await claim(trx, message.data.jobId, worker, leaseMs) : undefined;
        await this.boss.complete(PG_QUEUE, message.id, { claimedBy: row ? worker : null }, onTrx);
        if (row) return row;
      }
    });
  }

  /** Jobs whose runner stopped renewing its lease go back to queued, each with a new message. */
  private sweep(): Promise<void> {
    return this.db.transaction().execute(async (trx) => {
      const stale = await trx.updateTable('jobs')
        .set({ status: 'queued', locked_until: null, error: 'its worker stopped renewing the lease (it crashed or lost the database)' })
        .where('status', '=', 'active').where('locked_until', '<', new Date().toISOString())
        .returning('id').execute();
      for (const r of stale) await this.send(trx, r.id);
    });
  }

  async work(w: WorkOptions): Promise<JobWorkers> {
    const source: JobSource = {
      next: (worker, leaseMs) => this.next(worker, leaseMs),
      requeue: (row: JobRow, worker: string, r: Release) =>
        this.db.transaction().execute(async (trx) => {
          if (await releaseJob(trx, row.id, worker, r)) await this.send(trx, row.id, r.refund ? 0 : this.o.retryDelaySeconds);
        }),
      sweep: () => this.sweep(),
    };
    return startPool(this.db, source, w, this.o);
  }

  async close(): Promise<void> {
    // Runners were stopped by their owners; pg-boss holds no message of ours between transactions.
    await this.boss.stop({ graceful: false });
  }
}
