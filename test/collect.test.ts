// `exhunt collect` against a fake Windows host: an in-memory file tree with mtimes, a registry
// value, environment variables and a fake wevtutil. The zip is read back with yauzl and hunted.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { on } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import yauzl from 'yauzl';
import type { Entry } from 'yauzl';
import { type CollectOptions, type CollectResult, collectTriage } from '../src/collect/collect.js';
import { type CollectHost, type EntryStat, type ExportOutcome, classifyWevtutilFailure, parseRegQueryValue } from '../src/collect/host.js';
import { iisLogDirectories } from '../src/collect/iis-config.js';
import { DEFAULT_EXCHANGE_PATH, EXCHANGE_SETUP_KEY, resolveExchangePath } from '../src/collect/plan.js';
import { eventLogZipPath, expandEnvVars, zipPathFor } from '../src/collect/winpath.js';
import { fixedClock } from '../src/core/clock.js';
import { FIXED_TIME, huntFixed, runCli, tempDir } from './helpers.js';

const win = path.win32;
const EX = 'C:\\Program Files\\Microsoft\\Exchange Server\\V15';
const TEMP = 'C:\\Users\\admin\\AppData\\Local\\Temp';
const DAY = 86_400_000;
const T0 = Date.parse('2021-03-01T00:00:00Z');

const IIS_LOG =
  '#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2021-03-02 00:00:00\n' +
  '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n' +
  '2021-03-02 10:00:00 10.0.0.5 GET /owa/auth/logon.aspx - 443 - 203.0.113.9 Mozilla/5.0 - 200 0 0 15\n';

const APPLICATION_HOST_CONFIG = `<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <system.applicationHost>
    <sites>
      <site name="Default Web Site" id="1">
        <logFile directory="D:\\IISLogs" />
      </site>
      <site name="Exchange Back End" id="2" />
      <siteDefaults>
        <logFile logFormat="W3C" directory="%SystemDrive%\\inetpub\\logs\\LogFiles" />
      </siteDefaults>
      <!-- <logFile directory="E:\\Old" /> -->
    </sites>
  </system.applicationHost>
</configuration>
`;

interface FakeFile {
  data?: string | Buffer;
  mtimeMs?: number;
  kind?: 'file' | 'link';
  /** open() fails with this code (EACCES, EBUSY…). */
  openError?: string;
  /** Listed and stat'ed, gone when opened. */
  vanishes?: boolean;
  /** The read fails with EIO after this many bytes. */
  readErrorAfter?: number;
}

interface Node {
  path: string;
  kind: 'file' | 'dir' | 'link';
  data: Buffer;
  mtimeMs: number;
  spec: FakeFile;
}

function fsError(code: string, p: string): Error {
  return Object.assign(new Error(`${code}: ${p}`), { code });
}

function failingStream(data: Buffer, after: number): Readable {
  let reads = 0;
  return new Readable({
    read() {
      if (reads++ === 0) this.push(data.subarray(0, after));
      else this.destroy(fsError('EIO', 'read'));
    },
  });
}

class FakeHost implements CollectHost {
  platform = 'win32';
  readonly nodes = new Map<string, Node>();
  readonly vars: Record<string, string> = { SystemDrive: 'C:', windir: 'C:\\Windows' };
  readonly registry = new Map<string, string>();
  /** Channel → exported content, or the failure wevtutil reports. */
  readonly channels = new Map<string, Buffer | ExportOutcome>();
  readonly tempDirs: string[] = [];
  private temps = 0;

  constructor(files: Record<string, string | FakeFile>) {
    for (const [p, f] of Object.entries(files)) this.put(p, typeof f === 'string' ? { data: f } : f);
  }

  put(p: string, f: FakeFile): void {
    const data = Buffer.isBuffer(f.data) ? f.data : Buffer.from(f.data ?? '');
    this.nodes.set(p.toLowerCase(), { path: p, kind: f.kind ?? 'file', data, mtimeMs: f.mtimeMs ?? T0, spec: f });
    for (let d = win.dirname(p); d !== win.dirname(d); d = win.dirname(d)) {
      if (!this.nodes.has(d.toLowerCase())) this.nodes.set(d.toLowerCase(), { path: d, kind: 'dir', data: Buffer.alloc(0), mtimeMs: T0, spec: {} });
    }
  }

