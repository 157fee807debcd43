// Writers for the log formats exhunt reads, used by the demo generator, the tests and the
// benchmark. Layouts follow shared/reference/exchange-logs.md (section 2); where a layout is not
// documented (OAB generator, Rps_Cmdlet) the lines are a plausible stand-in and say so.

export const IIS_FIELDS = [
  'date', 'time', 's-ip', 'cs-method', 'cs-uri-stem', 'cs-uri-query', 's-port', 'cs-username', 'c-ip',
  'cs(User-Agent)', 'cs(Referer)', 'sc-status', 'sc-substatus', 'sc-win32-status', 'time-taken',
];

/** HttpProxy #Fields of Exchange 2016 CU22 (15.01.2375), 74 columns. */
export const HTTPPROXY_FIELDS =
  'DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,ProxyAction,TargetServer,TargetServerVersion,RoutingType,RoutingHint,BackEndCookie,ServerLocatorHost,ServerLocatorLatency,RequestBytes,ResponseBytes,TargetOutstandingRequests,AuthModulePerfContext,HttpPipelineLatency,CalculateTargetBackEndLatency,GlsLatencyBreakup,TotalGlsLatency,AccountForestLatencyBreakup,TotalAccountForestLatency,ResourceForestLatencyBreakup,TotalResourceForestLatency,ADLatency,SharedCacheLatencyBreakup,TotalSharedCacheLatency,ActivityContextLifeTime,ModuleToHandlerSwitchingLatency,ClientReqStreamLatency,BackendReqInitLatency,BackendReqStreamLatency,BackendProcessingLatency,BackendRespInitLatency,BackendRespStreamLatency,ClientRespStreamLatency,KerberosAuthHeaderLatency,HandlerCompletionLatency,RequestHandlerLatency,HandlerToModuleSwitchingLatency,ProxyTime,CoreLatency,RoutingLatency,HttpProxyOverhead,TotalRequestTime,RouteRefresherLatency,UrlQuery,BackEndGenericInfo,GenericInfo,GenericErrors,EdgeTraceId,DatabaseGuid,UserADObjectGuid,PartitionEndpointLookupLatency,RoutingStatus'.split(',');

/** Exchange 2013's HttpProxy schema has no UrlHost or RoutingType. */
export const HTTPPROXY_FIELDS_2013 = HTTPPROXY_FIELDS.filter((f) => f !== 'UrlHost' && f !== 'RoutingType');

export const ECP_FIELDS = ['TimeStamp', 'ServerName', 'EventId', 'EventData'];

export const RPS_HTTP_FIELDS =
  'DateTime,StartTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,UrlHost,UrlStem,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,ManagedOrganization,ClientIpAddress,ServerHostName,FrontEndServer,HttpStatus,SubStatus,ErrorCode,Action,CommandId,CommandName,SessionId,ShellId,FailFast,ContributeToFailFast,RequestBytes,ClientInfo,CPU,Memory,ActivityContextLifeTime,TotalTime,UrlQuery,GenericLatency,GenericInfo,GenericErrors'.split(',');

/** Stand-in: the documented Rps_Cmdlet columns (AuthenticatedUser, Cmdlet, Parameters, ClientApplication, ExecutionResult, NonPiiParameters) around a time and request id. */
export const RPS_CMDLET_FIELDS = 'DateTime,RequestId,ServerHostName,ProcessId,AuthenticatedUser,ClientApplication,Cmdlet,Parameters,NonPiiParameters,ExecutionResult,ElapsedTime'.split(',');

export function iisDate(ms: number): { date: string; time: string } {
  const iso = new Date(ms).toISOString();
  return { date: iso.slice(0, 10), time: iso.slice(11, 19) };
}

export function iisHeader(ms: number, fields: readonly string[] = IIS_FIELDS): string {
  const { date, time } = iisDate(ms);
  return `#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: ${date} ${time}\r\n#Fields: ${fields.join(' ')}\r\n`;
}

export interface IisRecord {
  time: number;
  serverIp: string;
  method: string;
  stem: string;
  /** The client's query, without Exchange's tail. */
  query: string;
  port: number;
  user: string;
  clientIp: string;
  /** Plain user agent; spaces become `+` as IIS writes them. */
  userAgent: string;
  referer?: string;
  status: number;
  subStatus?: number;
  win32Status?: number;
  timeTaken: number;
  /** When set, Exchange's front-end tail (`&CorrelationID=<empty>;&cafeReqId=<id>;`) is appended. */
  cafeReqId?: string;
}

const dash = (s: string | undefined) => (s ? s : '-');

export function iisLine(r: IisRecord): string {
  const { date, time } = iisDate(r.time);
  let query = r.query;
  if (r.cafeReqId) query = `${query ? `${query}&` : '&'}CorrelationID=<empty>;&cafeReqId=${r.cafeReqId};`;
  return [
    date, time, r.serverIp, r.method, r.stem, dash(query), String(r.port), dash(r.user), r.clientIp,
    dash(r.userAgent.replace(/ /g, '+')), dash(r.referer), String(r.status), String(r.subStatus ?? 0), String(r.win32Status ?? 0), String(r.timeTaken),
  ].join(' ');
}

function csvValue(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function exchangeHeader(logType: string, version: string, ms: number, fields: readonly string[], plainHeaderLine = false): string {
  const lines = [];
  if (plainHeaderLine) lines.push(fields.join(','));
  lines.push('#Software: Microsoft Exchange Server', `#Version: ${version}`, `#Log-type: ${logType}`, `#Date: ${new Date(ms).toISOString()}`, `#Fields: ${fields.join(',')}`);
  return `${lines.join('\r\n')}\r\n`;
}

/** One CSV row in the given field order; missing fields are empty. */
export function csvRow(fields: readonly string[], rec: Record<string, string | number | undefined>): string {
  return fields.map((f) => csvValue(rec[f] === undefined ? '' : String(rec[f]))).join(',');
}

/** HttpProxy writes commas inside values as spaces ("(KHTML  like Gecko)"). */
export function httpProxyValue(v: string): string {
  return v.replace(/,/g, ' ');
}

export function ecpEventData(parts: { cmd: string; url?: string; time?: number; sid?: string; ex?: string; build?: string }): string {
  return `S:TIME=${parts.time ?? 12};S:SID=${parts.sid ?? ''};S:CMD=${parts.cmd};S:REQID=;S:URL=${parts.url ?? ''};S:REFERRER=;S:EX=${parts.ex ?? ''};S:ACTID=;S:RS=0;S:BLD=${parts.build ?? '15.1.2176.2'};S:TNAME=<null>;S:TID=;S:USID=;S:EDOID=;S:ACID=`;
}

export function ecpServerLine(ms: number, server: string, eventData: string): string {
  return csvRow(ECP_FIELDS, { TimeStamp: new Date(ms).toISOString(), ServerName: server, EventId: 'ECP.Request', EventData: eventData });
}

/** Stand-in OAB generator line (the real layout is undocumented): ISO time, level, message. */
export function oabLine(ms: number, level: string, message: string): string {
  return `${new Date(ms).toISOString()},${level},OABGenerator,${message}`;
}
