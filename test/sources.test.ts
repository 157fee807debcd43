// Input discovery: folders, zips (also inside folders), symbolic links, and the hostile archives
// and files a triage collection may contain. Every problem is one error entry; the rest is read.
import assert from 'node:assert/strict';
import { symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { discoverInputs } from '../src/sources/discover.js';
import { DEFAULT_LIMITS } from '../src/sources/types.js';
import { unsafeEntryName } from '../src/sources/zip.js';
import { iisHeader, iisLine } from '../tools/corpus/formats.js';
import { buildZip, byRule, collection, huntFixed, tempDir } from './helpers.js';

const T = Date.parse('2021-03-05T03:06:27Z');
const SHELL_LINE = iisLine({ time: T, serverIp: '10.0.0.5', method: 'GET', stem: '/owa/auth/RedirSuiteServerProxy.aspx', query: '', port: 443, user: '', clientIp: '198.51.100.77', userAgent: 'Mozilla/5.0', status: 200, timeTaken: 5, cafeReqId: 'r1' });
const IIS_LOG = `${iisHeader(T)}${SHELL_LINE}\r\n`;

describe('input discovery', () => {
  test('folders are walked in name order with /-separated relative paths', async () => {
    const root = collection({ 'b/u_ex1.log': IIS_LOG, 'a/c/u_ex2.log': IIS_LOG, 'z.log': IIS_LOG });
    const d = await discoverInputs([root], DEFAULT_LIMITS);
    assert.deepEqual(d.files.map((f) => f.rel), ['z.log', 'a/c/u_ex2.log', 'b/u_ex1.log']);
    assert.equal(d.inputs[0]!.kind, 'directory');
    assert.equal(d.inputs[0]!.files, 3);
  });

  test('a missing path is a usage problem', async () => {
    await assert.rejects(discoverInputs([path.join(tempDir(), 'nope')], DEFAULT_LIMITS), /cannot open input/);
  });

  test('symbolic links are never followed: listed with where they point', async () => {
    const outside = collection({ 'secret.log': IIS_LOG });
    const root = collection({ 'logs/u_ex1.log': IIS_LOG });
    symlinkSync(path.join(root, 'logs'), path.join(root, 'again'));
    symlinkSync(path.join(root, 'logs', 'u_ex1.log'), path.join(root, 'alias.log'));
    symlinkSync(outside, path.join(root, 'escape'));
    symlinkSync(path.join(root, 'logs'), path.join(root, 'logs', 'loop'));
    symlinkSync(path.join(root, 'nowhere'), path.join(root, 'broken.log'));
    const d = await discoverInputs([root], DEFAULT_LIMITS);
    assert.deepEqual(d.files.map((f) => f.rel), ['logs/u_ex1.log']);
    assert.deepEqual(d.errors, []);
    const reasons = Object.fromEntries(d.skipped.map((s) => [s.file, s.reason]));
    assert.deepEqual(Object.keys(reasons).sort(), ['again', 'alias.log', 'broken.log', 'escape', 'logs/loop']);
    assert.match(reasons['escape']!, /outside the input folder; not followed/);
    assert.match(reasons['broken.log']!, /broken symbolic link/);
    assert.match(reasons['again']!, /to logs inside the input; read there/);
    assert.match(reasons['alias.log']!, /to logs\/u_ex1\.log inside the input/);
    assert.match(reasons['logs/loop']!, /to logs inside the input/);
  });

  test('zip archives are read in place, also when found inside a folder', async () => {
    const zip = buildZip([{ name: 'Logging/W3SVC1/u_ex210305.log', data: IIS_LOG }, { name: 'dir/', data: '' }]);
    const root = collection({ 'kape.zip': zip, 'plain/u_ex.log': IIS_LOG });
    const report = await huntFixed([root]);
    assert.deepEqual(report.errors, []);
    const files = byRule(report, 'exchange-webshell-access')[0]!.evidence.map((e) => e.file).sort();
    assert.deepEqual(files, ['kape.zip/Logging/W3SVC1/u_ex210305.log', 'plain/u_ex.log']);
    const top = await huntFixed([path.join(root, 'kape.zip')]);
    assert.equal(top.inputs[0]!.kind, 'zip');
    assert.equal(byRule(top, 'exchange-webshell-access')[0]!.evidence[0]!.file, 'Logging/W3SVC1/u_ex210305.log');
  });

  test('zip entry names that escape the archive are refused, the others read', () => {
    assert.equal(unsafeEntryName('a/b.log'), undefined);
    assert.match(unsafeEntryName('../evil.log')!, /escapes/);
    assert.match(unsafeEntryName('a/../../evil.log')!, /escapes/);
    assert.match(unsafeEntryName('/etc/passwd')!, /absolute/);
    assert.match(unsafeEntryName('C:/Windows/x.log')!, /absolute/);
    assert.match(unsafeEntryName('a\0b')!, /NUL/);
  });
});

describe('hostile input', () => {
  const zipBomb = buildZip([{ name: 'bomb.log', data: Buffer.alloc(64 * 1024 * 1024) }]);

  test('each problem is one error entry, the run continues and findings are kept', async () => {
    const good = IIS_LOG;
    const root = collection({
      'a-good/u_ex210305.log': good,
      'bad/empty.log': '',
      'bad/binary.log': Buffer.concat([Buffer.from(`${iisHeader(T)}`), Buffer.from([0, 1, 2, 0xff, 0xfe, 0, 10]), Buffer.from(`${SHELL_LINE}\r\n`)]),
      'bad/invalid-utf8.log': Buffer.concat([Buffer.from(`${iisHeader(T)}${SHELL_LINE.replace('Mozilla', 'Moz\xc3\x28illa')}\r\n`, 'latin1')]),
      'bad/truncated.log': `${iisHeader(T)}${SHELL_LINE}\r\n${SHELL_LINE.slice(0, 40)}`,
      'bad/not-a-log.log': 'PK this is no log\nat all\n',
      'bad/traversal.zip': buildZip([{ name: '../../evil.log', data: good }, { name: 'ok/u_ex.log', data: good }]),
      'bad/bomb.zip': zipBomb,
      'bad/corrupt.zip': Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(100, 7)]),
      'bad/overlap.zip': buildZip([{ name: 'one.log', data: good }, { name: 'two.log', data: good, shareDataWith: 0 }]),
      'bad/lying.zip': buildZip([{ name: 'lies.log', data: good, declaredSize: 10 }]),
      'notes.txt': 'investigator notes\n',
    });
    const report = await huntFixed([root]);
    const err = (file: string) => report.errors.filter((e) => e.file === file).map((e) => e.code);
    assert.deepEqual(err('bad/empty.log'), ['E_PARSE']);
    assert.deepEqual(err('bad/binary.log'), ['E_BINARY']);
    assert.deepEqual(err('bad/invalid-utf8.log'), ['E_ENCODING']);
    assert.deepEqual(err('bad/truncated.log'), ['E_TRUNCATED']);
    assert.deepEqual(err('bad/not-a-log.log'), ['E_PARSE']);
    assert.deepEqual(err('bad/traversal.zip/../../evil.log'), ['E_ZIP_PATH']);
    assert.deepEqual(err('bad/bomb.zip/bomb.log'), ['E_ZIP_LIMIT']);
    assert.deepEqual(err('bad/corrupt.zip'), ['E_ZIP']);
    assert.deepEqual(err('bad/overlap.zip/two.log'), ['E_ZIP_LIMIT']);
    assert.equal(err('bad/lying.zip/lies.log').length, 1, 'a size lie is caught while reading');
    for (const e of report.errors) {
      assert.ok(e.message.length > 10 && !e.message.includes('\n'), `one line: ${e.message}`);
    }
    // notes.txt is no log: the file sweep reads it instead of skipping it.
    assert.deepEqual(report.skipped.map((s) => s.file), []);
    assert.ok(report.stats.sweep!.files >= 1);
    // The shell line in every readable copy is still found.
    const files = byRule(report, 'exchange-webshell-access')[0]!.evidence.map((e) => e.file).sort();
    for (const f of ['a-good/u_ex210305.log', 'bad/binary.log', 'bad/invalid-utf8.log', 'bad/traversal.zip/ok/u_ex.log', 'bad/truncated.log']) {
      assert.ok(files.includes(f), `${f} still yields its finding (${files.join(', ')})`);
    }
    assert.equal(report.verdict.status, 'COMPROMISED');
  });

  test('a 50 MB line is reported with its line number and the next line is read', async () => {
    const root = tempDir();
    const file = path.join(root, 'u_ex210305.log');
    writeFileSync(file, `${iisHeader(T)}${'x'.repeat(50 * 1024 * 1024)}\r\n${SHELL_LINE}\r\n`);
    const report = await huntFixed([root]);
    assert.deepEqual(report.errors.map((e) => [e.code, e.line]), [['E_LINE_TOO_LONG', 5]]);
    assert.equal(byRule(report, 'exchange-webshell-access')[0]!.evidence[0]!.line, 6);
  });

  test('a flood of probes cannot push a web shell out of the report', async () => {
    const probes = Array.from({ length: 2500 }, (_, i) =>
      iisLine({ time: T + i, serverIp: '10.0.0.5', method: 'GET', stem: `/aspnet_client/probe${i}.aspx`, query: '', port: 443, user: '', clientIp: '192.0.2.7', userAgent: 'scanner', status: 404, timeTaken: 1 }),
    );
    const shell = iisLine({ time: T + 5000, serverIp: '10.0.0.5', method: 'POST', stem: '/owa/auth/zzz.aspx', query: '', port: 443, user: '', clientIp: '198.51.100.9', userAgent: 'x', status: 200, timeTaken: 1 });
    const report = await huntFixed([collection({ 'u_ex.log': `${iisHeader(T)}${[...probes, shell].join('\r\n')}\r\n` })]);
    assert.equal(report.verdict.status, 'COMPROMISED');
    assert.ok(report.findings.some((f) => f.severity === 'critical' && f.title.includes('/owa/auth/zzz.aspx')));
    assert.deepEqual(report.errors.map((e) => e.code), ['E_LIMIT']);
  });

  test('hundreds of zipped logs are read without running out of file handles', async () => {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 40; i++) files[`month${String(i).padStart(2, '0')}.zip`] = buildZip([{ name: `u_ex${i}.log`, data: IIS_LOG }]);
    const report = await huntFixed([collection(files)], { threads: 2 });
    assert.deepEqual(report.errors, []);
    assert.equal(report.coverage.files.length, 40);
    assert.equal(report.findings[0]!.count, 40);
  });

  test('two zip entries with one name stay apart', async () => {
    const root = collection({ 'twice.zip': buildZip([{ name: 'u_ex.log', data: IIS_LOG }, { name: 'u_ex.log', data: IIS_LOG }]) });
    const report = await huntFixed([root]);
    assert.deepEqual(report.coverage.files.map((f) => f.file), ['twice.zip/u_ex.log', 'twice.zip/u_ex.log (duplicate 2)']);
  });

  test('zip limits are configurable', async () => {
    const root = collection({ 'z.zip': buildZip([{ name: 'u_ex.log', data: IIS_LOG + 'x'.repeat(3_000_000) + '\n' }]) });
    const strict = await huntFixed([root], { limits: { maxZipTotalBytes: 1000 } });
    assert.deepEqual(strict.errors.map((e) => e.code), ['E_ZIP_LIMIT']);
    assert.match(strict.errors[0]!.message, /--max-unzipped/);
    const ratio = await huntFixed([root], { limits: { maxZipRatio: 2 } });
    assert.deepEqual(ratio.errors.map((e) => e.code), ['E_ZIP_LIMIT']);
  });

  test('a file that vanishes between discovery and reading is an error, not a crash', async () => {
    const root = collection({ 'u_ex.log': IIS_LOG });
    const { processFile } = await import('../src/pipeline/process-file.js');
    const { createScanEnv } = await import('../src/pipeline/env.js');
    const env = createScanEnv({ limits: DEFAULT_LIMITS });
    const r = await processFile({ input: 0, rel: 'gone.log', size: 10, location: { kind: 'fs', path: path.join(root, 'gone.log') } }, env);
    assert.deepEqual(r.errors.map((e) => e.code), ['E_READ']);
    assert.match(r.errors[0]!.message, /cannot read/);
  });
});
