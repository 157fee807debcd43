// `exhunt hunt` reports exposure from the collection itself: the build in the logs' #Version
// header, and Microsoft's interim mitigations found in collected IIS configuration.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { MITIGATIONS, renderMitigation } from '../src/exposure/mitigations.js';
import { collection, huntFixed, repoRoot } from './helpers.js';

const header = (version: string, date: string) =>
  `#Software: Microsoft Exchange Server\r\n#Version: ${version}\r\n#Log-type: HttpProxy Logs\r\n#Date: ${date}\r\n#Fields: DateTime,RequestId,UrlStem\r\n${date},1,/owa/\r\n`;

describe('hunt: exposure of the collected server', () => {
  test('the demo: Exchange 2016 CU19 unpatched, EOMT in place since 9 March, ProxyLogon CVEs marked mitigated', async () => {
    const r = await huntFixed([path.join(repoRoot(), 'examples', 'demo-triage')], { sweep: { yaraEngine: 'wasm' } });
    const e = r.exposure!;
    assert.equal(e.build, '15.1.2176.2');
    assert.equal(e.cu, 'CU19');
    assert.equal(e.verdict, 'vulnerable', 'ProxyShell and later CVEs are not mitigated');
    assert.equal(e.mitigations.length, 1);
    assert.equal(e.mitigations[0]!.id, 'eomt');
    assert.equal(e.mitigations[0]!.complete, true);
    assert.equal(e.mitigations[0]!.since, '2021-03-09T08:15:02.000Z');
    assert.equal(e.cves.find((c) => c.id === 'CVE-2021-26855')!.mitigatedBy, 'eomt');
    assert.equal(e.cves.find((c) => c.id === 'CVE-2021-34473')!.mitigatedBy, undefined);
    assert.ok(!r.findings.some((f) => f.file?.path.endsWith('web.config')), 'the mitigation change is not reported as the intruder\'s');
  });

  test('builds over time: an update installed mid-collection shows as two builds, the newest judged', async () => {
    const root = collection({
      'Logging/HttpProxy/Owa/HttpProxy_2021030100-1.LOG': header('15.01.2176.002', '2021-03-01T00:00:00.000Z'),
      'Logging/HttpProxy/Owa/HttpProxy_2021031000-1.LOG': header('15.01.2176.009', '2021-03-10T00:00:00.000Z'),
      'Logging/ECP/Server/ECPServer20210310-1.LOG': '#Software: Microsoft Exchange Server\r\n#Version: 15.00.0000.000\r\n',
    });
    const e = (await huntFixed([root])).exposure!;
    assert.deepEqual(e.builds.map((b) => [b.build, b.firstSeen]), [['15.1.2176.2', '2021-03-01T00:00:00.000Z'], ['15.1.2176.9', '2021-03-10T00:00:00.000Z']]);
    assert.equal(e.build, '15.1.2176.9');
    assert.equal(e.su, 'Mar21SU');
    assert.ok(!e.cves.some((c) => c.id === 'CVE-2021-26855'));
  });

  test('an incomplete mitigation is reported with what is wrong, and blocks nothing', async () => {
    const xml = renderMitigation(MITIGATIONS.find((m) => m.id === 'eomtv2')!, 'Default Web Site').webConfigXml.replace('<rule name="PowerShell - inbound"', '<rule name="PowerShell - inbound" enabled="false"');
    const root = collection({
      'Logging/HttpProxy/Owa/HttpProxy_2022100100-1.LOG': header('15.02.1118.012', '2022-10-01T00:00:00.000Z'),
      'inetpub/wwwroot/web.config': `<configuration><system.webServer>${xml}</system.webServer></configuration>`,
    });
    const e = (await huntFixed([root])).exposure!;
    assert.equal(e.mitigations[0]!.id, 'eomtv2');
    assert.equal(e.mitigations[0]!.complete, false);
    assert.match(e.mitigations[0]!.problems.join(' '), /disabled/);
    assert.equal(e.cves.find((c) => c.id === 'CVE-2022-41040')!.mitigatedBy, undefined);
    assert.equal(e.verdict, 'vulnerable');
  });

  test('no build and no configuration: no exposure section', async () => {
    const root = collection({ 'notes.txt': 'nothing here\n' });
    assert.equal((await huntFixed([root])).exposure, undefined);
  });
});
