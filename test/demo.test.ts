// The bundled demo collection: it is what the generator produces, it tells the whole intrusion,
// and its reports are golden files (refresh with UPDATE_GOLDEN=1 npm test, never in CI).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Report } from '../src/core/types.js';
import { WRITERS } from '../src/report/registry.js';
import { ATTACKER_EXPLOIT_IP, ATTACKER_SHELL_IP } from '../tools/corpus/intrusion.js';
import { makeDemo } from '../tools/make-demo.js';
import { byRule, huntFixed, tempDir } from './helpers.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEMO = path.join(REPO, 'examples', 'demo-triage');
const GOLDEN = path.join(REPO, 'test', 'testdata');

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? listFiles(p, base) : [path.relative(base, p)];
  });
}

/** Compares with (or, under UPDATE_GOLDEN=1 outside CI, rewrites) a golden file. */
function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env['UPDATE_GOLDEN'] === '1' && !process.env['CI']) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `golden file ${name} is missing: run UPDATE_GOLDEN=1 npm test`);
  assert.equal(actual, readFileSync(file, 'utf8'), `${name} differs from the golden file (UPDATE_GOLDEN=1 npm test refreshes it after an intended change)`);
}

/** The report without what depends on the machine: the input's absolute path, the YARA engine's build. */
function portable(report: Report): Report {
  const sweep = report.stats.sweep ? { ...report.stats.sweep, yaraEngine: 'yara-x' } : undefined;
  return { ...report, inputs: report.inputs.map((i) => ({ ...i, path: 'examples/demo-triage' })), stats: { ...report.stats, ...(sweep ? { sweep } : {}) } };
}

describe('demo collection', () => {
  test('is exactly what tools/make-demo.ts generates', () => {
    const fresh = tempDir();
    makeDemo(fresh);
    const want = listFiles(fresh).sort();
    assert.deepEqual(listFiles(DEMO).sort(), want);
    for (const f of want) assert.ok(readFileSync(path.join(DEMO, f)).equals(readFileSync(path.join(fresh, f))), `${f} is stale: npm run demo:generate`);
  });

  test('tells the whole intrusion and nothing more', async () => {
    const r = await huntFixed([DEMO], { minSeverity: 'low' });
    assert.equal(r.verdict.status, 'COMPROMISED');
    assert.deepEqual(r.verdict.attackerIps, [ATTACKER_SHELL_IP, ATTACKER_EXPLOIT_IP].sort());
    assert.equal(r.verdict.firstActivity, '2021-03-03T06:49:42.000Z', 'IIS logs the first SSRF request to the second');
    assert.deepEqual(r.verdict.gaps, []);
    const rules = (rule: string) => byRule(r, rule).map((f) => f.severity);
    assert.deepEqual(rules('exchange-proxylogon-ssrf').sort(), ['critical', 'critical', 'low', 'medium']);
    assert.ok(byRule(r, 'exchange-proxylogon-ssrf').some((f) => /Mail theft/.test(f.title)));
    assert.deepEqual(rules('exchange-proxylogon-ecp-vdir-script'), ['critical']);
    assert.deepEqual(rules('exchange-proxylogon-reset-vdir'), ['critical']);
    assert.deepEqual(rules('exchange-webshell-access').sort(), ['critical', 'critical', 'low', 'low', 'low']);
    assert.deepEqual(rules('webshell-command-in-query'), ['high']);
    assert.deepEqual(rules('webfolder-dump-or-archive-download'), ['critical']);
    assert.deepEqual(rules('exchange-version-fingerprint'), ['low']);
    // The host side, from the Windows event logs: the OAB URL set to script, every command the web
    // shells ran (Chopper's POST commands appear nowhere else), the LSASS dump and its packing; the
    // leaver's export to the file server is listed low for confirmation.
    assert.deepEqual(rules('exchange-management-cmdlet'), ['critical', 'low']);
    const spawned = byRule(r, 'exchange-worker-child-process');
    assert.deepEqual(spawned.map((f) => [f.severity, f.count]), [['critical', 8]], 'csc.exe, cvtres.exe and WerFault.exe under w3wp.exe are not attacks');
    assert.deepEqual(rules('lsass-dump'), ['critical']);
    assert.deepEqual(rules('exfiltration-staging'), ['critical']);
    for (const quiet of ['cve-2021-26857-um-exception', 'offensive-powershell', 'webshell-file-write', 'defender-detection', 'event-log-cleared']) {
      assert.deepEqual(rules(quiet), [], `${quiet}: nothing in the demo's event logs`);
    }
    // Every finding comes from an attacker or a scanner: no benign line raised anything.
    const benign = r.findings.filter((f) => !(f.details['clientIp'] ?? []).every((ip) => /^(203\.0\.113|198\.51\.100|192\.0\.2)\./.test(ip)));
    assert.deepEqual(benign.map((f) => f.title), []);
    assert.deepEqual(r.errors, []);
    // The file sweep: both web shells are still on disk (defanged), found by where they are and
    // tied to the logs that show them requested; the packed LSASS dump too. README.txt is clean.
    const files = r.findings.filter((f) => f.file).map((f) => [f.file!.path.split('/').pop(), f.severity, f.stage]);
    assert.deepEqual(files.sort(), [
      ['RedirSuiteServerProxy.aspx', 'critical', 'compromise'],
      ['log.aspx', 'critical', 'compromise'],
      ['lsass.dmp.zip', 'critical', 'compromise'],
    ]);
    const shell = r.findings.find((f) => f.file?.path.endsWith('RedirSuiteServerProxy.aspx'))!;
    assert.equal(shell.file!.path, 'EXCH01-web-folders.zip/C/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/RedirSuiteServerProxy.aspx');
    assert.equal(shell.file!.mtime, '2021-03-03T06:49:58.000Z', 'the zip kept the time the shell was written');
    assert.deepEqual(r.skipped.map((s) => s.file), []);
    assert.equal(r.stats.sweep?.files, 6, 'README.txt, the four files in the zip (three left by the intruder, the EOMT web.config), and the zip itself');
  });

  test('reports match the golden files, in every format', async () => {
    // The portable YARA engine, so that the golden files are the same on every platform.
    const r = portable(await huntFixed([DEMO], { minSeverity: 'low', sweep: { yaraEngine: 'wasm' } }));
    for (const w of WRITERS) {
      golden(`demo-report.${w.id === 'console' ? 'txt' : w.id}`, w.render(r, { color: false, width: 100 }));
    }
  });

  test('worker threads give the same report as one thread', async () => {
    const one = await huntFixed([DEMO], { threads: 1 });
    const two = await huntFixed([DEMO], { threads: 2 });
    assert.equal(two.stats.threads, 2);
    assert.deepEqual({ ...two, stats: { ...two.stats, threads: 1 } }, one);
  });
});
