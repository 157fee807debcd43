// Correlation: the pivot gathers the attacker's other records, and findings become intrusions
// joined through addresses, request ids, ECP sessions and web-shell files.
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import type { Finding, Report } from '../src/core/types.js';
import { correlate } from '../src/correlate/intrusions.js';
import { phaseOf } from '../src/correlate/phases.js';
import { iisHeader, iisLine, type IisRecord } from '../tools/corpus/formats.js';
import { collection, huntFixed, repoRoot } from './helpers.js';

const DEMO = path.join(repoRoot(), 'examples', 'demo-triage');
const T0 = Date.parse('2021-03-05T00:00:00Z');
const HOUR = 3600_000;

function iis(time: number, clientIp: string, method: string, stem: string, status: number, query = '', cafeReqId?: string): string {
  const r: IisRecord = { time, serverIp: '10.0.0.5', method, stem, query, port: 443, user: '', clientIp, userAgent: 'Mozilla/5.0 test', status, timeTaken: 5 };
  if (cafeReqId) r.cafeReqId = cafeReqId;
  return iisLine(r);
}

function log(lines: string[]): string {
  return `${iisHeader(T0)}${lines.join('\r\n')}\r\n`;
}

describe('correlation on the demo collection', () => {
  let report: Report;
  before(async () => {
    report = await huntFixed([DEMO]);
  });

  test('one intrusion joins the exploiting and the web-shell address', () => {
    assert.equal(report.intrusions?.length, 1);
    const x = report.intrusions![0]!;
    assert.deepEqual(x.ips, ['198.51.100.77', '203.0.113.45']);
    assert.equal(x.stage, 'compromise');
    assert.match(x.entry, /^ProxyLogon exploited \(CVE-2021-26855\) from 203\.0\.113\.45 on 2021-03-03 06:49 UTC$/);
    assert.deepEqual(x.steps.map((s) => s.phase), ['exploit', 'webshell', 'commands', 'mailbox', 'credentials', 'exfiltration']);
    assert.equal(x.firstSeen, '2021-03-03T06:49:42.000Z');
    // Scanners that never attacked are not part of it.
    for (const ip of ['192.0.2.10', '192.0.2.66', '192.0.2.99']) assert.ok(!x.ips.includes(ip));
    const scannerFindings = report.findings.filter((f) => f.clientIp?.startsWith('192.0.2.'));
    assert.ok(scannerFindings.length > 0);
    for (const f of scannerFindings) assert.ok(!x.findings.includes(f.id), `${f.title} is a scanner's, not the intruder's`);
    // Host events without an address (IIS starting cmd.exe, the LSASS dump) happened during it.
    for (const rule of ['exchange-worker-child-process', 'lsass-dump']) {
      const f = report.findings.find((g) => g.rule === rule)!;
      assert.ok(x.findings.includes(f.id), `${rule} belongs to the intrusion`);
    }
    assert.match(report.verdict.summary, /Way in: ProxyLogon exploited/);
  });

  test('links: the ECP session, the same request in IIS and HttpProxy, the web-shell file and its writer', () => {
    const x = report.intrusions![0]!;
    const canary = x.links.find((l) => l.kind === 'ecp-canary');
    assert.ok(canary, 'ECP canary link');
    assert.ok(canary.records.some((r) => r.includes('/ECP/Server/')), 'ECP Server lines are joined');
    assert.ok(canary.records.some((r) => r.includes('/HttpProxy/Ecp/')), 'HttpProxy lines are joined');
    const vdir = report.findings.find((f) => f.rule === 'exchange-proxylogon-ecp-vdir-script')!;
    assert.ok(canary.findings.includes(vdir.id), 'the ECP Server finding joins through the canary');
    const request = x.links.find((l) => l.kind === 'request-id' && l.records.some((r) => r.includes('W3SVC1')) && l.records.some((r) => r.includes('HttpProxy')));
    assert.ok(request, 'an IIS row and an HttpProxy row share a request id');
    const shell = x.links.find((l) => l.kind === 'web-shell' && l.value === 'redirsuiteserverproxy.aspx');
    assert.ok(shell, 'the RedirSuiteServerProxy.aspx file is linked');
    const byId = new Map(report.findings.map((f) => [f.id, f]));
    const rules = shell.findings.map((id) => byId.get(id)?.rule);
    assert.ok(rules.includes('file-known-webshell-path'), 'the file');
    assert.ok(rules.includes('exchange-webshell-access'), 'the requests that used it');
    assert.ok(rules.includes('exchange-proxylogon-reset-vdir'), 'the write that created it (at its modification time)');
  });

  test('the pivot finds the attackers\' requests no rule flagged, and the ECP lines of their session', () => {
    const ctx = report.context!;
    assert.deepEqual(ctx.ips, ['198.51.100.77', '203.0.113.45']);
    const byAddress = ctx.events.filter((e) => e.reason.startsWith('address'));
    assert.ok(byAddress.some((e) => e.ip === '203.0.113.45' && e.summary.startsWith('GET /owa/auth/logon.aspx') && e.source === 'iis'));
    assert.ok(byAddress.some((e) => e.ip === '198.51.100.77' && e.summary === 'GET /owa/ → 302' && e.source === 'exchange-httpproxy'));
    const logon = ctx.events.find((e) => e.source === 'evtx');
    assert.ok(logon, 'the network logon from the web-shell address, in the Security log');
    assert.equal(logon.ip, '198.51.100.77');
    assert.match(logon.summary, /^Security 4624 CONTOSO\\itadmin \(logon type 3\)$/);
    assert.ok(logon.evidence.record !== undefined);
    const ecp = ctx.events.filter((e) => e.source === 'exchange-ecp-server');
    assert.ok(ecp.length >= 2 && ecp.every((e) => e.reason.startsWith('ECP session') && e.canary === ecp[0]!.canary));
    // Records that are already a finding's evidence are not repeated.
    const evidence = new Set(report.findings.flatMap((f) => f.evidence.map((e) => `${e.file}:${e.offset}`)));
    for (const e of ctx.events) assert.ok(!evidence.has(`${e.evidence.file}:${e.evidence.offset}`));
    for (const e of ctx.events) assert.equal(e.intrusion, report.intrusions![0]!.id);
    assert.equal(ctx.total, ctx.events.length);
  });

  test('worker threads gather the same context', async () => {
    const threaded = await huntFixed([DEMO], { threads: 2 });
    assert.deepEqual(threaded.context, report.context);
    assert.deepEqual(threaded.intrusions, report.intrusions);
  });

  test('--no-pivot equivalent leaves context out but still builds intrusions', async () => {
    const r = await huntFixed([DEMO], { pivot: false });
    assert.equal(r.context, undefined);
    assert.equal(r.intrusions?.length, 1);
  });
});

