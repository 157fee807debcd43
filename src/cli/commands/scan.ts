// `exhunt scan TARGET… --scope SCOPE`: the non-intrusive remote check of Exchange servers the user is
// responsible for. Options and output only; the scan itself is src/exposure/scan/.
import { createWriteStream, readFileSync } from 'node:fs';
import { UsageError, errorMessage } from '../../core/errors.js';
import { Scope } from '../../exposure/scan/scope.js';
import { type HostResult, type ScanResult, scanTargets } from '../../exposure/scan/scanner.js';
import { type Target, expandTarget } from '../../exposure/scan/targets.js';
import { TOOL_VERSION } from '../../core/version.js';
import { paint } from '../../report/paint.js';
import { csvCell, jsonSafe, terminalSafe } from '../../report/sanitize.js';
import { parseCommandLine, wholeNumber } from '../args.js';
import { upload, uploadTarget } from '../upload.js';
import { EXIT } from '../exit-codes.js';
import { type Io, type OutStream, colorWanted } from '../io.js';
import { parseTime } from './hunt.js';

export const SCAN_HELP = `Usage: exhunt scan TARGET… --scope SCOPE [options]

Checks Exchange servers you are responsible for, from the outside, with the requests a browser
makes and nothing else: GET /owa/ (the X-OWA-Version header), the OWA logon page it redirects to
(asset paths /owa/auth/<build>/…), and GET /ecp/Current/exporttool/
microsoft.exchange.ediscovery.exporttool.application (assemblyIdentity version). No exploit
payloads, no crafted cookies, no path-confusion URLs. The build found is judged as "exhunt build"
judges it.

TARGET: host or address (port 443, or 80 with --http), host:port, [IPv6]:port, a URL
(https://mail.example.org/owa/ — scheme and port are used, the path is not), a CIDR range
(192.0.2.0/24), or @FILE with one target per line (# comments).

Options:
  -s, --scope SCOPE     required: what you are authorised to scan. Comma-separated addresses,
                        CIDR ranges, host names and *.domain, or @FILE (one per line). May be
                        repeated. A target outside it is refused before anything is sent to it; a
                        host name not listed by name must resolve only to addresses in scope, and
                        the scan connects to the address that was checked.
      --http            plain HTTP (default: HTTPS; certificates are recorded, not verified)
      --port N          port for targets without one (default 443, or 80 with --http)
  -c, --concurrency N   hosts scanned at once (default 32)
      --rate N          requests per second over the whole scan (default 50; 0 = no limit)
      --timeout T       per request: 10s, 1500ms, 2m (default 10s)
      --retries N       retries of a request that timed out or was reset, with backoff (default 2)
      --max-hosts N     refuse a range bigger than N addresses (default 65536)
  -f, --format FORMAT   console|json|jsonl|csv (default: console)
  -o, --output FILE     write the results to FILE instead of standard output
      --as-of DATE      judge product support as of DATE (default: today)
      --upload URL      also send the JSON results to an exhunt serve instance (its base URL); the
                        service keeps hosts inside the organisation's registered ranges
      --token T         the organisation's API token for --upload (or EXHUNT_TOKEN)
  -q, --quiet           no progress bar on standard error
      --color/--no-color
  -h, --help            this help

JSON: { tool, interrupted, stats, hosts: [{ target, address, port, scheme, reachable, exchange,
build, buildSource (x-owa-version|exporttool|owa-path), product, cu, su, cves: [{ id, name,
fixedIn, kb }], suDependent, verdict (patched|vulnerable|outdated-unsupported|unknown|refused),
summary, tls: { subject, issuer, validFrom, validTo, expired, selfSigned, altNames, sha256 },
error, evidence, requests, durationMs }] }. jsonl prints one host per line as it finishes.

Ctrl-C stops the scan and still writes every result so far (hosts not reached say so).

Exit codes: 0 no host vulnerable or unsupported, 1 some host vulnerable or outdated-unsupported,
2 usage error, every target refused or the --upload failed, 130 interrupted (partial results
written).
`;

function listOrFile(flag: string, values: readonly string[]): string[] {
  return values.flatMap((v) => {
    if (!v.startsWith('@')) return v.split(',');
    try {
      return readFileSync(v.slice(1), 'utf8').split(/\r?\n/).map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
    } catch (err) {
      throw new UsageError(`${flag} ${v}: ${errorMessage(err)}`);
    }
  });
}

