// Every built-in detector against attack rows and benign look-alikes. Each case is checked twice:
// the detector alone on the parsed record, and the whole pipeline (byte prefilter included) on a
// file holding all of a detector's cases together, so an attack line the needles would miss fails.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LogEvent, Severity, Stage } from '../src/core/types.js';
import { exchangeCmdletAbuse } from '../src/detect/detectors/exchange-cmdlet-abuse.js';
import { exchangeVersionFingerprint } from '../src/detect/detectors/exchange-version-fingerprint.js';
import { owassrf } from '../src/detect/detectors/owassrf.js';
import { proxylogonEcpVdirScript } from '../src/detect/detectors/proxylogon-ecp-vdir-script.js';
import { proxylogonIis } from '../src/detect/detectors/proxylogon-iis.js';
import { proxylogonOabFileWrite } from '../src/detect/detectors/proxylogon-oab-file-write.js';
import { proxylogonResetVdir } from '../src/detect/detectors/proxylogon-reset-vdir.js';
import { proxylogonSsrfHttpProxy } from '../src/detect/detectors/proxylogon-ssrf-httpproxy.js';
import { proxynotshell } from '../src/detect/detectors/proxynotshell.js';
import { proxyshell } from '../src/detect/detectors/proxyshell.js';
import { rpsHttpProxiedPowershell } from '../src/detect/detectors/rps-http-proxied-powershell.js';
import { webfolderDownload } from '../src/detect/detectors/webfolder-download.js';
import { webshellAccess } from '../src/detect/detectors/webshell-access.js';
import { webshellCommands } from '../src/detect/detectors/webshell-commands.js';
import { webshellTunnelAndTools } from '../src/detect/detectors/webshell-tunnel-and-tools.js';
import type { DetectContext, Detector } from '../src/detect/types.js';
import {
  ECP_FIELDS, HTTPPROXY_FIELDS, RPS_CMDLET_FIELDS, RPS_HTTP_FIELDS, csvRow, ecpEventData, ecpServerLine, exchangeHeader, iisHeader, iisLine, oabLine,
} from '../tools/corpus/formats.js';
import { DEMO_ORG, type Req, reqToHttpProxy } from '../tools/corpus/traffic.js';
import { collection, huntFixed } from './helpers.js';
import { parseText } from './parse-harness.js';

const T = Date.parse('2021-03-03T06:00:00Z');
type Kind = 'iis' | 'httpproxy' | 'ecp' | 'oab' | 'rps-http' | 'rps-cmdlet';
const REL: Record<Kind, string> = {
  iis: 'C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log',
  httpproxy: 'Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG',
  ecp: 'Logging/ECP/Server/ECPServer20210303-1.LOG',
  oab: 'Logging/OABGeneratorLog/OABGenerator20210303-1.LOG',
  'rps-http': 'Logging/CmdletInfra/Powershell-Proxy/Http/Rps_Http_2021030306-1.LOG',
  'rps-cmdlet': 'Logging/CmdletInfra/Powershell-Proxy/Cmdlet/Rps_Cmdlet_2021030306-1.LOG',
};
const HEADER: Record<Kind, () => string> = {
  iis: () => iisHeader(T),
  httpproxy: () => exchangeHeader('HttpProxy Logs', '15.01.2176.002', T, HTTPPROXY_FIELDS, true),
  ecp: () => exchangeHeader('ECP Server Log', '15.0.0.0', T, ECP_FIELDS),
  oab: () => '',
  'rps-http': () => exchangeHeader('Rps Http Logs', '15.01.2176.002', T, RPS_HTTP_FIELDS),
  'rps-cmdlet': () => exchangeHeader('Rps Cmdlet Logs', '15.01.2176.002', T, RPS_CMDLET_FIELDS),
};

interface Case {
  name: string;
  kind: Kind;
  line: (t: number) => string;
  /** Expected [severity, stage], or null for "nothing from this detector". */
  expect: [Severity, Stage] | null;
  /** The line is not benign (another detector is meant to report it). */
  other?: boolean;
  ctx?: DetectContext;
}

interface WebSpec {
  method?: string;
  stem: string;
  query?: string;
  status?: number;
  ua?: string;
  user?: string;
  ip?: string;
}

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.182 Safari/537.36';

function iis(w: WebSpec): (t: number) => string {
  return (t) =>
    iisLine({ time: t, serverIp: '10.20.0.15', method: w.method ?? 'GET', stem: w.stem, query: w.query ?? '', port: 443, user: w.user ?? '', clientIp: w.ip ?? '203.0.113.5', userAgent: w.ua ?? CHROME, status: w.status ?? 200, timeTaken: 10, cafeReqId: 'c0ffee00-0000-4000-8000-000000000001' });
}

function proxy(w: WebSpec & { anchor?: string; protocol?: Req['protocol'] }): (t: number) => string {
  return (t) =>
    reqToHttpProxy(
      { time: t, protocol: w.protocol ?? 'Ecp', method: w.method ?? 'POST', stem: w.stem, query: w.query ?? '', user: w.user ?? '', clientIp: w.ip ?? '203.0.113.5', userAgent: w.ua ?? 'python-requests/2.25.1', status: w.status ?? 200, requestId: 'c0ffee00-0000-4000-8000-000000000002', anchorMailbox: w.anchor ?? '' },
      DEMO_ORG,
    )!;
}

