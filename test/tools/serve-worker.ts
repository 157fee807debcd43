// A queue worker in a child process, for test/serve-jobs.test.ts:
//   EXHUNT_WORKER_CHILD=1 DATABASE_URL=… EXHUNT_DATA=… EXHUNT_WORKER_ID=w1 node dist/test/tools/serve-worker.js
// prints the worker's job lines (`job-start <id> …`, `job-done <id>`) on stdout so the test knows
// when a job is in flight, and stops cleanly on SIGTERM. EXHUNT_WORKER_CONCURRENCY and
// EXHUNT_WORKER_SCAN (JSON: rate, timeoutMs, retries, concurrency) tune it.
// Without EXHUNT_WORKER_CHILD it does nothing: node --test loads every file under dist/test.
export {};

if (process.env['EXHUNT_WORKER_CHILD'] === '1') {
  const { runWorker } = await import('../../src/serve/worker.js');
  const env = process.env;
  const stop = new AbortController();
  process.once('SIGTERM', () => stop.abort());
  await runWorker({
    databaseUrl: env['DATABASE_URL'],
    dataDir: env['EXHUNT_DATA'] ?? '.',
    workerId: env['EXHUNT_WORKER_ID'] ?? `child-${process.pid}`,
    concurrency: Number(env['EXHUNT_WORKER_CONCURRENCY'] ?? 2),
    scan: JSON.parse(env['EXHUNT_WORKER_SCAN'] ?? '{}') as Record<string, number>,
    signal: stop.signal,
    log: (line) => void process.stdout.write(`${line}\n`),
  });
}