describe('correlation on crafted logs', () => {
  test('two attackers with nothing in common are two intrusions; a scanner is none', async () => {
    const dir = collection({
      'u_ex210305.log': log([
        iis(T0 + 1 * HOUR, '198.51.100.1', 'GET', '/owa/', 302),
        iis(T0 + 2 * HOUR, '198.51.100.1', 'POST', '/aspnet_client/one.aspx', 200),
        iis(T0 + 2 * HOUR + 60_000, '198.51.100.1', 'GET', '/aspnet_client/one.aspx', 200, 'cmd=cmd+/c+whoami'),
        iis(T0 + 30 * HOUR, '198.51.100.2', 'POST', '/owa/auth/two.aspx', 200),
        iis(T0 + 31 * HOUR, '192.0.2.10', 'GET', '/owa/auth/errorEE.aspx', 404),
      ]),
    });
    const r = await huntFixed([dir]);
    const xs = r.intrusions!;
    assert.equal(xs.length, 2, JSON.stringify(xs.map((x) => x.ips)));
    assert.deepEqual(xs.map((x) => x.ips), [['198.51.100.1'], ['198.51.100.2']]);
    assert.match(xs[0]!.title, /^1\. Attack from 198\.51\.100\.1$/);
    assert.equal(xs[0]!.entry, '', 'no exploit is visible');
    assert.ok(xs[0]!.story.some((s) => s.startsWith('No exploit request is visible')));
    // The pivot found the first attacker's visit to /owa/, which no rule flags.
    assert.ok(r.context!.events.some((e) => e.ip === '198.51.100.1' && e.summary === 'GET /owa/ → 302' && e.intrusion === xs[0]!.id));
    assert.ok(!r.context!.ips.includes('192.0.2.10'), 'a scanner is not pivoted on');
  });

  test('IIS and HttpProxy rows of one request join through cafeReqId', () => {
    const ev = (file: string, line: number, excerpt: string) => ({ input: 0, file, line, offset: line * 100, excerpt, time: '2021-03-05T01:00:00.000Z' });
    const id = '0b03569d-f748-4e5c-bc78-526e276386a7';
    const f = (fid: string, ip: string, evidence: ReturnType<typeof ev>[]): Finding => ({
      id: fid, rule: 'exchange-webshell-access', title: 'Web shell used: /x.aspx', severity: 'critical', stage: 'compromise', cves: [], attack: ['T1505.003'], count: 1,
      clientIp: ip, summary: '', story: 'web shell used', explanation: '', remediation: [], details: {}, evidence, time: '2021-03-05T01:00:00.000Z',
    });
    const coverage = { sources: [], files: [
      { input: 0, file: 'iis.log', source: 'iis' as const, format: 'w3c', events: 1, parseErrors: 0, bytes: 1 },
      { input: 0, file: 'proxy.log', source: 'exchange-httpproxy' as const, format: 'csv', events: 1, parseErrors: 0, bytes: 1 },
    ] };
    // Two findings from two addresses (a proxy in front of IIS) — the same request joins them.
    const a = f('F-a', '198.51.100.7', [ev('iis.log', 3, `2021-03-05 01:00:00 10.0.0.5 GET /x.aspx &CorrelationID=<empty>;&cafeReqId=${id}; 443 - 198.51.100.7 ua - 200 0 0 1`)]);
    const b = f('F-b', '198.51.100.8', [ev('proxy.log', 9, `2021-03-05T01:00:00.000Z,${id},15,1,2176,2,,Owa,mail,/x.aspx`)]);
    const { intrusions } = correlate([a, b], [], coverage);
    assert.equal(intrusions.length, 1);
    assert.deepEqual(intrusions[0]!.ips, ['198.51.100.7', '198.51.100.8']);
    const link = intrusions[0]!.links.find((l) => l.kind === 'request-id')!;
    assert.equal(link.value, id);
    assert.deepEqual(link.records, ['iis.log:3', 'proxy.log:9']);
    // Without the shared id they stay apart.
    const apart = correlate([a, { ...b, evidence: [ev('proxy.log', 9, '2021-03-05T01:00:00.000Z,11111111-2222-3333-4444-555555555555,15')] }], [], coverage);
    assert.equal(apart.intrusions.length, 2);
  });

  test('phases: the story words decide, ATT&CK and the stage when they do not', () => {
    const base = { id: 'x', rule: 'r', severity: 'high', cves: [], count: 1, summary: '', explanation: '', remediation: [], details: {}, evidence: [] } as const;
    const ph = (story: string, title: string, attack: string[], stage: Finding['stage']) => phaseOf({ ...base, story, title, attack, stage } as unknown as Finding);
    assert.equal(ph('passwords taken from memory', '', [], 'compromise'), 'credentials');
    assert.equal(ph('mailboxes read through EWS', '', ['T1190'], 'compromise'), 'mailbox');
    assert.equal(ph('OWASSRF exploited (remote PowerShell)', '', [], 'compromise'), 'exploit');
    assert.equal(ph('commands run through a web shell', '', [], 'compromise'), 'commands');
    assert.equal(ph('web shell written to disk (CVE-2021-27065)', '', [], 'compromise'), 'webshell');
    assert.equal(ph('event logs cleared', '', [], 'compromise'), 'cleanup');
    assert.equal(ph('', 'Suspicious thing', ['T1003.001'], 'attempt'), 'credentials');
    assert.equal(ph('', 'Odd', [], 'scan'), 'scan');
    assert.equal(ph('', 'Odd', [], 'attempt'), 'exploit');
  });
});
