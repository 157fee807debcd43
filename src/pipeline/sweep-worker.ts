// Worker-thread entry for the file sweep: compiles its own copy of the run's YARA rules (already
// checked by the main thread) once, then reads the batches of files it is sent, one file at a time.
import { parentPort, workerData } from 'node:worker_threads';
import type { YaraRules, YaraSource } from '../detect/yara/engine.js';
import { type YaraEngineKind, loadYaraEngine } from '../detect/yara/load.js';
import { ZipReaderCache } from '../sources/zip.js';
import type { TaskMessage } from './pool.js';
import { type SweepReadOptions, type SweepTask, readSweptFile } from './sweep-read.js';

export interface SweepWorkerData {
  sources: YaraSource[];
  /** The engine the main thread compiled the rules with. */
  engine: YaraEngineKind;
  opts: SweepReadOptions;
}

const port = parentPort;
if (port) {
  const data = workerData as SweepWorkerData;
  const zips = new ZipReaderCache();
  const ready: Promise<YaraRules | undefined> = data.sources.length === 0
    ? Promise.resolve(undefined)
    : loadYaraEngine(data.engine).then((engine) => ('unavailable' in engine ? undefined : engine.compile(data.sources, true).rules));
  port.on('message', (msg: TaskMessage<SweepTask[]> | 'close') => {
    if (msg === 'close') {
      void zips.close().finally(() => port.close());
      return;
    }
    void ready
      .then(async (rules) => {
        const replies = [];
        for (const task of msg.task) replies.push(await readSweptFile(task, rules, data.opts, zips));
        return replies;
      })
      .then((reply) => port.postMessage({ id: msg.id, reply }));
  });
}
