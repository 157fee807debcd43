// Writes a triage collection laid out as copied off a server (C/Program Files/…/Logging,
// C/inetpub/logs/LogFiles/W3SVC1), one day at a time, merging ordinary traffic with the items of
// an intrusion scenario. Output is a pure function of the options (seeded), so the demo collection
// and benchmark corpora are reproducible byte for byte.
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  ECP_FIELDS, HTTPPROXY_FIELDS, RPS_CMDLET_FIELDS, RPS_HTTP_FIELDS, csvRow, ecpEventData, ecpServerLine, exchangeHeader, iisHeader, oabLine,
} from './formats.js';
import type { Item } from './intrusion.js';
import { Rng } from './rng.js';
import { type Org, type Req, benignRequest, reqToHttpProxy, reqToIis } from './traffic.js';

export const EXCHANGE_DIR = 'C/Program Files/Microsoft/Exchange Server/V15';
export const IIS_DIR = 'C/inetpub/logs/LogFiles/W3SVC1';

export interface CollectionOptions {
  root: string;
  org: Org;
  /** First day, YYYY-MM-DD (UTC). */
  start: string;
  days: number;
  requestsPerDay: number;
  seed: number;
  items?: readonly Item[];
  /** Exchange version string in the log headers. */
  version?: string;
  /** Delete `root` first. */
  clean?: boolean;
}

const DAY = 86_400_000;

/** Buffers lines per file and appends in large writes, so memory stays bounded for big corpora. */
class FileSinks {
  private readonly pending = new Map<string, { parts: string[]; size: number }>();
  private readonly created = new Set<string>();
  bytes = 0;
  files = 0;

  constructor(private readonly root: string) {}

  add(rel: string, header: () => string, line: string): void {
    let p = this.pending.get(rel);
    if (!p) {
      p = { parts: [], size: 0 };
      this.pending.set(rel, p);
      if (!this.created.has(rel)) {
        this.created.add(rel);
        this.files++;
        p.parts.push(header());
      }
    }
    p.parts.push(line, '\r\n');
    p.size += line.length + 2;
    if (p.size > 8 * 1024 * 1024) this.flushOne(rel);
  }

  private flushOne(rel: string): void {
    const p = this.pending.get(rel);
    if (!p || p.parts.length === 0) return;
    const abs = path.join(this.root, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    const text = p.parts.join('');
    appendFileSync(abs, text);
    this.bytes += Buffer.byteLength(text);
    p.parts = [];
    p.size = 0;
  }

  flush(): void {
    for (const rel of this.pending.keys()) this.flushOne(rel);
    this.pending.clear();
  }
}

function dayTimes(rng: Rng, dayStart: number, n: number): number[] {
  // More traffic in working hours (07–18 UTC) than at night.
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const busy = rng.next() < 0.75;
    const hour = busy ? 7 + rng.int(11) : rng.int(24);
    out.push(dayStart + hour * 3_600_000 + rng.int(3_600_000));
  }
  return out.sort((a, b) => a - b);
}

function stamp(ms: number, withHour: boolean): string {
  const iso = new Date(ms).toISOString();
  return iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + (withHour ? '00' : '');
}

