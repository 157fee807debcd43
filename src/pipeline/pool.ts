// Spreads tasks over worker threads (largest first, one task per message). A worker that dies, or
// that makes no progress on a task for far longer than reading its file should take, is replaced;
// the task it was on is reported lost and the run goes on. Used for the logs (worker.ts) and for
// the file sweep (sweep-worker.ts).
import { Worker } from 'node:worker_threads';
import { ERROR_CODES } from '../core/errors.js';
import type { AccumulatorState } from '../detect/accumulate.js';
import type { FileRef } from '../sources/types.js';
import type { ScanInit } from './env.js';
import type { FileResult } from './process-file.js';

export type FileDone = (result: FileResult, acc: AccumulatorState) => void;

/** What the main thread sends a worker. */
export interface TaskMessage<T> {
  id: number;
  task: T;
}

/** What a worker answers. */
export interface ReplyMessage<R> {
  id: number;
  reply: R;
}

const EMPTY: AccumulatorState = { groups: [], dropped: {} };
/** Heap limit per worker: a pathological file fails alone instead of taking the process down. */
const WORKER_HEAP_MB = 1536;

/** Time allowed for one file: two minutes plus 1 s per 2 MB — some twenty times the expected time. */
export function fileBudgetMs(bytes: number): number {
  return 120_000 + bytes / 2000;
}

export interface PoolSpec<T, R> {
  /** The worker module (compiled .js next to this one). */
  script: URL;
  workerData: unknown;
  tasks: readonly T[];
  threads: number;
  sizeOf(task: T): number;
  onReply(task: T, reply: R): void;
  onLost(task: T, why: string): void;
}

export function runPool<T, R>(spec: PoolSpec<T, R>): Promise<void> {
  const queue = [...spec.tasks].sort((a, b) => spec.sizeOf(b) - spec.sizeOf(a));
  let nextId = 0;
  let running = 0;
  return new Promise((resolve) => {
    const start = () => {
      const worker = new Worker(spec.script, { workerData: spec.workerData, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
      running++;
      let current: TaskMessage<T> | undefined;
      let finished = false;
      let watchdog: NodeJS.Timeout | undefined;
      const feed = () => {
        clearTimeout(watchdog);
        const task = queue.shift();
        if (task === undefined) {
          current = undefined;
          finished = true;
          worker.postMessage('close');
          return;
        }
        current = { id: nextId++, task };
        worker.postMessage(current);
        const budget = fileBudgetMs(spec.sizeOf(task));
        watchdog = setTimeout(() => {
          lost(`gave up after ${Math.round(budget / 1000)} s without finishing the file`);
          void worker.terminate();
        }, budget);
        watchdog.unref();
      };
      worker.on('message', (msg: ReplyMessage<R>) => {
        if (current && msg.id === current.id) spec.onReply(current.task, msg.reply);
        feed();
      });
      const lost = (why: string) => {
        clearTimeout(watchdog);
        if (current) {
          const { task } = current;
          current = undefined;
          spec.onLost(task, why);
        }
      };
      worker.on('error', (err) => lost(err.message));
      worker.on('messageerror', (err) => {
        lost(`result could not be received: ${err.message}`);
        void worker.terminate();
      });
      worker.on('exit', (code) => {
        running--;
        if (!finished) {
          lost(`thread exited with code ${code}`);
          if (queue.length > 0) start();
        }
        if (running === 0 && queue.length === 0) resolve();
      });
      feed();
    };
    if (queue.length === 0) {
      resolve();
      return;
    }
    const n = Math.max(1, Math.min(spec.threads, queue.length));
    for (let i = 0; i < n; i++) start();
  });
}

export function runInWorkers(refs: readonly FileRef[], init: ScanInit, threads: number, onFile: FileDone): Promise<void> {
  return runPool<FileRef, { result: FileResult; acc: AccumulatorState }>({
    script: new URL('./worker.js', import.meta.url),
    workerData: init,
    tasks: [...refs].sort((a, b) => b.size - a.size || (a.rel < b.rel ? -1 : 1)),
    threads,
    sizeOf: (ref) => ref.size,
    onReply: (_ref, r) => onFile(r.result, r.acc),
    onLost: (ref, why) =>
      onFile(
        {
          input: ref.input,
          rel: ref.rel,
          errors: [{ input: ref.input, file: ref.rel, code: ERROR_CODES.internal, message: `scanning thread failed on this file: ${why}` }],
          bytes: 0,
          lines: 0,
          parsedLines: 0,
        },
        EMPTY,
      ),
  });
}
