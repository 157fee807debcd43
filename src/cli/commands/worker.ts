// `exhunt worker`: takes scan jobs from the service's queue (PostgreSQL) until stopped.
import { UsageError } from '../../core/errors.js';
import { terminalSafe } from '../../report/sanitize.js';
import { runWorker } from '../../serve/worker.js';
import { parseCommandLine, wholeNumber } from '../args.js';
import { EXIT } from '../exit-codes.js';
import type { Io } from '../io.js';
import { dataSettings } from './serve-common.js';

export const WORKER_HELP = `Usage: exhunt worker [--data DIR] [--concurrency N] [--id NAME]

Runs scan and re-scan jobs queued by "exhunt serve". With PostgreSQL (DATABASE_URL=postgres://…)
start as many workers as you like, on any machines that reach the database: each job is taken by
one worker, and a job whose worker dies is taken again by another after its lease expires
(EXHUNT_JOB_EXPIRE_SECONDS). With SQLite the service runs jobs itself (serve --workers) and a
separate worker shares its data folder on the same machine.

Every target is checked against the organisation's registered address ranges before any request
is sent; the scan makes only the requests "exhunt scan" makes.

Options:
      --data DIR        data folder for SQLite (default ./exhunt-data, or EXHUNT_DATA)
  -c, --concurrency N   jobs run at once (default 2)
      --id NAME         this worker's name in job records (default host:pid)
  -h, --help            this help

Exit codes: 0 stopped by Ctrl-C or SIGTERM (running jobs finish first), 2 usage error or the
database could not be opened.
`;

export async function workerCommand(argv: string[], io: Io): Promise<number> {
  const { values: o, positionals } = parseCommandLine(argv, {
    data: { type: 'string' },
    concurrency: { type: 'string', short: 'c', default: '2' },
    id: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (o.help) {
    io.stdout.write(WORKER_HELP);
    return EXIT.clean;
  }
  if (positionals.length > 0) throw new UsageError(`worker: unexpected argument "${positionals[0]}"`);
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await runWorker({
      ...dataSettings(o.data, io.env),
      concurrency: wholeNumber('--concurrency', o.concurrency, 1),
      ...(o.id !== undefined ? { workerId: o.id } : {}),
      signal: controller.signal,
      log: (line) => io.stderr.write(`exhunt worker: ${terminalSafe(line)}\n`),
    });
  } catch (err) {
    throw new UsageError(`worker: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
  return EXIT.clean;
}
