// The file sweep: what it flags, why, and what it leaves alone. Shell samples are the encoded
// fixtures (test/fixtures/files), placed where an intruder would put them.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkfifoSync } from './fifo.js';
import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { Finding, Report, ReportError } from '../src/core/types.js';
import { SweepRun } from '../src/pipeline/sweep.js';
import { ZipReaderCache } from '../src/sources/zip.js';
import { parseIndicators } from '../src/detect/ioc/indicators.js';
import { locate, vdirPathsFromConfig } from '../src/detect/files/location.js';
import { WebAllowList } from '../src/detect/files/allowlist.js';
import { iisHeader, iisLine } from '../tools/corpus/formats.js';
import { loadFileFixtures } from './fixture-files.js';
import { byRule, collection, huntFixed, runCli, tempDir } from './helpers.js';

const V15 = 'C/Program Files/Microsoft/Exchange Server/V15';
const AUTH = `${V15}/FrontEnd/HttpProxy/owa/auth`;
const FIXTURES = loadFileFixtures();
const fixture = (name: string) => {
  const f = FIXTURES.find((x) => x.name === name);
  assert.ok(f, `fixture ${name}`);
  return f;
};
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const fileFinding = (r: Report, rel: string): Finding | undefined => r.findings.find((f) => f.file?.path === rel);
const mediumOrWorse = (r: Report) => r.findings.filter((f) => ['medium', 'high', 'critical'].includes(f.severity));
const T = Date.parse('2021-03-05T03:06:27Z');

