// Worker-thread entry: scans the files the main thread sends, one at a time, and returns each
// file's result together with what it found, so a crash later loses nothing already reported.
import { parentPort, workerData } from 'node:worker_threads';
import type { FileRef } from '../sources/types.js';
import { type ScanInit, createScanEnv } from './env.js';
import type { TaskMessage } from './pool.js';
import { processFile } from './process-file.js';

const port = parentPort;
if (port) {
  const env = createScanEnv(workerData as ScanInit);
  port.on('message', (msg: TaskMessage<FileRef> | 'close') => {
    if (msg === 'close') {
      void env.zips.close().finally(() => port.close());
      return;
    }
    void processFile(msg.task, env).then((result) => {
      port.postMessage({ id: msg.id, reply: { result, acc: env.engine.drain() } });
    });
  });
}