  private node(p: string): Node {
    const n = this.nodes.get(win.normalize(p).toLowerCase());
    if (!n) throw fsError('ENOENT', p);
    return n;
  }

  env(name: string): string | undefined {
    return Object.entries(this.vars).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  }
  hostName(): string {
    return 'EXCH01';
  }
  async readRegistryValue(key: string, name: string): Promise<string | undefined> {
    return this.registry.get(`${key}|${name}`.toLowerCase());
  }
  async listDir(dir: string): Promise<string[]> {
    if (this.node(dir).kind !== 'dir') throw fsError('ENOTDIR', dir);
    const key = win.normalize(dir).toLowerCase();
    return [...this.nodes.values()].filter((n) => win.dirname(n.path).toLowerCase() === key && n.path.toLowerCase() !== key).map((n) => win.basename(n.path));
  }
  async lstat(p: string): Promise<EntryStat> {
    const n = this.node(p);
    return { kind: n.kind, size: n.data.length, mtimeMs: n.mtimeMs };
  }
  async openRead(p: string, length: number): Promise<Readable> {
    const n = this.node(p);
    if (n.spec.vanishes) throw fsError('ENOENT', p);
    if (n.spec.openError) throw fsError(n.spec.openError, p);
    if (n.spec.readErrorAfter !== undefined) return failingStream(n.data, n.spec.readErrorAfter);
    return Readable.from([n.data.subarray(0, length)]);
  }
  async exportEventLog(channel: string, dest: string): Promise<ExportOutcome> {
    const c = this.channels.get(channel);
    if (c === undefined) return classifyWevtutilFailure(15007, 'Failed to read configuration for log. The specified channel could not be found.');
    if (!Buffer.isBuffer(c)) return c;
    this.put(dest, { data: c, mtimeMs: FIXED_TIME });
    return { ok: true };
  }
  async makeTempDir(): Promise<string> {
    const d = win.join(TEMP, `exhunt-collect-${++this.temps}`);
    this.tempDirs.push(d);
    this.put(win.join(d, '.keep'), { data: '' });
    return d;
  }
  async removeTemp(p: string): Promise<void> {
    const key = win.normalize(p).toLowerCase();
    for (const k of [...this.nodes.keys()]) if (k === key || k.startsWith(`${key}\\`)) this.nodes.delete(k);
  }
  absolutePath(p: string): string {
    return p;
  }
  /** Paths still present under the temporary folders. */
  leftInTemp(): string[] {
    return [...this.nodes.values()].filter((n) => this.tempDirs.some((d) => n.path.toLowerCase().startsWith(d.toLowerCase()))).map((n) => n.path);
  }
}

