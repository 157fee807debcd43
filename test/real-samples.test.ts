// Real public data: the HelseCERT ProxyLogon incident write-up (2021-03-11) and the Tunna tunnel
// IIS log from EVTX-ATTACK-SAMPLES. The write-up's code blocks are extracted as they are (with the
// column selections and re-quoting the authors applied) and hunted like any collection.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { byRule, collection, huntFixed, sharedDir } from './helpers.js';

const SHARED = path.join(sharedDir(), 'samples');

/** The fenced code blocks of a Markdown file, in order. */
function codeBlocks(md: string): string[] {
  const blocks: string[] = [];
  let cur: string[] | undefined;
  for (const line of md.split('\n')) {
    if (line.startsWith('```')) {
      if (cur) {
        blocks.push(`${cur.join('\n')}\n`);
        cur = undefined;
      } else cur = [];
    } else cur?.push(line);
  }
  return blocks;
}

describe('HelseCERT 2021-03-11 ProxyLogon incident (real lines)', () => {
  const blocks = codeBlocks(readFileSync(path.join(SHARED, 'helsecert-2021-march-exchange-README.md'), 'utf8'));
  const proxyCsv = blocks.find((b) => b.startsWith('#TYPE'))!;
  const ecp = blocks.find((b) => b.startsWith('#Software: Microsoft Exchange Server'))!;
  const iis = blocks.find((b) => b.includes('GET /owa/auth/RedirSuiteServerProxy.aspx &CorrelationID'))!.replace(/^-----\n/gm, '');
  const root = collection({
    'CVE26855/Cve-2021-26855.csv': proxyCsv,
    'Logging/ECP/Server/ECPServer20210303-1.LOG': ecp,
    'W3SVC1/u_ex210305.log': iis,
  });

  test('the extracted blocks are the expected ones', () => {
    assert.equal(proxyCsv.trim().split('\n').length, 13);
    assert.match(ecp, /Set-OabVirtualDirectory\.ExternalUrl=''http:\/\/f\/<script/);
    assert.equal(iis.trim().split('\n').length, 8);
  });

  test('finds every stage of the intrusion with file:line evidence', async () => {
    const r = await huntFixed([root]);
    assert.equal(r.verdict.status, 'COMPROMISED');
    assert.deepEqual(r.verdict.attackerIps, ['130.255.189.21', '139.162.202.236', '67.205.176.9']);

    // CVE-2021-26855: all eleven Test-ProxyLogon rows; autodiscover stage and back-end success.
    const ssrf = byRule(r, 'exchange-proxylogon-ssrf');
    assert.equal(ssrf.reduce((n, f) => n + f.count, 0), 11);
    const backend = ssrf.find((f) => f.severity === 'critical')!;
    assert.match(backend.summary, /proxyLogon\.ecp.*status 241/);
    assert.ok(backend.evidence.every((e) => e.file === 'CVE26855/Cve-2021-26855.csv' && e.line! >= 3));
    assert.ok(ssrf.some((f) => f.severity === 'medium' && /autodiscover/.test(f.title)));

    // CVE-2021-27065: the reset row, and both script-bearing ECP lines (lines, not just the file).
    const reset = byRule(r, 'exchange-proxylogon-reset-vdir');
    assert.deepEqual(reset.flatMap((f) => f.evidence.map((e) => e.line)), [12]);
    const script = byRule(r, 'exchange-proxylogon-ecp-vdir-script');
    assert.equal(script.length, 1);
    assert.deepEqual(script[0]!.evidence.map((e) => e.line), [7, 19]);
    assert.match(script[0]!.summary, /eval\(Request\["klk123456"\],"unsafe"\)/);

    // The web shell used from two addresses, 200 and 302 answers.
    const shell = byRule(r, 'exchange-webshell-access');
    assert.equal(shell.length, 1);
    assert.equal(shell[0]!.severity, 'critical');
    assert.equal(shell[0]!.count, 8);
    assert.deepEqual(shell[0]!.details['clientIp'], ['139.162.202.236', '67.205.176.9']);
    assert.deepEqual(shell[0]!.details['status'], ['200', '302']);
  });

  test('the author-added lines of the ECP excerpt are reported, not silently dropped', async () => {
    const r = await huntFixed([root]);
    const ecpErrors = r.errors.filter((e) => e.file.endsWith('ECPServer20210303-1.LOG'));
    assert.equal(ecpErrors.length, 1);
    assert.equal(ecpErrors[0]!.line, 3);
    assert.match(ecpErrors[0]!.message, /\(3 lines in all\)/, 'the Felter: line and two innslag lines');
  });
});

describe('Tunna RDP tunnel through an IIS web shell (real log)', () => {
  const log = path.join(SHARED, 'iis', 'Tunna_rdp_tunnel_IIS.log');

  test('the tunnel is found with its target, and nothing else is raised', async () => {
    const r = await huntFixed([log]);
    assert.deepEqual(r.errors, []);
    assert.equal(r.verdict.status, 'COMPROMISED');
    const tunnel = byRule(r, 'webshell-tunnel-or-tool');
    assert.equal(tunnel.length, 1);
    assert.equal(tunnel[0]!.severity, 'critical');
    assert.deepEqual(tunnel[0]!.details['tunnelTarget'], ['127.0.0.1:3389']);
    assert.equal(tunnel[0]!.count, 4298);
    assert.equal(tunnel[0]!.evidence[0]!.line, 7);
    // Every finding at high or above cites only the tunnel page.
    for (const f of r.findings.filter((x) => x.severity === 'high' || x.severity === 'critical')) {
      for (const e of f.evidence) assert.match(e.excerpt, / \/erp\/conn\.aspx /);
    }
    assert.equal(r.coverage.sources[0]!.events, 4298);
    assert.equal(r.coverage.first, '2019-09-03T10:13:36.000Z');
  });
});
