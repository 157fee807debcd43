// Workers: runners that take jobs from the queue and run them. `exhunt worker` runs them in their
// own process (any number of them, on any machine, against PostgreSQL); the service runs them in
// its own process with SQLite.
import { once } from 'node:events';
import { hostname } from 'node:os';
import { type DbHandle, openDatabase } from './db/connect.js';
import { type JobQueue, type JobWorkers, type QueueOptions, openQueue } from './jobs/queue.js';
import { type ScanSettings, scanJobHandler } from './jobs/scan-job.js';

/** Jobs one process runs at once; each job scans up to ScanSettings.concurrency hosts. */
export const DEFAULT_WORKER_CONCURRENCY = 4;

export interface InProcessWorkerOptions {
  concurrency?: number;
  /** Names this process in jobs.worker; host:pid by default. */
  workerId?: string;
  /** One line per job start and end (`job-start <id> …`, `job-done <id>`, `job-failed <id>: why`). */
  log?: (line: string) => void;
  scan?: Partial<ScanSettings>;
  /** The service's own queue; opened here (and closed on stop) when not given. */
  queue?: JobQueue;
  queueOptions?: Partial<QueueOptions>;
}

export interface WorkerSettings {
  databaseUrl?: string | undefined;
  dataDir: string;
  concurrency?: number;
  workerId?: string;
  /** Stops the worker: running jobs are interrupted and go back to the queue. */
  signal?: AbortSignal;
  log?: (line: string) => void;
  scan?: Partial<ScanSettings>;
}

export function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}`;
}

export async function startInProcessWorkers(h: DbHandle, o: InProcessWorkerOptions = {}): Promise<JobWorkers> {
  const queue = o.queue ?? (await openQueue(h, { ...o.queueOptions, log: o.queueOptions?.log ?? o.log }));
  let workers: JobWorkers;
  try {
    workers = await queue.work({
      handlers: { scan: scanJobHandler(o.scan) },
      concurrency: o.concurrency ?? DEFAULT_WORKER_CONCURRENCY,
      workerId: o.workerId ?? defaultWorkerId(),
      log: o.log,
    });
  } catch (err) {
    if (!o.queue) await queue.close();
    throw err;
  }
  return {
    async stop() {
      await workers.stop();
      if (!o.queue) await queue.close();
    },
  };
}

/** Runs until the signal: the body of `exhunt worker`. */
export async function runWorker(s: WorkerSettings): Promise<void> {
  const log = s.log ?? (() => undefined);
  const workerId = s.workerId ?? defaultWorkerId();
  const concurrency = s.concurrency ?? DEFAULT_WORKER_CONCURRENCY;
  const h = await openDatabase({ databaseUrl: s.databaseUrl, dataDir: s.dataDir, poolSize: concurrency + 4 });
  try {
    const workers = await startInProcessWorkers(h, { concurrency, workerId, log, ...(s.scan ? { scan: s.scan } : {}) });
    log(`worker ${workerId}: ${concurrency} runners on ${h.where}`);
    if (s.signal && !s.signal.aborted) await once(s.signal, 'abort');
    else if (!s.signal) await new Promise<never>(() => undefined);
    await workers.stop();
    log(`worker ${workerId}: stopped`);
  } finally {
    await h.close();
  }
}
