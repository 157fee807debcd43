// The command line, run in-process through main(argv, io): output, formats, filters, exit codes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseSize, parseTime } from '../src/cli/commands/hunt.js';
import { SCHEMA_VERSION } from '../src/core/version.js';
import { iisHeader, iisLine } from '../tools/corpus/formats.js';
import { collection, runCli, tempDir } from './helpers.js';

const DEMO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'demo-triage');
const T = Date.parse('2021-03-05T03:06:27Z');
const line = (stem: string, status: number, ua = 'Mozilla/5.0', time = T) =>
  iisLine({ time, serverIp: '10.0.0.5', method: 'GET', stem, query: '', port: 443, user: '', clientIp: '198.51.100.77', userAgent: ua, status, timeTaken: 5, cafeReqId: 'r' });

describe('exhunt CLI', () => {
  test('help and version', async () => {
    const h = await runCli(['--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /Usage: exhunt <command>/);
    assert.match(h.stdout, /hunt {2,}hunt a triage collection/);
    const hh = await runCli(['hunt', '--help']);
    assert.match(hh.stdout, /--min-severity SEV/);
    assert.match((await runCli(['--version'])).stdout, /^\d+\.\d+\.\d+\n$/);
  });

  test('usage errors exit 2 with one clear line', async () => {
    for (const argv of [['frobnicate'], ['hunt'], ['hunt', '--format', 'xml', DEMO], ['hunt', '--min-severity', 'severe', DEMO], ['hunt', '--since', 'yesterday', DEMO], ['hunt', '--bogus', DEMO], ['hunt', '--threads', '0', DEMO], ['hunt', '--max-line-bytes', '0', DEMO], ['hunt', '--max-line-bytes', '3G', DEMO], ['hunt', path.join(tempDir(), 'missing')]]) {
      const r = await runCli(argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.stderr, /^exhunt: error: .+\n/, argv.join(' '));
      assert.equal(r.stdout, '');
    }
  });

  test('the demo: verdict first, findings by severity, exit 1', async () => {
    const r = await runCli(['hunt', '--demo', '--no-color']);
    assert.equal(r.code, 1);
    const out = r.stdout;
    assert.ok(out.indexOf('COMPROMISED') < out.indexOf('CRITICAL ('));
    assert.ok(out.indexOf('CRITICAL (') < out.indexOf('HIGH ('));
    assert.ok(out.indexOf('HIGH (') < out.indexOf('LOW ('));
    assert.match(out, /Attacker IPs: 198\.51\.100\.77, 203\.0\.113\.45/);
    assert.match(out, /Logs read: /);
    assert.match(out, /WHAT TO DO NOW\n {2}1\. /);
    assert.doesNotMatch(out, /\x1b\[/, 'no colour when asked');
  });

  test('colour follows the terminal, NO_COLOR and the flags', async () => {
    const tty = await runCli(['hunt', '--demo'], {}, true);
    assert.match(tty.stdout, /\x1b\[31m/);
    const noColor = await runCli(['hunt', '--demo'], { NO_COLOR: '1' }, true);
    assert.doesNotMatch(noColor.stdout, /\x1b\[/);
    const piped = await runCli(['hunt', '--demo'], {}, false);
    assert.doesNotMatch(piped.stdout, /\x1b\[/);
    const forced = await runCli(['hunt', '--demo', '--color'], {}, false);
    assert.match(forced.stdout, /\x1b\[/);
  });

  test('--min-severity filters findings and sets the exit threshold', async () => {
    const root = collection({ 'u_ex.log': `${iisHeader(T)}${line('/aspnet_client/shell.aspx', 404)}\r\n` });
    const low = await runCli(['hunt', root, '--format', 'json']);
    assert.equal(low.code, 1);
    assert.equal(JSON.parse(low.stdout).findings.length, 1);
    const high = await runCli(['hunt', root, '--format', 'json', '--min-severity', 'high']);
    assert.equal(high.code, 0);
    const rep = JSON.parse(high.stdout);
    assert.equal(rep.findings.length, 0);
    assert.equal(rep.stats.belowThreshold, 1);
    assert.equal(rep.verdict.status, 'SCANNED ONLY', 'the verdict still counts hidden findings');
  });

  test('--since/--until keep only records in the window', async () => {
    const root = collection({
      'u_ex.log': `${iisHeader(T)}${line('/owa/auth/a.aspx', 200, 'x', Date.parse('2021-03-01T10:00:00Z'))}\r\n${line('/owa/auth/b.aspx', 200, 'x', Date.parse('2021-03-05T23:59:59Z'))}\r\n${line('/owa/auth/c.aspx', 200, 'x', Date.parse('2021-03-06T00:00:00Z'))}\r\n`,
    });
    const r = await runCli(['hunt', root, '--format', 'json', '--since', '2021-03-02', '--until', '2021-03-05']);
    const rep = JSON.parse(r.stdout);
    assert.deepEqual(rep.findings.map((f: { title: string }) => f.title), ['Web shell used: /owa/auth/b.aspx']);
    assert.deepEqual(rep.options, { minSeverity: 'low', since: '2021-03-02T00:00:00.000Z', until: '2021-03-05T23:59:59.999Z' });
    assert.equal(rep.coverage.first, '2021-03-01T10:00:00.000Z', 'coverage still describes the whole log');
  });

  test('-o writes the report and a one-line verdict to stderr', async () => {
    const out = path.join(tempDir(), 'report.json');
    const r = await runCli(['hunt', '--demo', '--format', 'json', '-o', out]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^exhunt: COMPROMISED — \d+ finding\(s\); report written to .*report\.json\n$/);
    const rep = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(rep.schemaVersion, SCHEMA_VERSION);
    assert.equal(rep.verdict.status, 'COMPROMISED');
  });

  test('problems with files are warned about on stderr, with file and line', async () => {
    const root = collection({ 'u_ex.log': `${iisHeader(T)}${line('/x', 200)}\r\nnot a w3c line\r\n`, 'z.log': 'garbage' });
    const r = await runCli(['hunt', root, '--format', 'json']);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /exhunt: warning: u_ex\.log:6: line has 4 fields, #Fields declares 15; skipped/);
    assert.match(r.stderr, /exhunt: warning: z\.log:1: not a log format exhunt reads/);
    const quiet = await runCli(['hunt', root, '--format', 'json', '--quiet']);
    assert.equal(quiet.stderr, '');
  });

  test('a collection with no readable log exits 2: nothing found is not nothing read', async () => {
    const root = collection({ 'notes.txt': 'hello\n', 'broken.log': 'garbage\n' });
    const r = await runCli(['hunt', root, '--format', 'json']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no log file in the input could be read; only the file sweep ran \(2 files, nothing found\)/);
    assert.equal(JSON.parse(r.stdout).verdict.status, 'NOTHING FOUND');
  });

  test('progress is drawn only on a terminal', async () => {
    const tty = await runCli(['hunt', '--demo', '--format', 'json'], {}, true);
    assert.match(tty.stderr, /exhunt: \d+\/\d+ files · /);
    const piped = await runCli(['hunt', '--demo', '--format', 'json'], {}, false);
    assert.doesNotMatch(piped.stderr, /files · /);
  });

  test('option value parsing', () => {
    assert.equal(parseSize('--x', '512K'), 524288);
    assert.equal(parseSize('--x', '2G'), 2 * 1024 ** 3);
    assert.equal(parseSize('--x', '1.5m'), 1572864);
    assert.throws(() => parseSize('--x', 'lots'), /--x: expected a size/);
    assert.equal(parseTime('--since', '2021-03-01', false), Date.UTC(2021, 2, 1));
    assert.equal(parseTime('--until', '2021-03-01', true), Date.UTC(2021, 2, 2) - 1);
    assert.equal(parseTime('--since', '2021-03-01T12:00:00Z', false), Date.UTC(2021, 2, 1, 12));
    assert.equal(parseTime('--since', '2021-03-01T12:00', false), Date.UTC(2021, 2, 1, 12), 'no offset: UTC, not the examiner\'s zone');
    assert.equal(parseTime('--since', '2021-03-01 12:00:00', false), Date.UTC(2021, 2, 1, 12));
    assert.equal(parseTime('--since', '2021-03-01T12:00+01:00', false), Date.UTC(2021, 2, 1, 11));
    assert.throws(() => parseTime('--since', 'March 1, 2021', false), /ISO 8601/);
  });
});

describe('--exchange-path', () => {
  test('hunts the Logging folder of a live installation and sweeps its web folders', async () => {
    const install = collection({
      'Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG': `#Software: Microsoft Exchange Server\r\n#Log-type: HttpProxy Logs\r\n#Fields: DateTime,ClientIpAddress,UrlStem,AuthenticatedUser,AnchorMailbox,HttpStatus,Method\r\n2021-03-03T06:49:46.210Z,203.0.113.45,/ecp/y.js,,ServerInfo~a]@exch01:444/ecp/proxyLogon.ecp?#,241,POST\r\n`,
      'FrontEnd/HttpProxy/owa/auth/logon.aspx': '<%@ Page %>',
    });
    const r = await runCli(['hunt', '--exchange-path', install, '--format', 'json']);
    assert.equal(r.code, 1);
    const rep = JSON.parse(r.stdout);
    assert.deepEqual(rep.inputs.map((i: { path: string }) => path.basename(i.path)), ['Logging', 'HttpProxy']);
    assert.equal(rep.findings[0].rule, 'exchange-proxylogon-ssrf');
    assert.equal(rep.stats.sweep.files, 1, 'FrontEnd\\HttpProxy is swept');
  });

  test('a Windows install path that is not on this machine is a clear usage error', async () => {
    const r = await runCli(['hunt', '--exchange-path', 'D:\\Exchange\\V15']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--exchange-path D:\\Exchange\\V15: no Logging folder there on this machine/);
  });

  test('with a copied collection it only sets the install path for OAB checks', async () => {
    const root = collection({
      'OABGeneratorLog/OABGenerator20210303-1.LOG': `2021-03-03T06:50:10.000Z,Error,OABGenerator,Download failed and temporary file 'D:\\Exchange\\V15\\ClientAccess\\OAB\\Temp\\a.tmp' needs to be removed.\r\n`,
    });
    const without = JSON.parse((await runCli(['hunt', root, '--format', 'json'])).stdout);
    assert.equal(without.findings.length, 0, 'a local ClientAccess\\OAB path is fine without an install path');
    const other = JSON.parse((await runCli(['hunt', root, '--format', 'json', '--exchange-path', 'C:\\Program Files\\Microsoft\\Exchange Server\\V15'])).stdout);
    assert.equal(other.findings[0].rule, 'exchange-proxylogon-oab-file-write', 'outside the given install path');
  });
});