function parseDuration(flag: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (!m) throw new UsageError(`${flag}: expected a duration such as 10s, 1500ms or 2m, got "${v}"`);
  const n = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
  if (n < 1) throw new UsageError(`${flag}: must be at least 1ms`);
  return n;
}

const CSV_COLUMNS = ['target', 'address', 'port', 'scheme', 'reachable', 'exchange', 'build', 'build_source', 'product', 'cu', 'su', 'verdict', 'cves', 'su_dependent', 'tls_subject', 'tls_issuer', 'tls_valid_to', 'error'];

function csvRow(h: HostResult): string {
  const cells = [h.target, h.address ?? '', h.port, h.scheme, String(h.reachable), String(h.exchange), h.build ?? '', h.buildSource ?? '', h.product ?? '', h.cu ?? '', h.su ?? '', h.verdict,
    h.cves.map((c) => c.id).join(' '), h.suDependent.join(' '), h.tls?.subject ?? '', h.tls?.issuer ?? '', h.tls?.validTo ?? '', h.error ?? ''];
  return cells.map((c) => csvCell(c)).join(',');
}

const VERDICT_STYLE = { vulnerable: ['red', 'bold'], 'outdated-unsupported': ['yellow', 'bold'], unknown: ['dim'], patched: ['green'], refused: ['magenta'] } as const;

function consoleTable(result: ScanResult, color: boolean, width: number): string {
  const rows = result.hosts.map((h) => {
    const what = h.product ? `${h.product.replace('Exchange ', 'Ex')} ${h.cu}${h.su ? ` ${h.su}` : ''}` : h.exchange ? 'Exchange' : h.reachable && !h.error ? 'not Exchange' : '';
    const build = h.build ? `${h.build} (${h.buildSource})` : '';
    const note = h.error ?? (h.cves.length > 0 ? `${h.cves.length} open CVE${h.cves.length === 1 ? '' : 's'}: ${h.cves.slice(0, 3).map((c) => c.id).join(' ')}${h.cves.length > 3 ? ' …' : ''}` : '');
    return [h.target, h.verdict, build, what, note].map(terminalSafe);
  });
  const head = ['TARGET', 'VERDICT', 'BUILD (SOURCE)', 'PRODUCT', 'NOTE'];
  const w = head.map((t, i) => Math.min(i === 4 ? 200 : 40, Math.max(t.length, ...rows.map((r) => r[i]!.length))));
  const line = (cells: string[], style?: readonly ('red' | 'bold' | 'yellow' | 'dim' | 'green' | 'magenta')[]): string => {
    const text = cells.map((c, i) => (c.length > w[i]! ? `${c.slice(0, w[i]! - 1)}…` : c.padEnd(w[i]!))).join('  ').trimEnd();
    const cut = text.length > width ? `${text.slice(0, width - 1)}…` : text;
    return style ? paint(color, style, cut) : cut;
  };
  const out = [line(head, ['bold']), ...rows.map((r, i) => line(r, VERDICT_STYLE[result.hosts[i]!.verdict]))];
  const by = (v: string): number => result.hosts.filter((h) => h.verdict === v).length;
  const s = result.stats;
  out.push('', `${s.targets} target${s.targets === 1 ? '' : 's'}: ${by('vulnerable')} vulnerable, ${by('outdated-unsupported')} outdated-unsupported, ${by('patched')} patched, ${by('unknown')} unknown, ${by('refused')} refused · ${s.exchange} Exchange · ${s.requests} requests in ${(s.durationMs / 1000).toFixed(1)} s (${s.hostsPerSecond} hosts/s)${result.interrupted ? ' · INTERRUPTED' : ''}`);
  return `${out.join('\n')}\n`;
}