const ecp = (cmd: string) => (t: number) => ecpServerLine(t, 'EXCH01', ecpEventData({ cmd }));
const oab = (message: string) => (t: number) => oabLine(t, 'Warning', message);
const rpsHttp = (clientInfo: string, status = 200) => (t: number) =>
  csvRow(RPS_HTTP_FIELDS, { DateTime: new Date(t).toISOString(), UrlStem: '/powershell', HttpStatus: status, ClientIpAddress: '203.0.113.8 10.20.0.15', AuthenticatedUser: 'CONTOSO\\bob', ClientInfo: clientInfo, CommandName: 'New-MailboxExportRequest' });
const rpsCmdlet = (cmdlet: string, params: string) => (t: number) =>
  csvRow(RPS_CMDLET_FIELDS, { DateTime: new Date(t).toISOString(), AuthenticatedUser: 'CONTOSO\\bob', Cmdlet: cmdlet, Parameters: params, ExecutionResult: 'Success' });

const PS_SSRF = '@evil.example/powershell/?X-Rps-CAT=VgEAVAdXaW5kb3dzQwBBCEtlcmJlcm9zTBMAYWRtaW5pc3RyYXRvckBsb2NhbFUsUy0xLTUtMjEtMzEwNTA4MTE&Email=autodiscover/autodiscover.json%3F@evil.example';

