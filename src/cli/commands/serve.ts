// `exhunt serve`: the campaign service. Options and the process lifecycle only; the service is
// src/serve/.
import { UsageError } from '../../core/errors.js';
import { DEFAULT_MAX_UPLOAD } from '../../serve/context.js';
import { terminalSafe } from '../../report/sanitize.js';
import { startService } from '../../serve/service.js';
import { parseCommandLine, wholeNumber } from '../args.js';
import { EXIT } from '../exit-codes.js';
import type { Io } from '../io.js';
import { parseSize } from './hunt.js';
import { dataSettings, waitForStop } from './serve-common.js';

export const SERVE_HELP = `Usage: exhunt serve [--data DIR] [--port N] [options]

The campaign service for a CERT or an MSP: organisations and the address ranges and domains they
own, their Exchange servers, exposure observations over time (exhunt scan uploads, Shadowserver
scan_exchange reports), uploaded hunt reports and findings, notifications to victims, and
remediation tracked from open to verified. A JSON API under /api/v1 (OpenAPI document at
/api/v1/openapi.json) and a dashboard at /.

Storage: SQLite in DIR (no setup) unless DATABASE_URL=postgres://… is set; the schema is
migrated on start. With SQLite, scan jobs run in this process; with PostgreSQL, start one or more
"exhunt worker" processes.

Options:
      --data DIR        data folder (default ./exhunt-data, or EXHUNT_DATA)
      --port N          TCP port (default 8080; 0 picks a free one)
      --host ADDR       address to listen on (default 127.0.0.1; 0.0.0.0 for every interface —
                        put a TLS proxy in front: session cookies are Secure)
      --workers N       in-process scan job runners with SQLite (default 2; 0 = none)
      --max-upload SIZE largest accepted upload (default 32M)
      --smtp URL        smtp://user:pass@host:587 or smtps://… for notifications (or EXHUNT_SMTP_URL)
      --sender ADDR     From: address of notifications (default cert@localhost, or EXHUNT_SENDER)
      --trust-proxy ADDR  the TLS proxy in front (address or CIDR, comma-separated): client
                        addresses are then read from its X-Forwarded-For (rate limit, audit, log)
  -q, --quiet           no access log (one line per request on standard error)
  -h, --help            this help

First steps: exhunt admin create-user you@example.org --role admin (prints a one-time password),
then sign in at http://127.0.0.1:8080/.

Exit codes: 0 stopped by Ctrl-C or SIGTERM, 2 usage error or the database/port could not be opened.
`;

export async function serveCommand(argv: string[], io: Io): Promise<number> {
  const { values: o, positionals } = parseCommandLine(argv, {
    data: { type: 'string' },
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    workers: { type: 'string', default: '2' },
    'max-upload': { type: 'string' },
    smtp: { type: 'string' },
    sender: { type: 'string' },
    'trust-proxy': { type: 'string' },
    quiet: { type: 'boolean', short: 'q', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (o.help) {
    io.stdout.write(SERVE_HELP);
    return EXIT.clean;
  }
  if (positionals.length > 0) throw new UsageError(`serve: unexpected argument "${positionals[0]}"`);
  const data = dataSettings(o.data, io.env);
  const service = await startService({
    ...data,
    host: o.host,
    port: wholeNumber('--port', o.port, 0),
    workers: wholeNumber('--workers', o.workers, 0),
    maxUploadBytes: o['max-upload'] !== undefined ? parseSize('--max-upload', o['max-upload']) : DEFAULT_MAX_UPLOAD,
    smtpUrl: o.smtp ?? io.env['EXHUNT_SMTP_URL'],
    sender: o.sender ?? io.env['EXHUNT_SENDER'] ?? 'cert@localhost',
    secureCookies: true,
    trustProxy: o['trust-proxy'],
    accessLog: o.quiet ? undefined : (line) => void io.stderr.write(`${terminalSafe(line)}\n`),
  }).catch((err: unknown) => {
    throw new UsageError(`serve: ${err instanceof Error ? err.message : String(err)}`);
  });
  const users = await service.h.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  io.stderr.write(`exhunt serve: listening on ${service.url} (${service.h.dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL'} ${service.h.where}); Ctrl-C stops\n`);
  if (Number(users.n) === 0) io.stderr.write(`exhunt serve: no staff account yet: exhunt admin create-user you@example.org --role admin${o.data ? ` --data ${o.data}` : ''}\n`);
  await waitForStop();
  io.stderr.write('exhunt serve: stopping\n');
  await service.close();
  return EXIT.clean;
}
