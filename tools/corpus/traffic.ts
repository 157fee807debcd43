// A model of ordinary traffic on an Exchange 2016 front end — phones syncing, Outlook on MAPI and
// EWS, OWA logons, Autodiscover v1 and v2, administrators in ECP and remote PowerShell, health
// probes — rendered both as IIS W3C lines and as HttpProxy rows. It includes the benign look-alikes
// the detectors must stay quiet on (Autodiscover v2 JSON with an e-mail address, a legitimate EWS
// client, RedirSuiteServiceProxy.aspx, admin ECP DDIService calls, /PowerShell sessions).
import { HTTPPROXY_FIELDS, csvRow, httpProxyValue, iisLine } from './formats.js';
import type { Rng } from './rng.js';

export interface Org {
  domain: string;
  netbios: string;
  server: string;
  serverFqdn: string;
  serverIp: string;
  mailHost: string;
  build: [number, number, number, number];
  users: string[];
  admins: string[];
  /** Client networks the users come from. */
  clientNets: string[];
}

export const DEMO_ORG: Org = {
  domain: 'contoso-cu.example',
  netbios: 'CONTOSO',
  server: 'EXCH01',
  serverFqdn: 'exch01.contoso.local',
  serverIp: '10.20.0.15',
  mailHost: 'mail.contoso-cu.example',
  build: [15, 1, 2176, 2],
  users: ['jdoe', 'asmith', 'bkhan', 'mlopez', 'tnguyen', 'rpatel', 'kwong', 'lmartin', 'dcohen', 'efischer', 'gsilva', 'hmueller'],
  admins: ['itadmin'],
  clientNets: ['10.20.1.', '10.20.2.', '172.16.40.', '100.64.12.', '81.2.69.', '94.142.241.'],
};

export type Protocol = 'Owa' | 'Ecp' | 'Ews' | 'Eas' | 'Mapi' | 'Autodiscover' | 'Oab' | 'RpcHttp' | 'PowerShell';

/** One HTTP request, enough to write it to IIS and (when proxied) to HttpProxy. */
export interface Req {
  time: number;
  /** HttpProxy folder; undefined for requests the front end answers itself (static files). */
  protocol?: Protocol;
  method: string;
  stem: string;
  query: string;
  user: string;
  clientIp: string;
  userAgent: string;
  status: number;
  requestId: string;
  anchorMailbox?: string;
  routingHint?: string;
  routingType?: string;
  authType?: string;
  protocolAction?: string;
  targetServer?: string;
  backendStatus?: number;
  referer?: string;
  timeTaken?: number;
}

const UA = {
  iphone: 'Apple-iPhone13C2/1805.208',
  iosMail: 'iOS/14.4 (18D52) dataaccessd/1.0',
  outlookIos: 'Outlook-iOS/723.4027091.prod.iphone (4.2134.0)',
  android: 'Android-Mail/2021.01.31.356754418.Release',
  outlook: 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13801; Pro)',
  macOutlook: 'MacOutlook/16.47.21031401 (Intel Mac OS X 10.15.7)',
  ewsApi: 'ExchangeServicesClient/15.01.2176.002',
  chrome: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.190 Safari/537.36',
  edge: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/89.0.4389.72 Safari/537.36 Edg/89.0.774.45',
  firefox: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:86.0) Gecko/20100101 Firefox/86.0',
  probe: 'AMProbe/Local/ClientAccess',
  winrm: 'Microsoft WinRM Client',
  teams: 'Microsoft.Exchange.Teams/1.0 (Teams-Calendar)',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
};

function clientIp(rng: Rng, org: Org): string {
  return `${rng.pick(org.clientNets)}${1 + rng.int(250)}`;
}

function upn(org: Org, user: string): string {
  return `${user}@${org.domain}`;
}

