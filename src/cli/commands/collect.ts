// `exhunt collect`: run on the Exchange server, write a triage zip that `exhunt hunt` reads.
import { DEFAULT_MAX_FILE_SIZE, DEFAULT_MAX_TOTAL_SIZE, type CollectProgress, collectTriage } from '../../collect/collect.js';
import { nodeCollectHost } from '../../collect/host.js';
import { formatBytes } from '../../collect/plan.js';
import { UsageError } from '../../core/errors.js';
import { terminalSafe } from '../../report/sanitize.js';
import { parseCommandLine } from '../args.js';
import { EXIT } from '../exit-codes.js';
import type { Io } from '../io.js';
import { parseSize, parseTime } from './hunt.js';

export const COLLECT_HELP = `Usage: exhunt collect [options]

Run on the Exchange server itself, as Administrator (the Security log needs it). Gathers into one
zip what "exhunt hunt" reads: the Exchange Logging folder, the FrontEnd\\HttpProxy and ClientAccess
web folders, the IIS logs (W3SVC* folders of every log directory in applicationHost.config),
inetpub\\wwwroot, applicationHost.config, and the Application, Security, System, MSExchange
Management, Sysmon and Defender event logs (exported with wevtutil). Nothing is written next to the
evidence. Every file is hashed (SHA-256) into manifest.json inside the zip.

Options:
  -o, --output FILE        the zip to write (default: <HOST>-triage.zip in the current folder)
                           e.g. -o D:\\triage\\EXCH01-triage.zip
      --force              overwrite FILE if it exists
      --exchange-path DIR  the Exchange install folder (default: %ExchangeInstallPath%, else the
                           registry's MsiInstallPath, else C:\\Program Files\\Microsoft\\Exchange Server\\V15)
                           e.g. --exchange-path "E:\\Exchange Server\\V15"
      --since DATE         only log files modified since DATE (ISO 8601); event logs, web folders
                           and config are always whole. e.g. --since 2021-01-01
      --max-file-size N    leave out files bigger than N (default: 2GiB). e.g. --max-file-size 500MB
      --max-total-size N   collect at most N of files (default: 20GiB): event logs first, then web
                           folders and config, then logs newest first. e.g. --max-total-size 5GiB
  -h, --help               this help

Examples:
  exhunt collect -o D:\\triage\\EXCH01-triage.zip
  exhunt collect -o EXCH01-triage.zip --since 2021-01-01 --max-total-size 5GiB
  exhunt hunt EXCH01-triage.zip          (on the examiner's machine)

Progress is shown on standard error when it is a terminal; at the end, a summary and every file
not collected with the reason (permission denied, locked, vanished, over a cap, channel missing…).

Exit codes: 0 everything collected, 1 zip written but some files not collected (listed),
2 usage or error (not on the Exchange server, output exists without --force…).
`;

function progressLine(p: CollectProgress, width: number): string {
  const line = `exhunt: collect: ${p.filesDone}/${p.filesPlanned} files · ${formatBytes(p.bytesDone)} · ${p.current}`;
  return terminalSafe(line.length > width ? `${line.slice(0, width - 1)}…` : line);
}

export async function collectCommand(argv: string[], io: Io): Promise<number> {
  const { values: o, positionals } = parseCommandLine(argv, {
    output: { type: 'string', short: 'o' },
    force: { type: 'boolean', default: false },
    'exchange-path': { type: 'string' },
    since: { type: 'string' },
    'max-file-size': { type: 'string' },
    'max-total-size': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (o.help) {
    io.stdout.write(COLLECT_HELP);
    return EXIT.clean;
  }
  if (positionals.length > 0) throw new UsageError(`collect takes no PATH (got "${positionals[0]}"); it collects from this server, into --output`);
  const maxFileSize = o['max-file-size'] !== undefined ? parseSize('--max-file-size', o['max-file-size']) : DEFAULT_MAX_FILE_SIZE;
  const maxTotalSize = o['max-total-size'] !== undefined ? parseSize('--max-total-size', o['max-total-size']) : DEFAULT_MAX_TOTAL_SIZE;
  const host = nodeCollectHost;
  const showProgress = io.stderr.isTTY === true;
  let lastDraw = 0;
  const result = await collectTriage(host, {
    output: o.output ?? `${host.hostName()}-triage.zip`,
    force: o.force === true,
    exchangePath: o['exchange-path'],
    since: o.since !== undefined ? parseTime('--since', o.since, false) : undefined,
    maxFileSize,
    maxTotalSize,
    onProgress: showProgress
      ? (p) => {
          const now = Date.now();
          if (now - lastDraw < 200) return;
          lastDraw = now;
          io.stderr.write(`\r\x1b[2K${progressLine(p, io.stderr.columns ?? 100)}`);
        }
      : undefined,
  });
  if (showProgress && lastDraw > 0) io.stderr.write('\r\x1b[2K');
  const { totals, notCollected } = result.manifest;
  const lines = [`exhunt: collected ${totals.files} files (${formatBytes(totals.bytes)}) into ${result.output}; ${totals.notCollected} not collected${totals.notCollected > 0 ? ':' : '.'}`];
  for (const n of notCollected) lines.push(`  ${n.sourcePath}: ${n.reason}`);
  if (totals.olderThanSince > 0) lines.push(`(${totals.olderThanSince} log files older than --since were left out, as asked)`);
  io.stdout.write(`${lines.map(terminalSafe).join('\n')}\n`);
  if (totals.files === 0) {
    // An empty zip must not pass for a collection: most likely not an Exchange server, or not elevated.
    io.stderr.write('exhunt: error: nothing could be collected (see the list above); is this the Exchange server, and is the shell elevated?\n');
    return EXIT.error;
  }
  return totals.notCollected > 0 ? EXIT.findings : EXIT.clean;
}
