// `exhunt hunt PATH…`: parse options, run the hunt, choose a writer, set the exit code.
import { writeFile } from 'node:fs/promises';
import { UsageError, formatReportError } from '../../core/errors.js';
import { SEVERITIES, type Severity, isSeverity, severityRank } from '../../core/types.js';
import { hunt, type Progress } from '../../pipeline/hunt.js';
import { WRITERS, writerById } from '../../report/registry.js';
import { terminalSafe } from '../../report/sanitize.js';
import { parseCommandLine, wholeNumber } from '../args.js';
import { upload, uploadTarget } from '../upload.js';
import { checkRulePaths, readPlaceholders } from './rules.js';
import { EXIT } from '../exit-codes.js';
import { type Io, colorWanted } from '../io.js';
import { demoCollectionPath } from '../package-root.js';

export const SWEEP_OPTIONS_HELP = `      --yara PATH          also run the YARA rules in PATH (file or folder of .yar/.yara, recursive;
                           repeatable), e.g. a signature-base checkout's yara/ folder
      --no-builtin-yara    leave out exhunt's own web-shell rules
      --yara-max-size N    files larger than N are hashed but not scanned with YARA (default 64M)
      --yara-engine E      native|wasm: the native yara-x build (Linux x64; the default where it
                           loads) or the portable WebAssembly one (the default elsewhere; it scans
                           pages, scripts and programs only)
      --ioc FILE           more indicators: CSV (columns indicator,type[,source]), text (one
                           hash / IP / URL / type:value per line), a STIX 2.1 bundle or MISP
                           event JSON (repeatable); see docs/files.md
      --baseline FILE      Microsoft baseline CSV (hash,version,path) of another Exchange build,
                           so its shipped pages are recognised (repeatable)
`;

export const HUNT_HELP = `Usage: exhunt hunt [PATH…] [options]

Hunts a triage collection — folders, .zip archives or single log files copied off an Exchange
server: Exchange and IIS logs, Windows event logs (.evtx) — for ProxyLogon, ProxyShell,
ProxyNotShell/OWASSRF exploitation, web shells, commands run through them, credential dumps and
mailbox theft.

Options:
  -f, --format FORMAT      ${WRITERS.map((w) => w.id).join('|')} (default: console)
  -o, --output FILE        write the report to FILE instead of standard output
      --min-severity SEV   ${SEVERITIES.join('|')}: report findings at or above SEV
                           (default: low); also the exit-code threshold
      --since TIME         ignore records before TIME (ISO 8601, e.g. 2021-03-01 or 2021-03-01T12:00Z)
      --until TIME         ignore records after TIME (a date alone means the end of that day)
      --exchange-path DIR  Exchange install folder (e.g. "C:\\Program Files\\Microsoft\\Exchange Server\\V15").
                           On the server itself its Logging folder and the IIS logs are hunted
                           and its web folders (FrontEnd, ClientAccess, wwwroot) swept;
                           on a copy it tells exhunt where Exchange was installed.
      --sigma PATH         also run the Sigma rules in PATH (file or folder, recursive; repeatable),
                           on event logs and on IIS / HttpProxy logs; "exhunt rules lint PATH"
                           says why any rule is not loaded
      --sigma-config FILE  values for Sigma expand placeholders (placeholders: {Name: [values]})
      --no-recovered       leave out event-log records recovered from slack space or damaged chunks
${SWEEP_OPTIONS_HELP}      --no-file-sweep      read the logs only; do not sweep the other files
      --no-pivot           do not read the logs a second time for the attacker addresses' other
                           records (the timeline's context; intrusions are still pieced together)
      --demo               hunt the bundled demo collection of a compromised server
      --upload URL         also send the JSON report to an exhunt serve instance (its base URL);
                           the same report twice is stored once
      --token T            the organisation's API token for --upload (or EXHUNT_TOKEN)
      --upload-server IP   the address of the Exchange server the collection came from
      --threads N          worker threads (default: one per core for inputs over 64 MiB)
      --max-line-bytes N   longest line read (default 1M, 4K–256M); longer lines are reported and skipped
      --max-unzipped N     most bytes one zip archive may expand to (default 256G)
      --max-zip-ratio N    refuse zip entries that expand more than N:1 (default 1000)
      --color / --no-color force or disable colour (NO_COLOR is honoured)
  -v, --verbose            console: show every kept evidence line and every error
  -q, --quiet              no progress and no per-file warnings on standard error
  -h, --help               this help

Exit codes: 0 nothing at or above --min-severity, 1 findings, 2 usage or input error, or
the --upload failed (the report is still written).
`;

const SIZE = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b?)?$/i;