describe('file sweep', () => {
  test('every shell fixture is flagged high or critical where it was planted; benign look-alikes in a web site raise nothing of medium or more', async () => {
    // Benign pages go to an ordinary site: in owa\auth any page Microsoft does not ship is suspect.
    const placed = (f: (typeof FIXTURES)[number]) => (f.kind === 'shell' ? f.path : `C/inetpub/wwwroot/app/${f.name}/${path.posix.basename(f.path)}`);
    const files: Record<string, Buffer> = {};
    for (const f of FIXTURES) files[placed(f)] = f.bytes;
    const root = collection(files);
    const r = await huntFixed([root]);
    assert.ok(FIXTURES.filter((f) => f.kind === 'benign').length >= 10);
    for (const f of FIXTURES) {
      const finding = fileFinding(r, placed(f));
      if (f.kind === 'shell') {
        assert.ok(finding && ['high', 'critical'].includes(finding.severity), `${f.name} (${f.path}) flagged: ${finding?.severity}`);
        const matched = finding!.file!.matches.map((m) => m.rule).sort();
        for (const rule of f.expect) assert.ok(matched.includes(rule), `${f.name}: ${rule} in ${matched.join(', ')}`);
        assert.equal(finding!.file!.sha256, sha(f.bytes));
        assert.equal(finding!.file!.size, f.bytes.length);
      } else {
        assert.ok(!finding || !['medium', 'high', 'critical'].includes(finding.severity), `${f.name}: ${finding?.title} (${finding?.severity})`);
        assert.deepEqual(finding?.file?.matches ?? [], [], `${f.name}: no YARA rule`);
      }
    }
  });

  test('a China Chopper page in owa\\auth: path, size, SHA-256, mtime, rule and offset, and what to do', async () => {
    const shell = FIXTURES.find((f) => f.kind === 'shell' && f.expect.includes('exhunt_webshell_china_chopper'))!;
    const rel = `${AUTH}/errorEEE.aspx`;
    const root = collection({ [rel]: shell.bytes });
    utimesSync(path.join(root, rel), T / 1000, T / 1000);
    const r = await huntFixed([root]);
    const f = fileFinding(r, rel)!;
    assert.equal(f.severity, 'critical');
    assert.equal(f.stage, 'compromise');
    assert.equal(f.file!.mtime, new Date(T).toISOString());
    assert.equal(f.time, new Date(T).toISOString(), 'the file joins the timeline at its mtime');
    const m = f.file!.matches.find((x) => x.rule === 'exhunt_webshell_china_chopper')!;
    assert.equal(m.source, 'builtin:webshells-aspx.yar');
    assert.ok(m.offsets.length > 0 && m.offsets[0]! < shell.bytes.length);
    assert.equal(f.evidence[0]!.file, rel);
    assert.ok(f.details['reason']!.some((x) => /not in Microsoft's file list/.test(x)), 'the heuristic is listed too');
    assert.ok(f.remediation.some((s) => /Preserve a copy first/.test(s)) && f.remediation.some((s) => /IIS logs/.test(s)));
    assert.equal(r.verdict.status, 'COMPROMISED');
  });

  test('heuristics without YARA: unknown page in owa\\auth and aspnet_client, PST named .aspx, LSASS dumps, staged archives', async () => {
    const mdmp = (extra: string) => Buffer.concat([Buffer.from('MDMP\x93\xa7\0\0', 'latin1'), Buffer.alloc(64), Buffer.from(extra, 'utf16le')]);
    const root = collection({
      [`${AUTH}/helper.aspx`]: '<%@ Page Language="C#" %><html>hello</html>',
      'C/inetpub/wwwroot/aspnet_client/system_web/4_0_30319/a.aspx': '<%@ Page %>',
      [`${AUTH}/mail.aspx`]: Buffer.concat([Buffer.from('!BDN', 'latin1'), Buffer.alloc(200)]),
      'C/root/dump.tmp': mdmp('C:\\Windows\\System32\\lsass.exe'),
      'C/Windows/Temp/lsass.dmp': mdmp('nothing'),
      'C/ProgramData/WER/w3wp.dmp': mdmp('w3wp.exe'),
      'C/ProgramData/backup.7z': Buffer.from('377abcaf271c0004', 'hex'),
      'C/inetpub/wwwroot/site/index.aspx': '<%@ Page %>',
      // Exchange's own page, on MSTIC's path list because shells overwrote it: this build's copy is not accused.
      [`${V15}/FrontEnd/HttpProxy/ecp/auth/TimeoutLogout.aspx`]: '<%@ Page Language="C#" %> this build\'s logout page',
    });
    const r = await huntFixed([root], { sweep: { builtinYara: false } });
    const sev = (rel: string) => fileFinding(r, rel)?.severity;
    const rule = (rel: string) => fileFinding(r, rel)?.rule;
    assert.equal(sev(`${AUTH}/helper.aspx`), 'high');
    assert.equal(rule(`${AUTH}/helper.aspx`), 'file-unexpected-web-script');
    assert.equal(sev('C/inetpub/wwwroot/aspnet_client/system_web/4_0_30319/a.aspx'), 'high');
    assert.equal(rule(`${AUTH}/mail.aspx`), 'file-disguised-content');
    assert.equal(fileFinding(r, `${AUTH}/mail.aspx`)!.stage, 'compromise');
    assert.equal(rule('C/root/dump.tmp'), 'file-memory-dump');
    assert.equal(sev('C/root/dump.tmp'), 'critical', 'module list names lsass.exe');
    assert.equal(sev('C/Windows/Temp/lsass.dmp'), 'critical', 'named after LSASS');
    assert.equal(sev('C/ProgramData/WER/w3wp.dmp'), 'info', 'a crash dump is not an alarm');
    assert.equal(sev('C/ProgramData/backup.7z'), 'low', 'an archive alone is low');
    assert.equal(fileFinding(r, 'C/inetpub/wwwroot/site/index.aspx'), undefined, 'pages of other sites in wwwroot are normal');
    assert.equal(fileFinding(r, `${V15}/FrontEnd/HttpProxy/ecp/auth/TimeoutLogout.aspx`), undefined);
    assert.ok(byRule(r, 'file-unverified-exchange-files')[0]!.details['file']!.includes(`${V15}/FrontEnd/HttpProxy/ecp/auth/TimeoutLogout.aspx`));
    assert.equal(r.stats.sweep!.yaraRules, 0);
  });

  test('an archive is raised when the logs tie it to the intrusion (name mentioned, or written in the attack window)', async () => {
    const probe = (stem: string, query = '') => iisLine({ time: T, serverIp: '10.0.0.5', method: 'GET', stem, query, port: 443, user: '', clientIp: '198.51.100.77', userAgent: 'Mozilla/5.0', status: 200, timeTaken: 5, cafeReqId: 'r1' });
    const log = `${iisHeader(T)}${probe('/aspnet_client/out.7z')}\r\n${probe('/owa/auth/RedirSuiteServerProxy.aspx')}\r\n`;
    const root = collection({
      'C/inetpub/logs/LogFiles/W3SVC1/u_ex210305.log': log,
      'C/inetpub/wwwroot/aspnet_client/out.7z': Buffer.from('377abcaf271c0004', 'hex'),
      'C/ProgramData/staged.zip': Buffer.from('PK\x05\x06' + '\0'.repeat(18), 'latin1'),
      'C/ProgramData/old.rar': Buffer.from('Rar!\x1a\x07\x00', 'latin1'),
    });
    utimesSync(path.join(root, 'C/ProgramData/staged.zip'), T / 1000 + 600, T / 1000 + 600);
    utimesSync(path.join(root, 'C/ProgramData/old.rar'), T / 1000 - 90 * 86400, T / 1000 - 90 * 86400);
    const r = await huntFixed([root]);
    assert.equal(fileFinding(r, 'C/inetpub/wwwroot/aspnet_client/out.7z')?.severity, 'high', 'downloaded per the IIS log');
    assert.equal(fileFinding(r, 'C/ProgramData/staged.zip')?.severity, 'medium', 'written during the intrusion');
    assert.equal(fileFinding(r, 'C/ProgramData/old.rar')?.severity, 'low');
  });

  test('Microsoft\'s baselines: a changed shipped page is high once the build is known; unknown builds are not accused', async () => {
    const pages: Record<string, string> = {};
    for (const n of ['logon', 'logoff', 'signout', 'errorFE', 'frowny']) pages[`${AUTH}/${n}.aspx`] = `<%@ Page Language="C#" %> ${n} page`;
    pages[`${V15}/FrontEnd/HttpProxy/ecp/Reporting/Report.aspx`] = '<%@ Page Language="C#" %> report';
    pages[`${V15}/FrontEnd/HttpProxy/ecp/Reporting/Extra.aspx`] = '<%@ Page Language="C#" %> extra';
    const root = collection(pages);
    // Without a baseline of this (made-up) build, its own pages differ from every known build.
    const unknown = await huntFixed([root], { sweep: { builtinYara: false } });
    assert.deepEqual(mediumOrWorse(unknown).map((f) => f.file?.path), []);
    assert.equal(byRule(unknown, 'file-unverified-exchange-files')[0]?.severity, 'info');
    assert.equal(fileFinding(unknown, `${V15}/FrontEnd/HttpProxy/ecp/Reporting/Extra.aspx`)?.severity, 'low');
    // With a baseline of the build, the one altered page stands out, and the page it does not list
    // in a folder it knows is high.
    const baseline = tempDir();
    const csv = path.join(baseline, 'baseline_99.0.1.0.csv');
    const rows = Object.entries(pages).filter(([rel]) => !rel.includes('Extra')).map(([rel, text]) => `${sha(rel.endsWith('logon.aspx') ? 'the original logon page' : text).toUpperCase()},99.0.1.0,\\${rel.slice(V15.length + 1).replace(/\//g, '\\')}`);
    writeFileSync(csv, `\uFEFF${rows.join('\r\n')}\r\n`);
    const known = await huntFixed([root], { sweep: { builtinYara: false, baselines: [csv] } });
    assert.equal(fileFinding(known, `${AUTH}/logon.aspx`)?.rule, 'file-modified-exchange-file');
    assert.equal(fileFinding(known, `${AUTH}/logon.aspx`)?.severity, 'high');
    assert.equal(fileFinding(known, `${AUTH}/logoff.aspx`), undefined);
    assert.equal(fileFinding(known, `${V15}/FrontEnd/HttpProxy/ecp/Reporting/Extra.aspx`)?.severity, 'high');
    // A page the build's baseline does not cover (as Exchange 2013's baseline has no FrontEnd) is
    // not judged by other builds' content: it is only counted as unverified.
    const other = collection({ ...pages, [`${V15}/ClientAccess/owa/auth/signout.aspx`]: 'this build\'s own signout page' });
    const mixed = await huntFixed([other], { sweep: { builtinYara: false, baselines: [csv] } });
    assert.equal(fileFinding(mixed, `${V15}/ClientAccess/owa/auth/signout.aspx`), undefined);
    assert.ok(byRule(mixed, 'file-unverified-exchange-files')[0]!.details['file']!.includes(`${V15}/ClientAccess/owa/auth/signout.aspx`));
  });

  test('the shipped allow-list knows owa\\auth of the baseline builds, and locations are read from any path shape', () => {
    const allow = WebAllowList.shipped();
    assert.ok(allow.size > 1000);
    assert.ok(allow.ships('frontend/httpproxy/owa/auth/logon.aspx'));
    assert.ok(allow.ships('frontend/httpproxy/ecp/auth/timeoutlogout.aspx'));
    assert.ok(!allow.ships('frontend/httpproxy/owa/auth/errorEEE.aspx'.toLowerCase()));
    assert.ok(allow.builds.includes('15.2.858.5'));
    assert.equal(locate('V15/FrontEnd/HttpProxy/owa/auth/15.2.858/x.aspx').installRel, 'frontend/httpproxy/owa/auth/version/x.aspx');
    assert.equal(locate('triage/ClientAccess/OAB/x.aspx').area, 'exchange-web');
    assert.equal(locate('Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/owa/x.dll').area, 'aspnet-temp');
    const vdirs = vdirPathsFromConfig('<virtualDirectory path="/owa" physicalPath="D:\\Web\\Exchange\\owa" />');
    assert.equal(locate('D/Web/Exchange/owa/shell.aspx', vdirs).area, 'vdir');
  });

  test('--ioc: a hash, an IP and a path from the user\'s files; bad lines named by file and line', async () => {
    const benign = fixture(FIXTURES.find((f) => f.kind === 'benign')!.name);
    const root = collection({
      'C/Users/Public/tool.txt': 'just text',
      [benign.path]: benign.bytes,
      'C/inetpub/logs/LogFiles/W3SVC1/u_ex210305.log': `${iisHeader(T)}${iisLine({ time: T, serverIp: '10.0.0.5', method: 'GET', stem: '/owa/', query: '', port: 443, user: '', clientIp: '192.0.2.99', userAgent: 'Mozilla/5.0', status: 200, timeTaken: 5, cafeReqId: 'r1' })}\r\n`,
      'C/ProgramData/x/implant.dll': 'MZ stub',
    });
    const dir = tempDir();
    const csv = path.join(dir, 'feed.csv');
    writeFileSync(csv, `indicator,type,source\n${sha('just text')},sha256,test feed\n192.0.2.99,ip,test feed\nC:\\ProgramData\\x\\implant.dll,file-path,test feed\nnot-a-hash,sha256,x\n`);
    const txt = path.join(dir, 'more.txt');
    writeFileSync(txt, `# comment\n${sha(benign.bytes)}\nwhat is this\n`);
    const r = await huntFixed([root], { sweep: { iocs: [csv, txt] } });
    assert.equal(fileFinding(r, 'C/Users/Public/tool.txt')?.rule, 'file-known-bad-hash');
    assert.equal(fileFinding(r, 'C/Users/Public/tool.txt')?.severity, 'critical');
    assert.equal(fileFinding(r, benign.path)?.rule, 'file-known-bad-hash');
    assert.equal(fileFinding(r, 'C/ProgramData/x/implant.dll')?.rule, 'file-known-webshell-path');
    assert.equal(byRule(r, 'ioc-match')[0]?.clientIp, '192.0.2.99');
    const iocErrors = r.errors.filter((e) => e.code === 'E_IOC').map((e) => e.message);
    assert.ok(iocErrors.some((m) => m.includes('feed.csv:5') && /not a valid sha256/.test(m)), iocErrors.join('\n'));
    assert.ok(iocErrors.some((m) => m.includes('more.txt:3') && /type:value/.test(m)), iocErrors.join('\n'));
  });

  test('indicator files: MSTIC-style CSV columns and plain lists', () => {
    const a = parseIndicators('Indicator,Type,Source\n5.254.43.18,ipv4,CISA\n', 'a.csv');
    assert.deepEqual(a.indicators, [{ type: 'ip', value: '5.254.43.18', source: 'CISA' }]);
    const b = parseIndicators('sha256\nB75F163CA9B9240BF4B37AD92BC7556B40A17E27C2B8ED5C8991385FE07D17D0\n', 'b.csv');
    assert.equal(b.indicators[0]?.value, 'b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0');
    const c = parseIndicators('user-agent:ExchangeServicesClient/0.0.0.0\nfilename:shell.aspx\n', 'c.txt');
    assert.deepEqual(c.indicators.map((i) => i.type), ['user-agent', 'file-name']);
  });

  test('--yara: the user\'s rules run beside the built-in ones; a broken file is named with its line and left out', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'good.yar'), 'rule Custom_Marker { meta: score = 80 strings: $a = "xyzzy-marker" condition: $a and extension == "txt" }\n');
    writeFileSync(path.join(dir, 'dup.yar'), 'rule Custom_Marker { strings: $a = "plugh-marker" condition: $a }\n');
    writeFileSync(path.join(dir, 'broken.yar'), 'rule ok_one { condition: true }\nrule Broken { condition: $nothing }\n');
    const root = collection({ 'C/data/a.txt': 'has xyzzy-marker inside', 'C/data/b.txt': 'has plugh-marker inside', 'C/data/c.txt': 'clean' });
    const r = await huntFixed([root], { sweep: { yara: [dir] } });
    assert.equal(fileFinding(r, 'C/data/a.txt')?.severity, 'high', 'score 80 is high');
    assert.equal(fileFinding(r, 'C/data/a.txt')?.file?.matches[0]?.source, path.join(dir, 'good.yar'));
    assert.equal(fileFinding(r, 'C/data/b.txt')?.file?.matches[0]?.rule, 'Custom_Marker', 'a rule name declared twice still runs under its name');
    const broken = r.errors.find((e) => e.code === 'E_YARA')!;
    assert.equal(broken.file, path.join(dir, 'broken.yar'));
    assert.match(broken.message, /line 2/);
    assert.equal(r.stats.sweep!.yaraRejectedFiles, 1);
    assert.equal(fileFinding(r, 'C/data/c.txt'), undefined);
  });

  test('the portable WebAssembly engine finds the same shells, scanning pages, scripts and programs only', async () => {
    const files: Record<string, Buffer> = {};
    for (const f of FIXTURES) if (f.kind === 'shell') files[f.path] = f.bytes;
    files['C/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/prem/x.css'] = Buffer.from('body{}');
    const r = await huntFixed([collection(files)], { sweep: { yaraEngine: 'wasm' } });
    assert.match(r.stats.sweep!.yaraEngine, /WebAssembly/);
    for (const f of FIXTURES.filter((x) => x.kind === 'shell')) {
      const matched = fileFinding(r, f.path)?.file?.matches.map((m) => m.rule) ?? [];
      const runnable = /\.(aspx|ashx|asmx|asp|config|cer|txt)$/i.test(f.path) || !/\.[a-z0-9]+$/i.test(f.path);
      if (runnable) for (const rule of f.expect) assert.ok(matched.includes(rule), `${f.name}: ${rule} in ${matched.join(', ')}`);
    }
    assert.equal(r.stats.sweep!.yaraFiles, r.stats.sweep!.files - 1 - FIXTURES.filter((f) => f.kind === 'shell' && !/\.(aspx|ashx|asmx|asp|config|cer|txt)$/i.test(f.path) && /\.[a-z0-9]+$/i.test(f.path)).length, 'the stylesheet is not scanned');
  });

  test('without a YARA engine the sweep says so once and goes on with hashes and heuristics', async () => {
    const root = collection({ [`${AUTH}/helper.aspx`]: '<%@ Page %>', [`${AUTH}/shell2.aspx`]: fixture(FIXTURES.find((f) => f.kind === 'shell')!.name).bytes });
    const r = await huntFixed([root], { sweep: { yaraEngine: 'none' } });
    assert.equal(r.errors.filter((e) => e.code === 'E_YARA').length, 1);
    assert.match(r.stats.sweep!.yaraEngine, /^unavailable: /);
    assert.equal(fileFinding(r, `${AUTH}/helper.aspx`)?.severity, 'high');
    assert.equal(fileFinding(r, `${AUTH}/shell2.aspx`)?.severity, 'high');
  });

  test('hostile files: over the YARA size limit, a FIFO, a file that vanishes, a symlink out of the root', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 0x41);
    const root = collection({ [`${AUTH}/big.aspx`]: big, 'C/ok.txt': 'ok' });
    if (process.platform !== 'win32') mkfifoSync(path.join(root, 'C/pipe'));
    const r = await huntFixed([root], { sweep: { yaraMaxBytes: 1024 * 1024 } });
    const skip = r.skipped.find((s) => s.file === `${AUTH}/big.aspx`);
    assert.match(skip!.reason, /larger than --yara-max-size/);
    assert.equal(fileFinding(r, `${AUTH}/big.aspx`)?.file?.sha256, sha(big), 'still hashed and judged');
    if (process.platform !== 'win32') assert.ok(r.skipped.some((s) => s.file === 'C/pipe' && /not a regular file/.test(s.reason)));
  });

  test('logs exhunt recognises but does not analyse (message tracking) are not swept as files', async () => {
    const root = collection({
      'Logging/MessageTracking/MSGTRK2021030300-1.LOG': '#Software: Microsoft Exchange Server\n#Version: 15.01.2176.002\n#Log-type: Message Tracking Log\n#Fields: date-time,client-ip\n2021-03-03T00:00:00.000Z,1.2.3.4\n',
      'notes.txt': 'x',
    });
    const r = await huntFixed([root]);
    assert.match(r.skipped.find((s) => s.file.endsWith('.LOG'))!.reason, /not analysed yet/);
    assert.equal(r.stats.sweep!.files, 1, 'only notes.txt');
  });

  test('a file that vanishes, or turns into a FIFO, between listing and reading is one E_READ entry; the others are still read', async () => {
    const root = collection({ 'C/a.txt': 'a', 'C/b.txt': 'b' });
    const run = await SweepRun.prepare({ builtinYara: false }, () => undefined);
    const errors: ReportError[] = [];
    const done: string[] = [];
    const ref = (rel: string) => ({ input: 0, rel, size: 1, location: { kind: 'fs' as const, path: path.join(root, rel) } });
    rmSync(path.join(root, 'C/a.txt'));
    const fifo = process.platform !== 'win32';
    if (fifo) mkfifoSync(path.join(root, 'C/p.aspx'));
    const zips = new ZipReaderCache();
    await run.sweep([ref('C/a.txt'), ref('C/b.txt'), ...(fifo ? [ref('C/p.aspx')] : [])], zips, { error: (e) => errors.push(e), skipped: () => undefined, done: (r) => done.push(r.rel) });
    await zips.close();
    assert.equal(errors[0]!.file, 'C/a.txt');
    assert.equal(errors[0]!.code, 'E_READ');
    assert.match(errors[0]!.message, /ENOENT/);
    if (fifo) assert.deepEqual([errors[1]!.file, errors[1]!.message], ['C/p.aspx', 'cannot read: no longer a regular file'], 'a FIFO is not read (it would block)');
    assert.equal(errors.length, fifo ? 2 : 1);
    assert.deepEqual(done, ['C/a.txt', 'C/b.txt', ...(fifo ? ['C/p.aspx'] : [])]);
    assert.equal(run.stats().files, 1);
  });

  test('exhunt scan-files: sweep only, JSON report with the file facts, exit codes', async () => {
    const shell = FIXTURES.find((f) => f.kind === 'shell' && f.path.includes('owa/auth'))!;
    const root = collection({ [shell.path]: shell.bytes, 'C/inetpub/logs/LogFiles/W3SVC1/u_ex210305.log': `${iisHeader(T)}` });
    const hit = await runCli(['scan-files', root, '--format', 'json']);
    assert.equal(hit.code, 1);
    const rep = JSON.parse(hit.stdout) as Report;
    assert.equal(rep.coverage.files.length, 0, 'no log is parsed');
    assert.equal(rep.findings[0]!.file!.path, shell.path);
    const clean = await runCli(['scan-files', collection({ 'a/web.config': '<configuration/>' }), '-q']);
    assert.equal(clean.code, 0);
    assert.match(clean.stdout, /No web shell or attack artefact among the 1 files swept/);
    assert.equal((await runCli(['scan-files', root, '--sigma', root])).code, 2);
    assert.equal((await runCli(['scan-files', root, '--yara', path.join(root, 'missing')])).code, 2);
    assert.match((await runCli(['scan-files', '--help'])).stdout, /--yara-max-size/);
  });
});