/** The Exchange server of most tests: logs, web folders, IIS logs in two places, event logs, and trouble. */
function exchangeServer(): FakeHost {
  const host = new FakeHost({
    [`${EX}\\Logging\\HttpProxy\\Owa\\HttpProxy_2021030212-1.LOG`]: { data: 'DateTime,RequestId\n', mtimeMs: T0 + 1 * DAY },
    [`${EX}\\Logging\\ECP\\Server\\ECPServer2021030201-1.LOG`]: { data: 'ecp server log\n', mtimeMs: T0 + 2 * DAY },
    [`${EX}\\Logging\\Secret\\denied.log`]: { data: 'no', openError: 'EACCES' },
    [`${EX}\\Logging\\Rotated\\old.log`]: { data: 'gone', vanishes: true },
    [`${EX}\\Logging\\Big\\huge.log`]: { data: Buffer.alloc(64 * 1024, 0x41) },
    [`${EX}\\FrontEnd\\HttpProxy\\owa\\auth\\errorFE.aspx`]: '<%@ Page %>',
    [`${EX}\\FrontEnd\\HttpProxy\\owa\\auth\\Current`]: { kind: 'link' },
    [`${EX}\\ClientAccess\\ecp\\web.config`]: '<configuration/>',
    'C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\shell.aspx': '<%@ Page Language="Jscript"%>',
    'C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex210302.log': { data: IIS_LOG, mtimeMs: T0 + 1 * DAY },
    'C:\\inetpub\\logs\\LogFiles\\W3SVC2\\u_ex210301.log': { data: IIS_LOG, mtimeMs: T0 },
    'C:\\inetpub\\logs\\LogFiles\\HTTPERR\\httperr1.log': 'not an IIS site log',
    'D:\\IISLogs\\W3SVC1\\u_ex210303.log': { data: IIS_LOG, mtimeMs: T0 + 3 * DAY },
    'C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config': APPLICATION_HOST_CONFIG,
  });
  host.vars['ExchangeInstallPath'] = `${EX}\\`;
  for (const c of ['Application', 'Security', 'System', 'MSExchange Management']) host.channels.set(c, Buffer.from(`ElfFile ${c}`));
  host.channels.set('Microsoft-Windows-Windows Defender/Operational', classifyWevtutilFailure(5, 'Failed to export log. Access is denied.'));
  return host;
}

function outputPath(): string {
  return path.join(tempDir(), 'EXCH01-triage.zip');
}

function collect(host: FakeHost, opts: Partial<CollectOptions> = {}): Promise<CollectResult> {
  return collectTriage(host, { output: outputPath(), clock: fixedClock(FIXED_TIME), maxFileSize: 32 * 1024, ...opts });
}

/** Every entry with its content, in archive order. */
async function readZip(file: string): Promise<{ name: string; data: Buffer }[]> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false });
  const endOfEntries = new AbortController();
  zip.once('end', () => endOfEntries.abort());
  const entries = on(zip, 'entry', { signal: endOfEntries.signal });
  const out: { name: string; data: Buffer }[] = [];
  zip.readEntry();
  try {
    for await (const [e] of entries) {
      const chunks: Buffer[] = [];
      for await (const c of await zip.openReadStreamPromise(e as Entry)) chunks.push(c as Buffer);
      out.push({ name: (e as Entry).fileName, data: Buffer.concat(chunks) });
      zip.readEntry();
    }
  } catch (err) {
    if (!endOfEntries.signal.aborted) throw err;
  }
  zip.close();
  return out;
}