const SUITES: [Detector, Case[]][] = [
  [proxylogonSsrfHttpProxy, [
    { name: 'autodiscover stage (HelseCERT)', kind: 'httpproxy', line: proxy({ stem: '/ecp/y.js', anchor: 'ServerInfo~a]@srv.xxx.local:444/autodiscover/autodiscover.xml?#' }), expect: ['medium', 'attempt'] },
    { name: 'back-end MAPI answered', kind: 'httpproxy', line: proxy({ stem: '/ecp/y.js', anchor: 'ServerInfo~a]@srv.xxx.local:444/mapi/emsmdb/?#' }), expect: ['high', 'compromise'] },
    { name: 'proxyLogon.ecp 241', kind: 'httpproxy', line: proxy({ stem: '/ecp/y.js', anchor: 'ServerInfo~a]@srv.xxx.local:444/ecp/proxyLogon.ecp?#', status: 241 }), expect: ['critical', 'compromise'] },
    { name: 'EWS reached = mail theft', kind: 'httpproxy', line: proxy({ stem: '/ecp/x.js', anchor: 'ServerInfo~a]@srv.xxx.local:444/EWS/Exchange.asmx?#' }), expect: ['critical', 'compromise'] },
    { name: 'a success through "localhost]@…" is not a probe', kind: 'httpproxy', line: proxy({ stem: '/ecp/y.js', anchor: 'ServerInfo~localhost]@EXCH01.contoso.local:444/ecp/DDI/DDIService.svc/SetObject?schema=OABVirtualDirectory#' }), expect: ['critical', 'compromise'] },
    { name: 'mail theft through localhost:444', kind: 'httpproxy', line: proxy({ stem: '/ecp/y.js', anchor: 'ServerInfo~localhost:444/EWS/Exchange.asmx?#' }), expect: ['critical', 'compromise'] },
    { name: "Exchange's own anonymous proxying of a static resource", kind: 'httpproxy', line: proxy({ method: 'GET', protocol: 'Owa', stem: '/owa/auth/15.0.1497/themes/resources/logon.css', anchor: 'ServerInfo~exch2013.contoso.local/owa/auth/15.0.1497/themes/resources/logon.css', ua: CHROME }), expect: null },
    { name: 'ECP refused', kind: 'httpproxy', line: proxy({ stem: '/ecp/y.js', anchor: 'ServerInfo~a]@srv.xxx.local:444/ecp/proxyLogon.ecp?#', status: 500 }), expect: ['medium', 'attempt'] },
    { name: 'localhost probe (nmap check)', kind: 'httpproxy', line: proxy({ method: 'GET', stem: '/owa/auth/x.js', protocol: 'Owa', anchor: 'ServerInfo~localhost/ecp/default.flt?', status: 500, ua: 'Mozilla/5.0' }), expect: ['low', 'scan'] },
    { name: 'after proxyLogon.ecp the session user shows; the cookie shape still counts', kind: 'httpproxy', line: proxy({ stem: '/ecp/y.js', user: 'CONTOSO\\Administrator', anchor: 'ServerInfo~a]@srv.xxx.local:444/ecp/DDI/DDIService.svc/SetObject?schema=OABVirtualDirectory#' }), expect: ['critical', 'compromise'] },
    { name: 'authenticated ServerInfo anchor (internal proxying)', kind: 'httpproxy', line: proxy({ stem: '/ecp/', user: 'CONTOSO\\itadmin', anchor: 'ServerInfo~exch02.contoso.local/ecp/', ua: CHROME }), expect: null },
    { name: 'ordinary Smtp anchor', kind: 'httpproxy', line: proxy({ stem: '/ecp/', anchor: 'Smtp~jdoe@contoso.example', ua: CHROME }), expect: null },
    { name: 'ServerInfo without a path', kind: 'httpproxy', line: proxy({ stem: '/ecp/', anchor: 'ServerInfo~exch02', ua: CHROME }), expect: null },
  ]],
  [proxylogonResetVdir, [
    { name: 'HttpProxy reset 200', kind: 'httpproxy', line: proxy({ stem: '/ecp/y.js', anchor: 'ServerInfo~a]@srv:444/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=X&schema=ResetOABVirtualDirectory#' }), expect: ['critical', 'compromise'], other: true },
    { name: 'HttpProxy reset with the session user', kind: 'httpproxy', line: proxy({ stem: '/ecp/y.js', user: 'CONTOSO\\Administrator', anchor: 'ServerInfo~a]@srv:444/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=X&schema=ResetOABVirtualDirectory#' }), expect: ['critical', 'compromise'], other: true },
    { name: 'HttpProxy reset refused', kind: 'httpproxy', line: proxy({ stem: '/ecp/y.js', anchor: 'ServerInfo~a]@srv:444/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=X&schema=ResetOABVirtualDirectory#', status: 500 }), expect: ['medium', 'attempt'], other: true },
    { name: 'back-end IIS reset as the machine account', kind: 'iis', line: iis({ method: 'POST', stem: '/ecp/DDI/DDIService.svc/SetObject', query: 'schema=ResetOABVirtualDirectory&msExchEcpCanary=X', user: 'CONTOSO\\EXCH01$', ip: '10.20.0.15' }), expect: ['critical', 'compromise'] },
    { name: 'administrator resetting in ECP', kind: 'iis', line: iis({ method: 'POST', stem: '/ecp/DDI/DDIService.svc/SetObject', query: 'schema=ResetOABVirtualDirectory&msExchEcpCanary=X', user: 'CONTOSO\\itadmin', ip: '10.20.1.10' }), expect: null },
    { name: 'administrator listing directories', kind: 'iis', line: iis({ method: 'POST', stem: '/ecp/DDI/DDIService.svc/GetList', query: 'schema=OABVirtualDirectory&msExchEcpCanary=X', user: 'CONTOSO\\itadmin' }), expect: null },
  ]],
  [proxylogonEcpVdirScript, [
    { name: 'China Chopper in ExternalUrl', kind: 'ecp', line: ecp(`Set-OabVirtualDirectory.ExternalUrl='http://f/<script language="JScript" runat="server">function Page_Load(){eval(Request["klk123456"],"unsafe");}</script>'.Identity='982d48c8-8bfa-4b6b-b431-53fd7ea4e9b3'`), expect: ['critical', 'compromise'] },
    { name: 'entity-encoded markup in InternalUrl', kind: 'ecp', line: ecp(`Set-EcpVirtualDirectory.InternalUrl='http://x/&lt;script runat=server&gt;'.Identity='y'`), expect: ['critical', 'compromise'] },
    { name: 'percent-encoded script', kind: 'ecp', line: ecp(`Set-OwaVirtualDirectory.ExternalUrl='http://x/%3Cscript%3Eeval(Request.Item["a"])%3C/script%3E'`), expect: ['critical', 'compromise'] },
    { name: 'legitimate https ExternalUrl', kind: 'ecp', line: ecp(`Set-OwaVirtualDirectory.ExternalUrl='https://mail.contoso.example/owa'.Identity='EXCH01\\owa (Default Web Site)'`), expect: null },
    { name: 'the reset to $null', kind: 'ecp', line: ecp(`Set-OabVirtualDirectory.ExternalUrl=$null.Identity='982d48c8'`), expect: null },
    { name: 'recreating the directory', kind: 'ecp', line: ecp(`New-OABVirtualDirectory.WebSiteName='Default Web Site'.InternalURL='https://exch01.contoso.local/OAB'.Path='C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\OAB'`), expect: null },
    { name: 'script in another cmdlet', kind: 'ecp', line: ecp(`Set-Mailbox.CustomAttribute1='<b>x</b>'`), expect: null },
  ]],
  [proxylogonOabFileWrite, [
    { name: 'inside ClientAccess\\OAB\\Temp', kind: 'oab', line: oab(`Download failed and temporary file 'C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB\\Temp\\a.tmp' needs to be removed.`), expect: null },
    { name: 'UNC into the web root', kind: 'oab', line: oab(`Download failed and temporary file '\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\shell.aspx' needs to be removed.`), expect: ['critical', 'compromise'] },
    { name: 'local web folder', kind: 'oab', line: oab(`Download failed and temporary file 'C:\\inetpub\\wwwroot\\aspnet_client\\discover.aspx' needs to be removed.`), expect: ['critical', 'compromise'] },
    { name: 'dot-dot out of the OAB folder', kind: 'oab', line: oab(`Download failed and temporary file 'C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB\\..\\..\\FrontEnd\\HttpProxy\\owa\\auth\\x.aspx' needs to be removed.`), expect: ['critical', 'compromise'] },
    { name: 'OAB folder itself, not Temp (served as a web page)', kind: 'oab', line: oab(`Download failed and temporary file 'C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB\\shell.aspx' needs to be removed.`), expect: ['critical', 'compromise'] },
    { name: 'a ClientAccess\\OAB\\Temp under the web root', kind: 'oab', line: oab(`Download failed and temporary file 'C:\\inetpub\\wwwroot\\aspnet_client\\ClientAccess\\OAB\\Temp\\s.aspx' needs to be removed.`), expect: ['critical', 'compromise'] },
    { name: 'custom install path, inside', kind: 'oab', line: oab(`Download failed and temporary file 'D:\\Exchange\\ClientAccess\\OAB\\Temp\\b.tmp' needs to be removed.`), expect: null, ctx: { exchangePath: 'D:\\Exchange' } },
    { name: 'custom install path, outside', kind: 'oab', line: oab(`Download failed and temporary file 'C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB\\Temp\\c.tmp' needs to be removed.`), expect: ['critical', 'compromise'], ctx: { exchangePath: 'D:\\Exchange' } },
  ]],
  [proxylogonIis, [
    { name: 'POST /ecp/y.js answered', kind: 'iis', line: iis({ method: 'POST', stem: '/ecp/y.js', ua: 'ExchangeServicesClient/0.0.0.0' }), expect: ['high', 'compromise'] },
    { name: 'POST /ecp/y.js refused', kind: 'iis', line: iis({ method: 'POST', stem: '/ecp/y.js', status: 404 }), expect: ['medium', 'attempt'] },
    { name: 'POST to OWA theme resources', kind: 'iis', line: iis({ method: 'POST', stem: '/owa/auth/Current/themes/resources/logon.css' }), expect: ['high', 'compromise'] },
    { name: 'crawler name on POST /owa/auth/Current/', kind: 'iis', line: iis({ method: 'POST', stem: '/owa/auth/Current/x', status: 500, ua: 'DuckDuckBot/1.0;+(+http://duckduckgo.com/duckduckbot.html)' }), expect: ['medium', 'attempt'] },
    { name: 'python-requests POST to ECP', kind: 'iis', line: iis({ method: 'POST', stem: '/ecp/DDI/DDIService.svc/GetObject', ua: 'python-requests/2.25.1' }), expect: ['high', 'compromise'] },
    { name: 'nmap x.js probe', kind: 'iis', line: iis({ stem: '/owa/auth/x.js', status: 500 }), expect: ['low', 'scan'] },
    { name: 'GET theme resource (every logon page)', kind: 'iis', line: iis({ stem: '/owa/auth/Current/themes/resources/logon.css' }), expect: null },
    { name: 'administrator POST in ECP', kind: 'iis', line: iis({ method: 'POST', stem: '/ecp/DDI/DDIService.svc/GetList', query: 'schema=MailboxService', user: 'CONTOSO\\itadmin' }), expect: null },
    { name: 'python-requests GET (monitoring)', kind: 'iis', line: iis({ stem: '/ecp/', ua: 'python-requests/2.25.1' }), expect: null },
  ]],
  [proxyshell, [
    { name: 'MAPI NSPI reached', kind: 'iis', line: iis({ stem: '/autodiscover/autodiscover.json', query: '@evil.example/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.example' }), expect: ['high', 'compromise'] },
    { name: 'PowerShell with X-Rps-CAT answered', kind: 'iis', line: iis({ method: 'POST', stem: '/autodiscover/autodiscover.json', query: PS_SSRF }), expect: ['critical', 'compromise'] },
    { name: 'PowerShell refused (401)', kind: 'iis', line: iis({ method: 'POST', stem: '/autodiscover/autodiscover.json', query: PS_SSRF, status: 401 }), expect: ['medium', 'attempt'] },
    { name: 'PowerShell redirected (302): the back end answered', kind: 'iis', line: iis({ method: 'POST', stem: '/autodiscover/autodiscover.json', query: PS_SSRF, status: 302 }), expect: ['critical', 'compromise'] },
    { name: 'EWS reached', kind: 'iis', line: iis({ method: 'POST', stem: '/autodiscover/autodiscover.json', query: '@evil.example/EWS/exchange.asmx?&Email=autodiscover/autodiscover.json%3F@evil.example' }), expect: ['critical', 'compromise'] },
    { name: 'autodiscover.xml step (DFIR write-up)', kind: 'iis', line: iis({ method: 'POST', stem: '/autodiscover/autodiscover.json', query: '@fucky0u.edu/autodiscover/autodiscover.xml?=&Email=autodiscover/autodiscover.json%3F@fucky0u.edu' }), expect: ['medium', 'attempt'] },
    { name: 'public vulnerability check (302)', kind: 'iis', line: iis({ stem: '/autodiscover/autodiscover.json', query: '@test.com/owa/?&Email=autodiscover/autodiscover.json%3F@test.com', status: 302 }), expect: ['low', 'scan'] },
    { name: 'back-end PowerShell with X-Rps-CAT', kind: 'iis', line: iis({ method: 'POST', stem: '/powershell', query: 'X-Rps-CAT=VgEAVAdXaW5kb3dz&clientApplication=x', ip: '10.20.0.15' }), expect: ['critical', 'compromise'] },
    { name: 'HttpProxy Autodiscover row', kind: 'httpproxy', line: proxy({ protocol: 'Autodiscover', stem: '/autodiscover/autodiscover.json', query: PS_SSRF }), expect: ['critical', 'compromise'] },
    { name: 'Autodiscover v2 with an address', kind: 'iis', line: iis({ stem: '/autodiscover/autodiscover.json', query: 'Email=jdoe%40contoso.example&Protocol=ActiveSync&RedirectCount=1' }), expect: null },
    { name: 'Autodiscover v1.0 path with a trailing slash', kind: 'iis', line: iis({ stem: '/autodiscover/autodiscover.json/v1.0/jdoe@contoso.example/', query: 'Protocol=ActiveSync' }), expect: null },
    { name: 'Autodiscover v1.0 path form', kind: 'iis', line: iis({ stem: '/autodiscover/autodiscover.json/v1.0/jdoe@contoso.example', query: 'Protocol=AutodiscoverV1&RedirectCount=1' }), expect: null },
    { name: 'authenticated without a forged token: ProxyNotShell, not ProxyShell', kind: 'iis', line: iis({ method: 'POST', stem: '/autodiscover/autodiscover.json', query: '@evil.example/powershell/?&Email=autodiscover/autodiscover.json%3F@evil.example', user: 'CONTOSO\\bob' }), expect: null, other: true },
    { name: 'back end with the forged token and its user: still ProxyShell', kind: 'iis', line: iis({ method: 'POST', stem: '/powershell/', query: 'X-Rps-CAT=VgEAVAdXaW5k&Email=autodiscover/autodiscover.json%3F@foo.com', user: 'CONTOSO\\Administrator', ip: '10.20.0.15' }), expect: ['critical', 'compromise'] },
    { name: 'refused anonymous PowerShell: ProxyShell or the first leg of ProxyNotShell', kind: 'iis', line: iis({ method: 'POST', stem: '/autodiscover/autodiscover.json', query: '@evil.example/powershell/?&Email=autodiscover/autodiscover.json%3F@evil.example', status: 401 }), expect: ['medium', 'attempt'] },
    { name: 'an address that contains "powershell"', kind: 'iis', line: iis({ stem: '/autodiscover/autodiscover.json', query: 'Email=powershell.automation%40contoso.example&Protocol=ActiveSync&RedirectCount=1' }), expect: null },
    { name: 'v1.0 form with such an address', kind: 'iis', line: iis({ stem: '/autodiscover/autodiscover.json/v1.0/powershell.automation@contoso.example', query: 'Protocol=AutodiscoverV1' }), expect: null },
    { name: 'administrator remote PowerShell', kind: 'iis', line: iis({ method: 'POST', stem: '/PowerShell', query: 'serializationLevel=Full;ExchClientVer=15.1.2176.2;clientApplication=ManagementShell', user: 'CONTOSO\\itadmin', ua: 'Microsoft WinRM Client' }), expect: null },
  ]],
  [proxynotshell, [
    { name: 'authenticated SSRF to PowerShell answered', kind: 'iis', line: iis({ method: 'POST', stem: '/autodiscover/autodiscover.json', query: '@evil.example/Powershell?serializationLevel=Full&Email=autodiscover/autodiscover.json%3f@evil.example', user: 'CONTOSO\\bob' }), expect: ['critical', 'compromise'] },
    { name: 'authenticated, blocked', kind: 'iis', line: iis({ method: 'POST', stem: '/autodiscover/autodiscover.json', query: '@evil.example/Powershell?&Email=autodiscover/autodiscover.json%3f@evil.example', user: 'CONTOSO\\bob', status: 403 }), expect: ['medium', 'attempt'] },
    { name: 'mitigation-bypass form: FooProtocol=Powershell behind an /owa/ path', kind: 'iis', line: iis({ method: 'POST', stem: '/autodiscover/autodiscover.json', query: '@evil.example/owa/&Email=autodiscover/autodiscover.json%3f@evil.example&Protocol=XYZ&FooProtocol=Powershell', user: 'CONTOSO\\bob' }), expect: ['critical', 'compromise'] },
    { name: 'authenticated SSRF to EWS', kind: 'iis', line: iis({ method: 'POST', stem: '/autodiscover/autodiscover.json', query: '@evil.example/EWS/Exchange.asmx?&Email=autodiscover/autodiscover.json%3f@evil.example', user: 'CONTOSO\\bob' }), expect: ['critical', 'compromise'] },
    { name: 'admin@localhost form (Nextron)', kind: 'iis', line: iis({ method: 'POST', stem: '/autodiscover/admin@localhost/powershell', user: 'CONTOSO\\bob' }), expect: ['critical', 'compromise'] },
    { name: 'an address that contains "powershell", authenticated', kind: 'iis', line: iis({ stem: '/autodiscover/autodiscover.json/v1.0/powershell.automation@contoso.example', query: 'Protocol=AutodiscoverV1', user: 'CONTOSO\\bob' }), expect: null },
    { name: 'authenticated Autodiscover v2', kind: 'iis', line: iis({ stem: '/autodiscover/autodiscover.json', query: 'Email=bob%40contoso.example&Protocol=Rest', user: 'CONTOSO\\bob' }), expect: null },
  ]],
  [owassrf, [
    { name: 'OWA path to PowerShell, 200 (CrowdStrike)', kind: 'iis', line: iis({ method: 'POST', stem: '/owa/mastermailbox%40outlook.com/powershell', user: 'CONTOSO\\bob', ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/105.0.5195.54 Safari/537.36' }), expect: ['critical', 'compromise'] },
    { name: 'refused', kind: 'iis', line: iis({ method: 'POST', stem: '/owa/bob@contoso.example/powershell', status: 401 }), expect: ['medium', 'attempt'] },
    { name: 'WinRM client excluded (Sigma filter)', kind: 'iis', line: iis({ method: 'POST', stem: '/owa/bob@contoso.example/powershell', ua: 'Microsoft WinRM Client' }), expect: null },
    { name: 'plain OWA', kind: 'iis', line: iis({ method: 'POST', stem: '/owa/service.svc', query: 'action=GetItem' }), expect: null },
  ]],
  [rpsHttpProxiedPowershell, [
    { name: 'browser client, 200', kind: 'rps-http', line: rpsHttp('Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/105.0'), expect: ['critical', 'compromise'] },
    { name: 'python client, 500', kind: 'rps-http', line: rpsHttp('python-requests/2.28.1', 500), expect: ['medium', 'attempt'] },
    { name: 'WinRM client', kind: 'rps-http', line: rpsHttp('Microsoft WinRM Client'), expect: null },
    { name: 'health probe', kind: 'rps-http', line: rpsHttp('Exchange BackEnd Probes'), expect: null },
    { name: 'empty client', kind: 'rps-http', line: rpsHttp(''), expect: null },
  ]],
  [webshellAccess, [
    { name: 'shell next to the genuine page (HelseCERT)', kind: 'iis', line: iis({ stem: '/owa/auth/RedirSuiteServerProxy.aspx' }), expect: ['critical', 'compromise'] },
    { name: 'China Chopper POST in aspnet_client', kind: 'iis', line: iis({ method: 'POST', stem: '/aspnet_client/system_web/log.aspx' }), expect: ['critical', 'compromise'] },
    { name: 'shell in the OAB directory', kind: 'iis', line: iis({ stem: '/OAB/log.aspx' }), expect: ['critical', 'compromise'] },
    { name: 'shell in a theme folder, 302', kind: 'iis', line: iis({ stem: '/owa/auth/Current/themes/errorFS.aspx', status: 302 }), expect: ['medium', 'attempt'] },
    { name: 'probe for somebody else\'s shell', kind: 'iis', line: iis({ stem: '/aspnet_client/shell.aspx', status: 404 }), expect: ['low', 'scan'] },
    { name: 'HttpProxy OWA row', kind: 'httpproxy', line: proxy({ protocol: 'Owa', method: 'GET', stem: '/owa/auth/OutlookEN.aspx', ua: CHROME }), expect: ['critical', 'compromise'] },
    { name: 'ProxyShell export path outside Exchange folders', kind: 'iis', line: iis({ stem: '/aspnet/p433zrwewrvmcv.aspx' }), expect: ['critical', 'compromise'] },
    { name: 'a page at the site root', kind: 'iis', line: iis({ method: 'POST', stem: '/error.aspx' }), expect: ['critical', 'compromise'] },
    { name: 'Remote Desktop Web Access beside Exchange', kind: 'iis', line: iis({ stem: '/RDWeb/Pages/en-US/login.aspx', user: 'CONTOSO\\jdoe' }), expect: null },
    { name: 'an OWA page outside owa/auth', kind: 'iis', line: iis({ stem: '/owa/projection.aspx', user: 'CONTOSO\\jdoe' }), expect: null },
    { name: 'the genuine RedirSuiteServiceProxy.aspx', kind: 'iis', line: iis({ stem: '/owa/auth/RedirSuiteServiceProxy.aspx', user: 'CONTOSO\\jdoe' }), expect: null },
    { name: 'logon page', kind: 'iis', line: iis({ stem: '/owa/auth/logon.aspx', query: 'url=https%3a%2f%2fmail%2fowa%2f&reason=0' }), expect: null },
    { name: 'errorFE', kind: 'iis', line: iis({ stem: '/owa/auth/errorFE.aspx', query: 'httpCode=500' }), expect: null },
    { name: 'ECP timeout page', kind: 'iis', line: iis({ stem: '/ecp/auth/TimeoutLogout.aspx' }), expect: null },
    { name: 'theme resource', kind: 'iis', line: iis({ stem: '/owa/auth/15.1.2176/themes/resources/favicon.ico' }), expect: null },
    { name: 'OAB download', kind: 'iis', line: iis({ stem: '/OAB/0e5b6f3f-0000-4000-8000-000000000000/oab.xml', user: 'CONTOSO\\jdoe' }), expect: null },
  ]],
  [webshellTunnelAndTools, [
    { name: 'Tunna connect', kind: 'iis', line: iis({ stem: '/erp/conn.aspx', query: 'proxy&port=3389&ip=127.0.0.1', ip: '10.0.2.17' }), expect: ['critical', 'compromise'] },
    { name: 'Tunna data', kind: 'iis', line: iis({ method: 'POST', stem: '/erp/conn.aspx', query: 'proxy', ip: '10.0.2.17' }), expect: ['critical', 'compromise'] },
    { name: 'reGeorg connect', kind: 'iis', line: iis({ method: 'POST', stem: '/aspnet_client/tunnel.aspx', query: 'cmd=connect&target=10.20.0.5&port=445' }), expect: ['critical', 'compromise'], other: true },
    { name: 'AntSword', kind: 'iis', line: iis({ method: 'POST', stem: '/aspnet_client/a.aspx', ua: 'antSword/v2.1' }), expect: ['critical', 'compromise'], other: true },
    { name: 'fake Googlebot POST to OWA', kind: 'iis', line: iis({ method: 'POST', stem: '/owa/auth/y.aspx', ua: 'Googlebot/2.1+(+http://www.googlebot.com/bot.html)', status: 500 }), expect: ['high', 'attempt'], other: true },
    { name: 'real crawler GET', kind: 'iis', line: iis({ stem: '/robots.txt', ua: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', status: 404 }), expect: null },
    { name: 'ActiveSync SmartForward', kind: 'iis', line: iis({ method: 'POST', stem: '/Microsoft-Server-ActiveSync/default.eas', query: 'Cmd=SmartForward&User=jdoe&DeviceId=A&DeviceType=iPhone', user: 'CONTOSO\\jdoe' }), expect: null },
    { name: 'Outlook Anywhere', kind: 'iis', line: iis({ method: 'RPC_IN_DATA', stem: '/rpc/rpcproxy.dll', query: 'mail.contoso.example:6001', user: 'CONTOSO\\jdoe' }), expect: null },
  ]],
  [webshellCommands, [
    { name: 'whoami through cmd', kind: 'iis', line: iis({ stem: '/aspnet_client/x.aspx', query: 'cmd=cmd+/c+whoami' }), expect: ['high', 'compromise'], other: true },
    { name: 'encoded ipconfig, 404', kind: 'iis', line: iis({ stem: '/shell.aspx', query: 'c=ipconfig%20/all', status: 404 }), expect: ['medium', 'attempt'] },
    { name: 'net group', kind: 'iis', line: iis({ stem: '/x.aspx', query: 'z=net%20group%20%22domain%20admins%22%20/domain' }), expect: ['high', 'compromise'] },
    { name: 'a program given with its full path', kind: 'iis', line: iis({ stem: '/aspnet_client/a.aspx', query: 'c=C:\\Windows\\System32\\cmd.exe+/c+whoami' }), expect: ['high', 'compromise'], other: true },
    { name: 'ActiveSync Cmd=Sync', kind: 'iis', line: iis({ method: 'POST', stem: '/Microsoft-Server-ActiveSync/default.eas', query: 'Cmd=Sync&User=jdoe', user: 'CONTOSO\\jdoe' }), expect: null },
    { name: 'OWA action name', kind: 'iis', line: iis({ method: 'POST', stem: '/owa/service.svc', query: 'action=GetRegionalConfiguration&app=Mail', user: 'CONTOSO\\jdoe' }), expect: null },
    { name: 'a word that starts with net', kind: 'iis', line: iis({ stem: '/owa/', query: 'q=networking&realm=example', user: 'CONTOSO\\jdoe' }), expect: null },
  ]],
  [webfolderDownload, [
    { name: 'LSASS dump archive', kind: 'iis', line: iis({ stem: '/aspnet_client/lsass.dmp.zip' }), expect: ['critical', 'compromise'] },
    { name: 'dump not there', kind: 'iis', line: iis({ stem: '/lsass.dmp', status: 404 }), expect: ['medium', 'attempt'] },
    { name: 'archive staged in aspnet_client', kind: 'iis', line: iis({ stem: '/aspnet_client/it.zip' }), expect: ['high', 'compromise'] },
    { name: 'OAB file', kind: 'iis', line: iis({ stem: '/OAB/0e5b6f3f-0000-4000-8000-000000000000/data-1.lzx', user: 'CONTOSO\\jdoe' }), expect: null },
    { name: 'attachment download in OWA', kind: 'iis', line: iis({ stem: '/owa/service.svc/s/GetFileAttachment/report.zip', user: 'CONTOSO\\jdoe' }), expect: null },
  ]],
  [exchangeVersionFingerprint, [
    { name: 'Current export tool manifest', kind: 'iis', line: iis({ stem: '/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application', ua: 'Mozilla/5.0 zgrab/0.x' }), expect: ['low', 'scan'] },
    { name: 'versioned manifest', kind: 'httpproxy', line: proxy({ method: 'GET', stem: '/ecp/15.1.2176.2/exporttool/microsoft.exchange.ediscovery.exporttool.application', ua: 'Mozilla/5.0' }), expect: ['low', 'scan'] },
    { name: 'ECP home', kind: 'iis', line: iis({ stem: '/ecp/', user: 'CONTOSO\\itadmin' }), expect: null },
  ]],
  [exchangeCmdletAbuse, [
    { name: 'mailbox exported as .aspx via the admin share', kind: 'rps-cmdlet', line: rpsCmdlet('New-MailboxExportRequest', `-Mailbox 'admin@contoso.example' -FilePath '\\\\localhost\\c$\\inetpub\\wwwroot\\aspnet_client\\p433zrwewrvmcv.aspx' -IncludeFolders '#Drafts#'`), expect: ['critical', 'compromise'] },
    { name: 'certificate request written as .aspx', kind: 'rps-cmdlet', line: rpsCmdlet('New-ExchangeCertificate', `-GenerateRequest -BinaryEncoded -RequestFile 'C:\\inetpub\\wwwroot\\aspnet_client\\c.aspx'`), expect: ['critical', 'compromise'] },
    { name: 'ordinary export to a file server', kind: 'rps-cmdlet', line: rpsCmdlet('New-MailboxExportRequest', `-Mailbox 'leaver@contoso.example' -FilePath '\\\\fs01\\pst$\\leaver.pst'`), expect: ['low', 'info'] },
    { name: 'role granted (the documented first step of a legitimate export)', kind: 'rps-cmdlet', line: rpsCmdlet('New-ManagementRoleAssignment', `-Role 'Mailbox Import Export' -User 'bob'`), expect: ['low', 'info'] },
    { name: 'export to an ordinary share on the server itself', kind: 'rps-cmdlet', line: rpsCmdlet('New-MailboxExportRequest', `-Mailbox 'leaver' -FilePath '\\\\localhost\\PST\\leaver.pst'`), expect: ['low', 'info'] },
    { name: 'export removed', kind: 'rps-cmdlet', line: rpsCmdlet('Remove-MailboxExportRequest', `-Identity 'x' -Confirm:$false`), expect: ['low', 'info'] },
    { name: 'Get-Mailbox', kind: 'rps-cmdlet', line: rpsCmdlet('Get-Mailbox', `-ResultSize 'Unlimited'`), expect: null },
  ]],
];

function fileFor(cases: Case[], kind: Kind): { text: string; lineOf: Map<Case, number> } {
  let text = HEADER[kind]();
  let line = text === '' ? 0 : text.split('\r\n').length - 1;
  const lineOf = new Map<Case, number>();
  cases.forEach((c, i) => {
    if (c.kind !== kind) return;
    text += `${c.line(T + i * 1000)}\r\n`;
    lineOf.set(c, ++line);
  });
  return { text, lineOf };
}

async function eventFor(c: Case): Promise<LogEvent> {
  const { text } = fileFor([c], c.kind);
  const p = await parseText(text, REL[c.kind]);
  assert.deepEqual(p.issues, [], `${c.name}: parses cleanly`);
  assert.equal(p.events.length, 1, `${c.name}: one record`);
  return p.events[0]!;
}

describe('detectors', () => {
  for (const [det, cases] of SUITES) {
    describe(det.id, () => {
      for (const c of cases) {
        test(`${c.expect ? `${c.expect[0]}` : 'quiet'}: ${c.name}`, async () => {
          const ev = await eventFor(c);
          const hit = det.appliesTo.includes(ev.source) ? det.inspect(ev, c.ctx ?? {}) : undefined;
          if (!c.expect) {
            assert.equal(hit, undefined, hit?.summary);
            return;
          }
          assert.ok(hit, 'expected a hit');
          assert.deepEqual([hit.severity, hit.stage], c.expect, hit.summary);
          assert.ok(hit.title.length > 0 && hit.summary.length > 0);
          const lower = ev.raw.toLowerCase();
          assert.ok(det.needles === null || det.needles.some((n) => lower.includes(n.toLowerCase())), 'the byte prefilter lets the line through');
        });
      }

      test('through the whole pipeline: attacks found, look-alikes quiet', async () => {
        const kinds = [...new Set(cases.filter((c) => !c.ctx).map((c) => c.kind))];
        const files: Record<string, string> = {};
        const lines = new Map<Case, string>();
        for (const k of kinds) {
          const { text, lineOf } = fileFor(cases.filter((c) => !c.ctx), k);
          files[REL[k]] = text;
          for (const [c, n] of lineOf) lines.set(c, `${REL[k]}:${n}`);
        }
        const report = await huntFixed([collection(files)]);
        assert.deepEqual(report.errors, []);
        const cited = new Map<string, { rule: string; severity: Severity }[]>();
        for (const f of report.findings) for (const e of f.evidence) {
          const k = `${e.file}:${e.line}`;
          cited.set(k, [...(cited.get(k) ?? []), { rule: f.rule, severity: f.severity }]);
        }
        for (const [c, where] of lines) {
          const mine = (cited.get(where) ?? []).filter((x) => x.rule === det.id);
          if (c.expect) assert.ok(mine.length > 0, `${c.name} (${where}) is evidence of a ${det.id} finding`);
          else if (!c.other) {
            const loud = (cited.get(where) ?? []).filter((x) => x.severity !== 'low' && x.severity !== 'info');
            assert.deepEqual(loud, [], `${c.name} (${where}) raises nothing of medium or higher`);
          }
        }
      });
    });
  }
});