export function writeCollection(opts: CollectionOptions): { files: number; bytes: number } {
  if (opts.clean) rmSync(opts.root, { recursive: true, force: true });
  mkdirSync(opts.root, { recursive: true });
  const rng = new Rng(opts.seed);
  const org = opts.org;
  const version = opts.version ?? '15.01.2176.002';
  const sinks = new FileSinks(opts.root);
  const items = [...(opts.items ?? [])].sort((a, b) => a.time - b.time);
  let next = 0;
  const start = Date.parse(`${opts.start}T00:00:00Z`);
  for (let d = 0; d < opts.days; d++) {
    const dayStart = start + d * DAY;
    const day = stamp(dayStart, false);
    const iisRel = `${IIS_DIR}/u_ex${day.slice(2)}.log`;
    const log = (sub: string) => `${EXCHANGE_DIR}/Logging/${sub}`;
    const writeReq = (r: Req) => {
      sinks.add(iisRel, () => iisHeader(dayStart), reqToIis(r, org));
      const row = reqToHttpProxy(r, org);
      if (row && r.protocol) {
        sinks.add(log(`HttpProxy/${r.protocol}/HttpProxy_${stamp(dayStart, true)}-1.LOG`), () => exchangeHeader('HttpProxy Logs', version, dayStart, HTTPPROXY_FIELDS, true), row);
        if (r.protocol === 'PowerShell') {
          sinks.add(
            log(`CmdletInfra/Powershell-Proxy/Http/Rps_Http_${stamp(dayStart, true)}-1.LOG`),
            () => exchangeHeader('Rps Http Logs', version, dayStart, RPS_HTTP_FIELDS),
            csvRow(RPS_HTTP_FIELDS, {
              DateTime: new Date(r.time + 40).toISOString(), StartTime: new Date(r.time).toISOString(), RequestId: r.requestId, UrlHost: org.serverFqdn, UrlStem: '/PowerShell',
              AuthenticationType: 'Kerberos', IsAuthenticated: 'true', AuthenticatedUser: r.user, ClientIpAddress: r.clientIp, ServerHostName: org.server, FrontEndServer: org.server,
              HttpStatus: 200, Action: 'Command', CommandName: 'Get-Mailbox', ClientInfo: 'Microsoft WinRM Client', UrlQuery: `?${r.query}`,
            }),
          );
          sinks.add(
            log(`CmdletInfra/Powershell-Proxy/Cmdlet/Rps_Cmdlet_${stamp(dayStart, true)}-1.LOG`),
            () => exchangeHeader('Rps Cmdlet Logs', version, dayStart, RPS_CMDLET_FIELDS),
            csvRow(RPS_CMDLET_FIELDS, {
              DateTime: new Date(r.time + 60).toISOString(), RequestId: r.requestId, ServerHostName: org.server, ProcessId: 7312, AuthenticatedUser: r.user, ClientApplication: 'ManagementShell',
              Cmdlet: rng.pick(['Get-Mailbox', 'Get-ExchangeServer', 'Get-MailboxDatabase', 'Set-Mailbox']), Parameters: `-ResultSize 'Unlimited'`, ExecutionResult: 'Success', ElapsedTime: 41,
            }),
          );
        }
      }
    };
    const writeItem = (it: Item) => {
      if ('req' in it) {
        writeReq(it.req);
        return;
      }
      if (it.sink === 'ecp') sinks.add(log(`ECP/Server/ECPServer${day}-1.LOG`), () => exchangeHeader('ECP Server Log', '15.0.0.0', dayStart, ECP_FIELDS), it.line);
      else if (it.sink === 'oab') sinks.add(log(`OABGeneratorLog/OABGenerator${day}-1.LOG`), () => '', it.line);
      else if (it.sink === 'rps-http') sinks.add(log(`CmdletInfra/Powershell-Proxy/Http/Rps_Http_${stamp(dayStart, true)}-1.LOG`), () => exchangeHeader('Rps Http Logs', version, dayStart, RPS_HTTP_FIELDS), it.line);
      else sinks.add(log(`CmdletInfra/Powershell-Proxy/Cmdlet/Rps_Cmdlet_${stamp(dayStart, true)}-1.LOG`), () => exchangeHeader('Rps Cmdlet Logs', version, dayStart, RPS_CMDLET_FIELDS), it.line);
    };

    // Ordinary ECP administration and OAB generation for the day, including the look-alikes:
    // a legitimate Set-OwaVirtualDirectory with an https ExternalUrl, a benign failed download
    // inside ClientAccess\OAB\Temp.
    const daily: Item[] = [];
    for (let i = 0; i < 6; i++) {
      const t = dayStart + (8 + rng.int(9)) * 3_600_000 + rng.int(3_600_000);
      const cmd = rng.pick(['Get-Mailbox.ResultSize=500', 'Pipeline.1|Get-MailboxRegionalConfiguration', 'Get-OwaVirtualDirectory.ADPropertiesOnly=$true.Identity=$null', 'Get-InboxRule']);
      daily.push({ time: t, sink: 'ecp', line: ecpServerLine(t, org.server, ecpEventData({ cmd, url: `/ecp/DDI/DDIService.svc/GetList?msExchEcpCanary=${rng.hex(20)}&schema=MailboxService` })) });
    }
    if (d === 1) {
      const t = dayStart + 10 * 3_600_000 + 1234;
      daily.push({ time: t, sink: 'ecp', line: ecpServerLine(t, org.server, ecpEventData({ cmd: `Set-OwaVirtualDirectory.ExternalUrl='https://${org.mailHost}/owa'.Identity='${org.server}\\owa (Default Web Site)'`, url: `/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=${rng.hex(20)}&schema=OWAVirtualDirectory` })) });
    }
    for (let h = 1; h < 24; h += 8) {
      const t = dayStart + h * 3_600_000 + rng.int(600_000);
      const tmp = `C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB\\Temp\\${rng.guid()}.tmp`;
      daily.push({ time: t, sink: 'oab', line: oabLine(t, 'Info', `Download completed for offline address book '\\Default Offline Address Book'; file '${tmp}' moved to the OAB folder.`) });
      if (h === 9 && d % 3 === 0) daily.push({ time: t + 5000, sink: 'oab', line: oabLine(t + 5000, 'Warning', `Download failed and temporary file '${tmp}' needs to be removed.`) });
    }

    const dayEnd = dayStart + DAY;
    const todays: Item[] = [...daily];
    while (next < items.length && items[next]!.time < dayEnd) todays.push(items[next++]!);
    todays.sort((a, b) => a.time - b.time);
    let k = 0;
    for (const t of dayTimes(rng, dayStart, opts.requestsPerDay)) {
      while (k < todays.length && todays[k]!.time <= t) writeItem(todays[k++]!);
      writeReq(benignRequest(rng, org, t));
    }
    while (k < todays.length) writeItem(todays[k++]!);
    sinks.flush();
  }
  return { files: sinks.files, bytes: sinks.bytes };
}

export function writeBinary(root: string, rel: string, data: Buffer): void {
  const abs = path.join(root, rel);
  mkdirSync(path.dirname(abs), { recursive: true });
  writeFileSync(abs, data);
}

export function writeText(root: string, rel: string, text: string): void {
  const abs = path.join(root, rel);
  mkdirSync(path.dirname(abs), { recursive: true });
  writeFileSync(abs, text);
}
