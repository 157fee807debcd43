// Spreads files over worker threads (largest first, one file per message). A worker that dies, or
// that makes no progress on a file for far longer than reading it should take, is replaced; the file
// it was reading gets an error entry and the run goes on.
import { Worker } from 'node:worker_threads';
import { ERROR_CODES } from '../core/errors.js';
import type { AccumulatorState } from '../detect/accumulate.js';
import type { FileRef } from '../sources/types.js';
import type { ScanInit } from './env.js';
import type { FileResult } from './process-file.js';

export type FileDone = (result: FileResult, acc: AccumulatorState) => void;

interface Reply {
  id: number;
  result: FileResult;
  acc: AccumulatorState;
}

const EMPTY: AccumulatorState = { groups: [], dropped: {} };
/** Heap limit per worker: a pathological file fails alone instead of taking the process down. */
const WORKER_HEAP_MB = 1536;

/** Time allowed for one file: two minutes plus 1 s per 2 MB — some twenty times the expected time. */
export function fileBudgetMs(bytes: number): number {
  return 120_000 + bytes / 2000;
}

export function runInWorkers(refs: readonly FileRef[], init: ScanInit, threads: number, onFile: FileDone): Promise<void> {
  const queue = [...refs].sort((a, b) => b.size - a.size || (a.rel < b.rel ? -1 : 1));
  let nextId = 0;
  let running = 0;
  return new Promise((resolve) => {
    const start = () => {
      const worker = new Worker(new URL('./worker.js', import.meta.url), {
        workerData: init,
        resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
      });
      running++;
      let current: { id: number; ref: FileRef } | undefined;
      let finished = false;
      let watchdog: NodeJS.Timeout | undefined;
      const feed = () => {
        clearTimeout(watchdog);
        const ref = queue.shift();
        if (!ref) {
          current = undefined;
          finished = true;
          worker.postMessage('close');
          return;
        }
        current = { id: nextId++, ref };
        worker.postMessage(current);
        const budget = fileBudgetMs(ref.size);
        watchdog = setTimeout(() => {
          lost(`gave up after ${Math.round(budget / 1000)} s without finishing the file`);
          void worker.terminate();
        }, budget);
        watchdog.unref();
      };
      worker.on('message', (msg: Reply) => {
        if (current && msg.id === current.id) onFile(msg.result, msg.acc);
        feed();
      });
      const lost = (why: string) => {
        clearTimeout(watchdog);
        if (current) {
          const { ref } = current;
          current = undefined;
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
          );
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
    const n = Math.max(1, Math.min(threads, queue.length));
    if (queue.length === 0) {
      resolve();
      return;
    }
    for (let i = 0; i < n; i++) start();
  });
}