function reasons(r: CollectResult): Record<string, string> {
  return Object.fromEntries(r.manifest.notCollected.map((n) => [n.sourcePath, n.reason]));
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('collect: Windows paths and config', () => {
  test('zip paths mirror Windows paths; event logs are named as Windows names them', () => {
    const cases: [string, string][] = [
      ['C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex210302.log', 'C/inetpub/logs/LogFiles/W3SVC1/u_ex210302.log'],
      [`${EX}\\Logging\\HttpProxy\\Owa\\x.LOG`, 'C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Owa/x.LOG'],
      ['d:\\IISLogs\\.\\W3SVC1\\..\\W3SVC1\\a.log', 'D/IISLogs/W3SVC1/a.log'],
      ['\\\\fileserver\\logs\\W3SVC1\\a.log', 'UNC/fileserver/logs/W3SVC1/a.log'],
    ];
    for (const [p, z] of cases) assert.equal(zipPathFor(p), z, p);
    assert.equal(eventLogZipPath('Microsoft-Windows-Sysmon/Operational'), 'EventLogs/Microsoft-Windows-Sysmon%4Operational.evtx');
    assert.equal(expandEnvVars('%systemdrive%\\x\\%Nope%', (n) => (n.toLowerCase() === 'systemdrive' ? 'C:' : undefined)), 'C:\\x\\%Nope%');
  });

  test('applicationHost.config: siteDefaults and per-site log directories, not commented-out ones', () => {
    assert.deepEqual(iisLogDirectories(APPLICATION_HOST_CONFIG), ['D:\\IISLogs', '%SystemDrive%\\inetpub\\logs\\LogFiles']);
    assert.deepEqual(iisLogDirectories(`<log><centralW3CLogFile enabled="true" directory='E:\\Central &amp; Logs' /></log>`), ['E:\\Central & Logs']);
    assert.deepEqual(iisLogDirectories('not xml at all'), []);
  });

  test('reg query output and wevtutil failures are understood', () => {
    const out = '\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\ExchangeServer\\v15\\Setup\r\n    MsiInstallPath    REG_SZ    E:\\Exchange Server\\V15\\\r\n\r\n';
    assert.equal(parseRegQueryValue(out, 'MsiInstallPath'), 'E:\\Exchange Server\\V15\\');
    assert.equal(parseRegQueryValue(out, 'Other'), undefined);
    assert.deepEqual(classifyWevtutilFailure(15007, 'Failed to read configuration for log X. The specified channel could not be found.\r\n'), {
      ok: false,
      missing: true,
      message: 'Failed to read configuration for log X. The specified channel could not be found.',
    });
    assert.equal((classifyWevtutilFailure(5, '') as { missing: boolean; message: string }).message, 'wevtutil exited with code 5');
  });

  test('the Exchange install path: --exchange-path, else the environment, else the registry, else the default', async () => {
    const host = new FakeHost({});
    assert.deepEqual(await resolveExchangePath(host), { path: DEFAULT_EXCHANGE_PATH, from: 'default' });
    host.registry.set(`${EXCHANGE_SETUP_KEY}|MsiInstallPath`.toLowerCase(), 'E:\\Exchange Server\\V15\\');
    assert.deepEqual(await resolveExchangePath(host), { path: 'E:\\Exchange Server\\V15', from: 'registry' });
    host.vars['EXCHANGEINSTALLPATH'] = 'relative\\V15';
    assert.equal((await resolveExchangePath(host)).from, 'registry', 'a relative path is not trusted');
    host.vars['EXCHANGEINSTALLPATH'] = 'F:\\Ex\\V15\\';
    assert.deepEqual(await resolveExchangePath(host), { path: 'F:\\Ex\\V15', from: 'environment' });
    assert.deepEqual(await resolveExchangePath(host, 'G:\\Mine\\V15'), { path: 'G:\\Mine\\V15', from: 'option' });
  });
});

describe('collect: the triage zip', () => {
  test('layout, manifest last, hashes equal the content, not-collected reasons, temp folder removed', async () => {
    const host = exchangeServer();
    const progress: number[] = [];
    const r = await collect(host, { onProgress: (p) => progress.push(p.filesDone) });
    const entries = await readZip(r.output);
    const names = entries.map((e) => e.name);
    assert.deepEqual(names, [
      'EventLogs/Application.evtx',
      'EventLogs/Security.evtx',
      'EventLogs/System.evtx',
      'EventLogs/MSExchange Management.evtx',
      'C/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/errorFE.aspx',
      'C/Program Files/Microsoft/Exchange Server/V15/ClientAccess/ecp/web.config',
      'C/inetpub/wwwroot/aspnet_client/system_web/shell.aspx',
      'C/Windows/System32/inetsrv/config/applicationHost.config',
      'D/IISLogs/W3SVC1/u_ex210303.log',
      'C/Program Files/Microsoft/Exchange Server/V15/Logging/ECP/Server/ECPServer2021030201-1.LOG',
      'C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Owa/HttpProxy_2021030212-1.LOG',
      'C/inetpub/logs/LogFiles/W3SVC1/u_ex210302.log',
      'C/inetpub/logs/LogFiles/W3SVC2/u_ex210301.log',
      'manifest.json',
    ]);
    const manifest = JSON.parse(entries.at(-1)!.data.toString('utf8')) as CollectResult['manifest'];
    assert.deepEqual(manifest, JSON.parse(JSON.stringify(r.manifest)));
    assert.equal(manifest.host, 'EXCH01');
    assert.equal(manifest.startTime, '2026-01-01T00:00:00.000Z');
    assert.equal(manifest.options.exchangePathFrom, 'environment');
    assert.equal(manifest.files.length, entries.length - 1);
    for (const [i, f] of manifest.files.entries()) {
      assert.equal(f.zipPath, entries[i]!.name);
      assert.equal(f.sha256, sha256(entries[i]!.data), f.zipPath);
      assert.equal(f.size, entries[i]!.data.length);
    }
    const iis = manifest.files.find((f) => f.zipPath === 'D/IISLogs/W3SVC1/u_ex210303.log')!;
    assert.deepEqual(iis, { zipPath: iis.zipPath, sourcePath: 'D:\\IISLogs\\W3SVC1\\u_ex210303.log', size: IIS_LOG.length, mtime: '2021-03-04T00:00:00.000Z', sha256: sha256(Buffer.from(IIS_LOG)) });
    assert.deepEqual(reasons(r), {
      [`${EX}\\Logging\\Big\\huge.log`]: '64.0 KiB, over the --max-file-size cap of 32.0 KiB',
      [`${EX}\\FrontEnd\\HttpProxy\\owa\\auth\\Current`]: 'symbolic link or junction: not followed',
      [`${EX}\\Logging\\Secret\\denied.log`]: 'permission denied',
      [`${EX}\\Logging\\Rotated\\old.log`]: 'vanished while collecting (deleted or rotated)',
      'eventlog:Microsoft-Windows-Sysmon/Operational': 'event log channel not found on this server',
      'eventlog:Microsoft-Windows-Windows Defender/Operational': 'wevtutil epl failed: Failed to export log. Access is denied.',
    });
    assert.equal(manifest.totals.notCollected, 6);
    assert.deepEqual(host.leftInTemp(), [], 'the wevtutil exports and their folder are removed');
    assert.equal(host.tempDirs.length, 1);
    assert.ok(progress.length > 0 && progress.every((n, i) => i === 0 || n >= progress[i - 1]!));
  });

  test('the produced zip is hunted: its IIS logs are read', async () => {
    const r = await collect(exchangeServer());
    const report = await huntFixed([r.output]);
    assert.ok(report.coverage.sources.some((s) => s.source === 'iis'), JSON.stringify(report.coverage.sources));
  });

  test('the registry path is used when the environment has none; --exchange-path must exist', async () => {
    const host = new FakeHost({ 'E:\\Exchange Server\\V15\\Logging\\HttpProxy\\Ews\\a.LOG': 'x' });
    host.registry.set(`${EXCHANGE_SETUP_KEY}|MsiInstallPath`.toLowerCase(), 'E:\\Exchange Server\\V15\\');
    const r = await collect(host);
    assert.deepEqual(r.manifest.files.map((f) => f.zipPath), ['E/Exchange Server/V15/Logging/HttpProxy/Ews/a.LOG']);
    assert.equal(r.manifest.options.exchangePathFrom, 'registry');
    await assert.rejects(collect(host, { exchangePath: 'Z:\\Nope' }), /--exchange-path Z:\\Nope: no such folder/);
  });

  test('--max-total-size keeps the event logs, the web folders and the newest logs', async () => {
    const logs = Object.fromEntries(
      [1, 2, 3, 4].map((d) => [`${EX}\\Logging\\HttpProxy\\Owa\\HttpProxy_2021030${d}00-1.LOG`, { data: Buffer.alloc(1000, 0x61), mtimeMs: T0 + d * DAY }]),
    );
    const host = new FakeHost({ ...logs, 'C:\\inetpub\\wwwroot\\iisstart.htm': { data: Buffer.alloc(500, 0x62) } });
    host.channels.set('Application', Buffer.alloc(500, 0x63));
    const r = await collect(host, { exchangePath: EX, maxTotalSize: 3000 });
    assert.deepEqual(
      r.manifest.files.map((f) => path.win32.basename(f.sourcePath)),
      ['eventlog:Application', 'iisstart.htm', 'HttpProxy_2021030400-1.LOG', 'HttpProxy_2021030300-1.LOG'],
    );
    assert.equal(r.manifest.totals.bytes, 3000);
    const capped = r.manifest.notCollected.filter((n) => /max-total-size/.test(n.reason)).map((n) => path.win32.basename(n.sourcePath));
    assert.deepEqual(capped, ['HttpProxy_2021030200-1.LOG', 'HttpProxy_2021030100-1.LOG']);
  });

  test('--since leaves out older logs only: web folders and event logs are whole', async () => {
    const host = new FakeHost({
      [`${EX}\\Logging\\a\\old.log`]: { data: 'old', mtimeMs: T0 },
      [`${EX}\\Logging\\a\\new.log`]: { data: 'new', mtimeMs: T0 + 10 * DAY },
      [`${EX}\\FrontEnd\\HttpProxy\\owa\\auth\\old.aspx`]: { data: 'aspx', mtimeMs: T0 - 100 * DAY },
    });
    host.channels.set('System', Buffer.from('evtx'));
    const r = await collect(host, { exchangePath: EX, since: T0 + DAY });
    assert.deepEqual(r.manifest.files.map((f) => path.win32.basename(f.sourcePath)), ['eventlog:System', 'old.aspx', 'new.log']);
    assert.equal(r.manifest.totals.olderThanSince, 1);
    assert.equal(r.manifest.options.since, '2021-03-02T00:00:00.000Z');
  });

  test('a read that fails midway keeps the part read, hashed, and says so', async () => {
    const host = new FakeHost({ [`${EX}\\Logging\\a\\locked.log`]: { data: 'abcdefgh', readErrorAfter: 3 } });
    const r = await collect(host, { exchangePath: EX });
    const f = r.manifest.files[0]!;
    assert.equal(f.size, 3);
    assert.equal(f.sha256, sha256(Buffer.from('abc')));
    assert.match(f.incomplete!, /^read failed after 3 of 8 bytes: EIO/);
    assert.match(reasons(r)[`${EX}\\Logging\\a\\locked.log`]!, /the zip holds the part read$/);
    assert.equal((await readZip(r.output))[0]!.data.toString(), 'abc');
  });

  test('an existing output is not overwritten without --force; the zip may not go into the evidence', async () => {
    const output = outputPath();
    writeFileSync(output, 'keep me');
    await assert.rejects(collect(exchangeServer(), { output }), /already exists; add --force/);
    assert.equal(readFileSync(output, 'utf8'), 'keep me');
    const r = await collect(exchangeServer(), { output, force: true });
    assert.equal((await readZip(r.output)).at(-1)!.name, 'manifest.json');
    await assert.rejects(collect(exchangeServer(), { output: 'C:\\inetpub\\wwwroot\\triage.zip' }), /inside C:\\inetpub, which is being collected/);
    await assert.rejects(collect(exchangeServer(), { output: `${EX}\\Logging\\triage.zip` }), /inside C:\\Program Files/);
  });
});

describe('collect: command line', () => {
  test('the help lists every option with an example and the exit codes', async () => {
    const r = await runCli(['collect', '--help']);
    assert.equal(r.code, 0);
    for (const opt of ['--output', '--force', '--exchange-path', '--since', '--max-file-size', '--max-total-size']) assert.ok(r.stdout.includes(opt), opt);
    assert.match(r.stdout, /500MB/);
    assert.match(r.stdout, /Exit codes: 0 everything collected, 1 /);
    assert.match((await runCli(['--help'])).stdout, /collect +on the Exchange server/);
  });

  test('off Windows it refuses in one line, with exit code 2', { skip: process.platform === 'win32' }, async () => {
    const output = outputPath();
    const r = await runCli(['collect', '-o', output]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^exhunt: error: collect must run on the Exchange server itself \(Windows\)/);
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1);
    assert.equal(existsSync(output), false);
    assert.equal((await runCli(['collect', '--max-file-size', 'lots'])).code, 2);
  });
});