export async function scanCommand(argv: string[], io: Io): Promise<number> {
  const { values: o, positionals } = parseCommandLine(argv, {
    scope: { type: 'string', short: 's', multiple: true },
    http: { type: 'boolean', default: false },
    port: { type: 'string' },
    concurrency: { type: 'string', short: 'c', default: '32' },
    rate: { type: 'string', default: '50' },
    timeout: { type: 'string', default: '10s' },
    retries: { type: 'string', default: '2' },
    'max-hosts': { type: 'string', default: '65536' },
    format: { type: 'string', short: 'f', default: 'console' },
    output: { type: 'string', short: 'o' },
    'as-of': { type: 'string' },
    upload: { type: 'string' },
    token: { type: 'string' },
    quiet: { type: 'boolean', short: 'q', default: false },
    color: { type: 'boolean' },
    'no-color': { type: 'boolean' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (o.help) {
    io.stdout.write(SCAN_HELP);
    return EXIT.clean;
  }
  if (positionals.length === 0) throw new UsageError('scan: give at least one target (host, host:port, URL, CIDR range or @file)');
  if (!o.scope || o.scope.length === 0) throw new UsageError('scan: --scope is required: list the addresses, ranges or host names you are authorised to scan');
  if (!['console', 'json', 'jsonl', 'csv'].includes(o.format)) throw new UsageError(`--format: expected console, json, jsonl or csv, got "${o.format}"`);
  const scope = new Scope(listOrFile('--scope', o.scope));
  const uploadTo = uploadTarget(o.upload, o.token, io.env);
  const maxHosts = wholeNumber('--max-hosts', o['max-hosts'], 1);
  const defaults = { tls: !o.http, ...(o.port ? { port: wholeNumber('--port', o.port, 1) } : {}) };
  const targets: Target[] = [];
  for (const spec of listOrFile('target', positionals)) {
    for (const t of expandTarget(spec, defaults, maxHosts)) {
      targets.push(t);
      if (targets.length > maxHosts) throw new UsageError(`the targets hold more than --max-hosts ${maxHosts} hosts`);
    }
  }
  const now = o['as-of'] === undefined ? Date.now() : parseTime('--as-of', o['as-of'], false);
  const out: OutStream = o.output ? createWriteStream(o.output) : io.stdout;
  const showProgress = !o.quiet && io.stderr.isTTY === true && targets.length > 1;
  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    io.stderr.write('\nexhunt: interrupted; writing the results so far (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const started = Date.now();
  let result: ScanResult;
  try {
    result = await scanTargets(targets, {
      scope,
      concurrency: wholeNumber('--concurrency', o.concurrency, 1),
      rate: wholeNumber('--rate', o.rate, 0),
      timeoutMs: parseDuration('--timeout', o.timeout),
      retries: wholeNumber('--retries', o.retries, 0),
      now,
      signal: controller.signal,
      onHost: (h, done, total) => {
        if (o.format === 'jsonl') out.write(`${jsonSafe(JSON.stringify(h))}\n`);
        if (showProgress && (done === total || done % 5 === 0)) {
          const rate = done / Math.max(0.001, (Date.now() - started) / 1000);
          const width = 24;
          const filled = Math.round((done / total) * width);
          io.stderr.write(`\r\x1b[2Kscan [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} hosts · ${rate.toFixed(0)} hosts/s`);
        }
      },
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
    if (showProgress) io.stderr.write('\r\x1b[2K');
  }
  const json = (): string => jsonSafe(JSON.stringify({ tool: { name: 'exhunt', version: TOOL_VERSION }, interrupted: result.interrupted, stats: result.stats, hosts: result.hosts }, null, 2));
  if (o.format === 'json') {
    out.write(`${json()}\n`);
  } else if (o.format === 'csv') {
    out.write(`${CSV_COLUMNS.join(',')}\n${result.hosts.map((h) => `${csvRow(h)}\n`).join('')}`);
  } else if (o.format === 'jsonl') {
    for (const h of result.hosts) if (h.error === 'not scanned: interrupted') out.write(`${jsonSafe(JSON.stringify(h))}\n`);
  } else {
    out.write(consoleTable(result, colorWanted(io.stdout, io.env, o['no-color'] ? false : o.color), o.output ? 500 : (io.stdout.columns ?? 120)));
  }
  if (o.output) await new Promise<void>((resolve) => (out as ReturnType<typeof createWriteStream>).end(resolve));
  if (uploadTo) {
    try {
      const line = await upload(uploadTo, 'scans', json());
      if (!o.quiet) io.stderr.write(`exhunt: ${terminalSafe(line)}\n`);
    } catch (err) {
      io.stderr.write(`exhunt: error: ${terminalSafe(err instanceof Error ? err.message : String(err))}\n`);
      return EXIT.error;
    }
  }
  if (result.interrupted) return EXIT.interrupted;
  if (result.stats.refused === targets.length) {
    io.stderr.write(`exhunt: every target was refused: none is inside --scope\n`);
    return EXIT.error;
  }
  return result.hosts.some((h) => h.verdict === 'vulnerable' || h.verdict === 'outdated-unsupported') ? EXIT.findings : EXIT.clean;
}