export function parseSize(flag: string, v: string): number {
  const m = SIZE.exec(v.trim());
  if (!m) throw new UsageError(`${flag}: expected a size such as 1048576, 512K, 64M or 2G, got "${v}"`);
  const unit = (m[2] ?? '').charAt(0).toLowerCase();
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[unit] ?? 1;
  return Math.floor(Number(m[1]) * mult);
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** ISO 8601 only; a time without an offset is UTC, like every time in the logs. */
export function parseTime(flag: string, v: string, endOfDay: boolean): number {
  const dateOnly = ISO_DATE.test(v);
  if (!dateOnly && !ISO_TIME.test(v)) throw new UsageError(`${flag}: expected an ISO 8601 date or time such as 2021-03-01 or 2021-03-01T12:00:00Z, got "${v}"`);
  const withZone = dateOnly ? `${v}T00:00:00Z` : /(Z|[+-]\d{2}:?\d{2})$/i.test(v) ? v.replace(' ', 'T') : `${v.replace(' ', 'T')}Z`;
  const t = Date.parse(withZone);
  if (Number.isNaN(t)) throw new UsageError(`${flag}: not a valid date or time: "${v}"`);
  return dateOnly && endOfDay ? t + 86_400_000 - 1 : t;
}

function yaraEngineOption(v: string): 'native' | 'wasm' {
  if (v !== 'native' && v !== 'wasm') throw new UsageError(`--yara-engine: expected native or wasm, got "${v}"`);
  return v;
}

function progressLine(p: Progress, startMs: number): string {
  const secs = Math.max(0.001, (Date.now() - startMs) / 1000);
  const mb = p.bytesDone / 1024 ** 2;
  return `exhunt: ${p.phase === 'files' ? 'file sweep ' : p.phase === 'context' ? 'attacker context ' : ''}${p.filesDone}/${p.files} files · ${mb.toFixed(0)}/${(p.bytes / 1024 ** 2).toFixed(0)} MB · ${(mb / secs).toFixed(0)} MB/s`;
}

export async function huntCommand(argv: string[], io: Io, filesOnly = false): Promise<number> {
  const { values: o, positionals } = parseCommandLine(argv, {
    yara: { type: 'string', multiple: true },
    'no-builtin-yara': { type: 'boolean', default: false },
    'yara-max-size': { type: 'string' },
    'yara-engine': { type: 'string' },
    ioc: { type: 'string', multiple: true },
    baseline: { type: 'string', multiple: true },
    'no-file-sweep': { type: 'boolean', default: false },
    'no-pivot': { type: 'boolean', default: false },
    format: { type: 'string', short: 'f', default: 'console' },
    output: { type: 'string', short: 'o' },
    'min-severity': { type: 'string', default: 'low' },
    since: { type: 'string' },
    until: { type: 'string' },
    'exchange-path': { type: 'string' },
    demo: { type: 'boolean', default: false },
    upload: { type: 'string' },
    token: { type: 'string' },
    'upload-server': { type: 'string' },
    'no-recovered': { type: 'boolean', default: false },
    sigma: { type: 'string', multiple: true },
    'sigma-config': { type: 'string' },
    threads: { type: 'string' },
    'max-line-bytes': { type: 'string' },
    'max-unzipped': { type: 'string' },
    'max-zip-ratio': { type: 'string' },
    color: { type: 'boolean' },
    'no-color': { type: 'boolean' },
    verbose: { type: 'boolean', short: 'v', default: false },
    quiet: { type: 'boolean', short: 'q', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (o.help) {
    io.stdout.write(HUNT_HELP);
    return EXIT.clean;
  }
  if (filesOnly) {
    for (const flag of ['demo', 'no-recovered', 'sigma', 'sigma-config', 'since', 'until', 'exchange-path', 'no-file-sweep'] as const) {
      if (o[flag] !== undefined && o[flag] !== false) throw new UsageError(`scan-files: --${flag} applies to exhunt hunt only`);
    }
  }
  const writer = writerById(o.format!);
  if (!writer) throw new UsageError(`--format: expected one of ${WRITERS.map((w) => w.id).join(', ')}, got "${o.format}"`);
  if (!isSeverity(o['min-severity']!)) throw new UsageError(`--min-severity: expected one of ${SEVERITIES.join(', ')}, got "${o['min-severity']}"`);
  const minSeverity = o['min-severity'] as Severity;
  const paths = [...positionals];
  if (o.demo) paths.push(demoCollectionPath());
  if (filesOnly && paths.length === 0) throw new UsageError('scan-files: give at least one folder, .zip or file');
  if (paths.length === 0 && !o['exchange-path']) throw new UsageError('hunt: give at least one PATH (folder, .zip or log file), --exchange-path or --demo');
  const since = o.since !== undefined ? parseTime('--since', o.since, false) : undefined;
  const until = o.until !== undefined ? parseTime('--until', o.until, true) : undefined;
  if (since !== undefined && until !== undefined && since > until) throw new UsageError('--since is after --until');
  const limits: { maxLineBytes?: number; maxZipTotalBytes?: number; maxZipRatio?: number } = {};
  if (o['max-line-bytes'] !== undefined) {
    limits.maxLineBytes = parseSize('--max-line-bytes', o['max-line-bytes']);
    if (limits.maxLineBytes < 4096 || limits.maxLineBytes > 256 * 1024 ** 2) throw new UsageError('--max-line-bytes: expected a size from 4K to 256M');
  }
  if (o['max-unzipped'] !== undefined) limits.maxZipTotalBytes = parseSize('--max-unzipped', o['max-unzipped']);
  if (o['max-zip-ratio'] !== undefined) limits.maxZipRatio = wholeNumber('--max-zip-ratio', o['max-zip-ratio']);

  if (o.sigma) checkRulePaths('--sigma', o.sigma);
  const uploadTo = uploadTarget(o.upload, o.token, io.env);
  if (o['upload-server'] !== undefined && !uploadTo) throw new UsageError('--upload-server is only used with --upload URL');
  const showProgress = !o.quiet && io.stderr.isTTY === true;
  const startMs = Date.now();
  let lastDraw = 0;
  let warnings = 0;
  const clearProgress = () => {
    if (showProgress && lastDraw > 0) io.stderr.write('\r\x1b[2K');
  };
  if (showProgress && o.sigma) {
    // Reading and compiling a rules tree takes seconds before the first file is scanned.
    io.stderr.write('exhunt: reading Sigma rules…');
    lastDraw = 1;
  }
  const report = await hunt({
    paths,
    exchangePath: o['exchange-path'],
    since,
    until,
    minSeverity,
    threads: o.threads !== undefined ? wholeNumber('--threads', o.threads) : undefined,
    limits,
    skipRecovered: o['no-recovered'] === true,
    sigma: o.sigma ? { paths: o.sigma, placeholders: readPlaceholders(o['sigma-config']) } : undefined,
    sweep: o['no-file-sweep']
      ? false
      : {
          yara: o.yara ?? [],
          builtinYara: !o['no-builtin-yara'],
          ...(o['yara-max-size'] !== undefined ? { yaraMaxBytes: parseSize('--yara-max-size', o['yara-max-size']) } : {}),
          ...(o['yara-engine'] !== undefined ? { yaraEngine: yaraEngineOption(o['yara-engine']) } : {}),
          iocs: o.ioc ?? [],
          baselines: o.baseline ?? [],
        },
    filesOnly,
    pivot: !o['no-pivot'],
    onProgress: showProgress
      ? (p) => {
          const now = Date.now();
          if (now - lastDraw < 200 && p.filesDone < p.files) return;
          lastDraw = now;
          io.stderr.write(`\r\x1b[2K${progressLine(p, startMs)}`);
        }
      : undefined,
    onError: o.quiet
      ? undefined
      : (e) => {
          warnings++;
          if (warnings > 20) return;
          clearProgress();
          io.stderr.write(`exhunt: warning: ${terminalSafe(formatReportError(e))}\n`);
          if (warnings === 20) io.stderr.write('exhunt: warning: further problems are listed in the report only\n');
        },
  });
  clearProgress();
  const sr = report.stats.sigmaRules;
  if (sr && !o.quiet) {
    io.stderr.write(`exhunt: Sigma: ${sr.loaded} rule document(s) loaded${sr.rejected > 0 ? `, ${sr.rejected} not loaded (exhunt rules lint ${o.sigma!.map((p) => terminalSafe(p)).join(' ')} says why)` : ''}\n`);
  }

  const noColor = o['no-color'] === true ? false : undefined;
  const color = o.output ? false : colorWanted(io.stdout, io.env, o.color ?? noColor);
  const text = writer.render(report, { color, width: io.stdout.columns ?? 100, verbose: o.verbose });
  if (o.output) {
    await writeFile(o.output, text);
    if (!o.quiet) {
      io.stderr.write(`exhunt: ${report.verdict.status} — ${report.findings.length} finding(s); report written to ${terminalSafe(o.output)}\n`);
    }
  } else {
    io.stdout.write(text);
  }
  if (uploadTo) {
    try {
      const line = await upload(uploadTo, 'reports', writer.id === 'json' ? text : writerById('json')!.render(report, { color: false, width: 100, verbose: false }), { server: o['upload-server'] });
      if (!o.quiet) io.stderr.write(`exhunt: ${terminalSafe(line)}\n`);
    } catch (err) {
      io.stderr.write(`exhunt: error: ${terminalSafe(err instanceof Error ? err.message : String(err))}\n`);
      return EXIT.error;
    }
  }
  const threshold = severityRank(minSeverity);
  if (report.findings.some((f) => severityRank(f.severity) >= threshold)) return EXIT.findings;
  const swept = report.stats.sweep?.files ?? 0;
  if (report.coverage.files.length === 0 && (!filesOnly || swept === 0)) {
    // "Nothing found" must never mean "nothing read".
    if (!o.quiet) {
      io.stderr.write(filesOnly || swept === 0 ? `exhunt: error: no ${filesOnly ? '' : 'log '}file in the input could be read; nothing was checked\n` : `exhunt: error: no log file in the input could be read; only the file sweep ran (${swept} files, nothing found)\n`);
    }
    return EXIT.error;
  }
  return EXIT.clean;
}