function mailboxGuid(user: string): string {
  // Stable per user so the same mailbox always has the same GUID.
  let h = 0;
  for (const c of user) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  const hex = (h.toString(16) + 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6').slice(0, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

type Maker = (rng: Rng, org: Org, time: number) => Req;

const makers: (readonly [Maker, number])[] = [
  // ActiveSync from phones.
  [(rng, org, time) => {
    const u = rng.pick(org.users);
    const cmd = rng.weighted([['Sync', 5], ['Ping', 4], ['FolderSync', 1], ['SmartForward', 0.2], ['SendMail', 0.5]] as const);
    const ua = rng.pick([UA.iphone, UA.iosMail, UA.android, UA.outlookIos]);
    return { time, protocol: 'Eas', method: 'POST', stem: '/Microsoft-Server-ActiveSync/default.eas', query: `Cmd=${cmd}&User=${u}&DeviceId=${rng.hex(16).toUpperCase()}&DeviceType=${ua.startsWith('Android') ? 'Android' : 'iPhone'}`, user: `${org.netbios}\\${u}`, clientIp: clientIp(rng, org), userAgent: ua, status: 200, requestId: rng.guid(), anchorMailbox: `Smtp~${upn(org, u)}`, routingHint: 'Smtp-UserAgent', authType: 'Basic', protocolAction: cmd, timeTaken: cmd === 'Ping' ? 480000 + rng.int(60000) : 40 + rng.int(400) };
  }, 30],
  // Outlook over MAPI/HTTP.
  [(rng, org, time) => {
    const u = rng.pick(org.users);
    const nspi = rng.next() < 0.15;
    const guid = mailboxGuid(u);
    return { time, protocol: 'Mapi', method: 'POST', stem: nspi ? '/mapi/nspi/' : '/mapi/emsmdb/', query: `MailboxId=${guid}@${org.domain}`, user: `${org.netbios}\\${u}`, clientIp: clientIp(rng, org), userAgent: rng.pick([UA.outlook, 'MapiHttpClient']), status: 200, requestId: rng.guid(), anchorMailbox: `MailboxGuid~${guid}@${org.domain}`, routingHint: 'MailboxGuidWithDomain', authType: 'Negotiate', protocolAction: nspi ? 'NspiHttp' : 'Execute', timeTaken: 15 + rng.int(900) };
  }, 22],
  // EWS: Outlook for Mac, Teams calendar, a line-of-business app on the EWS managed API.
  [(rng, org, time) => {
    const u = rng.pick(org.users);
    return { time, protocol: 'Ews', method: 'POST', stem: '/EWS/Exchange.asmx', query: '', user: `${org.netbios}\\${u}`, clientIp: clientIp(rng, org), userAgent: rng.pick([UA.macOutlook, UA.teams, UA.ewsApi, UA.outlook]), status: 200, requestId: rng.guid(), anchorMailbox: `Smtp~${upn(org, u)}`, routingHint: 'Smtp-UserAgent', authType: 'Negotiate', protocolAction: rng.pick(['GetFolder', 'FindItem', 'GetItem', 'SyncFolderItems', 'GetUserAvailability']), timeTaken: 20 + rng.int(300) };
  }, 10],
  // OWA in a browser.
  [(rng, org, time) => {
    const u = rng.pick(org.users);
    const ua = rng.pick([UA.chrome, UA.edge, UA.firefox]);
    const ip = clientIp(rng, org);
    const k = rng.weighted([['logon', 2], ['authowa', 1], ['service', 6], ['ev', 3], ['static', 3], ['root', 1], ['redir', 0.3], ['errorfe', 0.2]] as const);
    const base = { time, clientIp: ip, userAgent: ua, requestId: rng.guid(), timeTaken: 10 + rng.int(200) };
    switch (k) {
      case 'logon':
        return { ...base, protocol: 'Owa', method: 'GET', stem: '/owa/auth/logon.aspx', query: `url=https%3a%2f%2f${org.mailHost}%2fowa%2f&reason=0`, user: '', status: 200, anchorMailbox: '', routingHint: '', authType: 'FBA' };
      case 'authowa':
        return { ...base, protocol: 'Owa', method: 'POST', stem: '/owa/auth.owa', query: '', user: '', status: 302, authType: 'FBA' };
      case 'service':
        return { ...base, protocol: 'Owa', method: 'POST', stem: '/owa/service.svc', query: `action=${rng.pick(['GetItem', 'FindItem', 'GetConversationItems', 'GetOwaUserConfiguration', 'SubscribeToNotification'])}&ID=-${1 + rng.int(40)}&AC=1`, user: `${org.netbios}\\${u}`, status: 200, anchorMailbox: `Smtp~${upn(org, u)}`, routingHint: 'OwaEcpUpn', authType: 'FBA' };
      case 'ev':
        return { ...base, protocol: 'Owa', method: 'POST', stem: '/owa/ev.owa2', query: `ns=PendingRequest&ev=PendingNotificationRequest&UA=0&cid=${rng.guid()}&X-OWA-CANARY=${rng.hex(32)}`, user: `${org.netbios}\\${u}`, status: 200, anchorMailbox: `Smtp~${upn(org, u)}`, authType: 'FBA', timeTaken: 30000 + rng.int(30000) };
      case 'static':
        return { ...base, method: 'GET', stem: `/owa/auth/15.1.2176/themes/resources/${rng.pick(['favicon.ico', 'segoeui-regular.ttf', 'owafont_ko.css', 'logon.css', 'lgnbotl.gif', 'sign_in_arrow.png'])}`, query: '', user: '', status: 200, referer: `https://${org.mailHost}/owa/auth/logon.aspx` };
      case 'root':
        return { ...base, protocol: 'Owa', method: 'GET', stem: '/owa/', query: '', user: '', status: 302 };
      case 'redir':
        // The genuine page (note: Service, not Server).
        return { ...base, protocol: 'Owa', method: 'GET', stem: '/owa/auth/RedirSuiteServiceProxy.aspx', query: '', user: `${org.netbios}\\${u}`, status: 200, authType: 'FBA' };
      default:
        return { ...base, protocol: 'Owa', method: 'GET', stem: '/owa/auth/errorFE.aspx', query: 'httpCode=500', user: '', status: 200 };
    }
  }, 16],
  // Autodiscover: Outlook's XML POST, v2 JSON with an address in Email=, and the v1.0 path form.
  [(rng, org, time) => {
    const u = rng.pick(org.users);
    const k = rng.weighted([['xml', 3], ['json', 4], ['v1', 2]] as const);
    const base = { time, protocol: 'Autodiscover' as const, clientIp: clientIp(rng, org), requestId: rng.guid(), status: 200, timeTaken: 8 + rng.int(120) };
    if (k === 'xml') return { ...base, method: 'POST', stem: '/Autodiscover/Autodiscover.xml', query: '', user: `${org.netbios}\\${u}`, userAgent: UA.outlook, anchorMailbox: `Smtp~${upn(org, u)}`, authType: 'Negotiate' };
    if (k === 'json') return { ...base, method: 'GET', stem: '/autodiscover/autodiscover.json', query: `Email=${u}%40${org.domain}&Protocol=${rng.pick(['ActiveSync', 'Ews', 'Rest', 'AutodiscoverV1'])}&RedirectCount=1`, user: '', userAgent: rng.pick([UA.outlookIos, UA.outlook]), anchorMailbox: '' };
    return { ...base, method: 'GET', stem: `/autodiscover/autodiscover.json/v1.0/${upn(org, u)}`, query: 'Protocol=AutodiscoverV1&RedirectCount=1', user: '', userAgent: UA.outlookIos };
  }, 9],
  // Offline address book and Outlook Anywhere.
  [(rng, org, time) => {
    const u = rng.pick(org.users);
    if (rng.next() < 0.4) return { time, protocol: 'Oab', method: 'GET', stem: `/OAB/${mailboxGuid('oab')}/oab.xml`, query: '', user: `${org.netbios}\\${u}`, clientIp: clientIp(rng, org), userAgent: UA.outlook, status: 200, requestId: rng.guid(), authType: 'Negotiate' };
    return { time, protocol: 'RpcHttp', method: 'RPC_IN_DATA', stem: '/rpc/rpcproxy.dll', query: `${org.mailHost}:6001`, user: `${org.netbios}\\${u}`, clientIp: clientIp(rng, org), userAgent: 'MSRPC', status: 200, requestId: rng.guid(), authType: 'Negotiate', timeTaken: 1000 + rng.int(60000) };
  }, 4],
  // An administrator in ECP and in remote PowerShell.
  [(rng, org, time) => {
    const a = rng.pick(org.admins);
    const base = { time, clientIp: '10.20.1.10', requestId: rng.guid(), user: `${org.netbios}\\${a}`, status: 200, authType: 'FBA', anchorMailbox: `Smtp~${upn(org, a)}`, timeTaken: 30 + rng.int(400) };
    const k = rng.weighted([['ecp', 3], ['ddi', 3], ['ps', 2], ['timeout', 0.3]] as const);
    if (k === 'ecp') return { ...base, protocol: 'Ecp', method: 'GET', stem: '/ecp/', query: '', userAgent: UA.edge };
    if (k === 'ddi') return { ...base, protocol: 'Ecp', method: 'POST', stem: '/ecp/DDI/DDIService.svc/GetList', query: `schema=${rng.pick(['MailboxService', 'OABVirtualDirectory', 'OWAVirtualDirectory', 'DistributionGroup'])}&msExchEcpCanary=${rng.hex(20)}`, userAgent: UA.edge };
    if (k === 'timeout') return { ...base, protocol: 'Ecp', method: 'GET', stem: '/ecp/auth/TimeoutLogout.aspx', query: 'ru=%2fecp%2f', userAgent: UA.edge };
    return { ...base, protocol: 'PowerShell', method: 'POST', stem: '/PowerShell', query: `serializationLevel=Full;ExchClientVer=${org.build.join('.')};clientApplication=ManagementShell;TargetServer=;PSVersion=5.1.14393.4530`, userAgent: UA.winrm, authType: 'Kerberos', anchorMailbox: `ServerVersion~Version ${org.build[0]}.${org.build[1]} (Build ${org.build[2]}.${org.build[3]})` };
  }, 1.5],
  // Exchange's own health probes (authenticated HealthMailbox users) and the odd crawler.
  [(rng, org, time) => {
    if (rng.next() < 0.8) {
      const hm = `HealthMailbox${rng.hex(7)}`;
      const ews = rng.next() < 0.5;
      return { time, protocol: ews ? 'Ews' : 'Owa', method: ews ? 'POST' : 'GET', stem: ews ? '/EWS/Exchange.asmx' : '/owa/healthcheck.htm', query: '', user: ews ? `${org.netbios}\\${hm}` : '', clientIp: org.serverIp, userAgent: UA.probe, status: 200, requestId: rng.guid(), anchorMailbox: ews ? `Smtp~${hm}@${org.domain}` : '', authType: ews ? 'Negotiate' : '', timeTaken: 5 + rng.int(50) };
    }
    return { time, method: 'GET', stem: rng.pick(['/robots.txt', '/', '/favicon.ico']), query: '', user: '', clientIp: `66.249.66.${1 + rng.int(200)}`, userAgent: UA.googlebot, status: rng.pick([200, 404]), requestId: rng.guid(), timeTaken: 2 };
  }, 3],
];

/** One ordinary request at `time`. */
export function benignRequest(rng: Rng, org: Org, time: number): Req {
  return rng.weighted(makers)(rng, org, time);
}

export function reqToIis(r: Req, org: Org): string {
  return iisLine({
    time: r.time,
    serverIp: org.serverIp,
    method: r.method,
    stem: r.stem,
    query: r.query,
    port: 443,
    user: r.user,
    clientIp: r.clientIp,
    userAgent: r.userAgent,
    referer: r.referer,
    status: r.status,
    timeTaken: r.timeTaken ?? 20,
    // Requests Exchange proxies carry its tail; static files served by IIS do not.
    cafeReqId: r.protocol ? r.requestId : undefined,
  });
}

export function reqToHttpProxy(r: Req, org: Org, fields: readonly string[] = HTTPPROXY_FIELDS): string | undefined {
  if (!r.protocol) return undefined;
  const authenticated = r.user !== '';
  const upnUser = authenticated && r.user.includes('\\') ? `${r.user.split('\\')[1]}@${org.domain}` : '';
  const [maj, min, b, rev] = org.build;
  const rec: Record<string, string | number> = {
    DateTime: new Date(r.time).toISOString(),
    RequestId: r.requestId,
    MajorVersion: maj,
    MinorVersion: min,
    BuildVersion: b,
    RevisionVersion: rev,
    ClientRequestId: '',
    Protocol: r.protocol,
    UrlHost: org.mailHost,
    UrlStem: r.stem,
    ProtocolAction: r.protocolAction ?? '',
    AuthenticationType: r.authType ?? '',
    IsAuthenticated: authenticated ? 'true' : 'false',
    AuthenticatedUser: upnUser,
    Organization: '',
    AnchorMailbox: r.anchorMailbox ?? '',
    UserAgent: httpProxyValue(r.userAgent),
    ClientIpAddress: r.clientIp,
    ServerHostName: org.server,
    HttpStatus: r.status,
    BackEndStatus: r.backendStatus ?? r.status,
    ErrorCode: '',
    Method: r.method,
    ProxyAction: 'Proxy',
    TargetServer: r.targetServer ?? org.serverFqdn,
    TargetServerVersion: `${maj}.${String(min).padStart(2, '0')}.${String(b).padStart(4, '0')}.${String(rev).padStart(3, '0')}`,
    RoutingType: r.routingType ?? 'IntraForest',
    RoutingHint: r.routingHint ?? '',
    BackEndCookie: '',
    ServerLocatorHost: org.serverFqdn,
    ServerLocatorLatency: 1,
    RequestBytes: 300 + (r.time % 900),
    ResponseBytes: 500 + (r.time % 4000),
    TargetOutstandingRequests: 0,
    AuthModulePerfContext: '',
    HttpPipelineLatency: 2,
    CalculateTargetBackEndLatency: 1,
    TotalGlsLatency: 0,
    TotalAccountForestLatency: 0,
    TotalResourceForestLatency: 0,
    ADLatency: 1,
    TotalSharedCacheLatency: 0,
    ActivityContextLifeTime: r.timeTaken ?? 20,
    ModuleToHandlerSwitchingLatency: 0,
    ClientReqStreamLatency: 0,
    BackendReqInitLatency: 1,
    BackendReqStreamLatency: 0,
    BackendProcessingLatency: Math.max(1, (r.timeTaken ?? 20) - 5),
    BackendRespInitLatency: 1,
    BackendRespStreamLatency: 0,
    ClientRespStreamLatency: 0,
    KerberosAuthHeaderLatency: 0,
    HandlerCompletionLatency: 0,
    RequestHandlerLatency: 2,
    HandlerToModuleSwitchingLatency: 0,
    ProxyTime: 3,
    CoreLatency: 4,
    RoutingLatency: 1,
    HttpProxyOverhead: 5,
    TotalRequestTime: r.timeTaken ?? 20,
    RouteRefresherLatency: '',
    UrlQuery: r.query ? `?${r.query}` : '',
    BackEndGenericInfo: '',
    GenericInfo: `BeginRequest=${new Date(r.time).toISOString()};CorrelationID=<empty>;ProxyState-Run=None;FEAuth=BEVersion-${maj}${min}${b};`,
    GenericErrors: '',
    EdgeTraceId: '',
    DatabaseGuid: '',
    UserADObjectGuid: '',
    PartitionEndpointLookupLatency: '',
    RoutingStatus: '',
  };
  return csvRow(fields, rec);
}
