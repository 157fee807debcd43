// Worker-thread entry: scans the files the main thread sends, one at a time, and returns each
// file's result together with what it found, so a crash later loses nothing already reported.
import { parentPort, workerData } from 'node:worker_threads';
import type { FileRef } from '../sources/types.js';
import { type ScanInit, createScanEnv } from './env.js';
import { processFile } from './process-file.js';

export interface TaskMessage {
  id: number;
  ref: FileRef;
}

const port = parentPort;
if (port) {
  const env = createScanEnv(workerData as ScanInit);
  port.on('message', (msg: TaskMessage | 'close') => {
    if (msg === 'close') {
      void env.zips.close().finally(() => port.close());
      return;
    }
    void processFile(msg.ref, env).then((result) => {
      port.postMessage({ id: msg.id, result, acc: env.engine.drain() });
    });
  });
}
