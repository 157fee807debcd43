// The pivot: once detection has named the attacker's addresses, every other record of theirs is
// context for the timeline, even when no rule fired on it — what else they requested, which logons
// they made. Records of the attacker's control-panel sessions (msExchEcpCanary) come along: the ECP
// Server log names no client address, so the canary is the only way to tie its commands to one.
// Request ids are not searched for: the records that carry them (IIS, HttpProxy) carry the address
// too, and thirty GUIDs in the prefilter cost more than the whole rest of the pass; each record's
// request id is kept, so correlation still joins the IIS and HttpProxy rows of one request.
import { isoTime } from '../core/clock.js';
import { canaryInLine, requestIdField, requestIdInLine } from '../core/link-keys.js';
import type { ContextEvent, LogEvent, SourceKind } from '../core/types.js';
import { evidenceOf } from './accumulate.js';
import { withoutFirstGroup } from './ioc/ip.js';
import { clip, statusText } from './web.js';
import { EVTX_ADDRESS_FIELDS } from './windows.js';

/** Plain data (crosses to worker threads). */
export interface PivotSpec {
  ips: string[];
  canaries: string[];
  /** Most records kept per file; the rest are only counted. */
  maxPerFile: number;
}

export interface PivotState {
  events: ContextEvent[];
  /** Records that matched, kept or not. */
  total: number;
}

const WEB_SOURCES: ReadonlySet<SourceKind> = new Set(['iis', 'exchange-httpproxy', 'exchange-rps-http']);

function describe(ev: LogEvent): string {
  const web = ev.web;
  if (web) return `${web.method} ${clip(web.stem, 200)}${web.query ? `?${clip(web.query, 200)}` : ''} → ${statusText(web.status)}`;
  const win = ev.win;
  if (win) {
    const d = win.data;
    const who = d['TargetUserName'] ? ` ${d['TargetDomainName'] ? `${d['TargetDomainName']}\\` : ''}${d['TargetUserName']}` : '';
    return clip(`${win.channel} ${win.eventId}${who}${d['LogonType'] ? ` (logon type ${d['LogonType']})` : ''}`, 200);
  }
  const cmd = /S:CMD=([^;]*)/.exec(ev.raw);
  if (cmd) return `ECP command ${clip(cmd[1]!, 300)}`;
  return clip(ev.raw, 200);
}

export class PivotCollector {
  private readonly ips: Set<string>;
  private readonly canaries: Set<string>;
  private events: ContextEvent[] = [];
  private total = 0;
  private perFile = new Map<string, number>();
  private readonly addressNeedles: string[];
  private readonly sessionNeedles: string[];

  constructor(private readonly spec: PivotSpec) {
    this.ips = new Set(spec.ips.map((i) => i.toLowerCase()));
    this.canaries = new Set(spec.canaries);
    this.addressNeedles = [...new Set([...this.ips].map(withoutFirstGroup))].sort();
    this.sessionNeedles = [...new Set([...this.addressNeedles, ...[...this.canaries].map((c) => c.toLowerCase())])].sort();
  }

  /**
   * The literals a record of this source must contain. Sessions are looked for in the ECP Server log
   * only: the IIS and HttpProxy rows of a session carry the attacker's address, and a canary (a
   * needle starting with a letter) among the address needles makes the prefilter three times slower.
   */
  needlesFor(source: SourceKind): string[] {
    return source === 'exchange-ecp-server' ? this.sessionNeedles : this.addressNeedles;
  }

  /** Sources worth reading again: those that can carry an address or a canary. */
  reads(source: SourceKind): boolean {
    return WEB_SOURCES.has(source) || source === 'exchange-ecp-server' || source === 'evtx';
  }

  private why(ev: LogEvent): { reason: string; ip?: string } | undefined {
    const web = ev.web;
    if (web) {
      const ip = web.clientIp.toLowerCase();
      if (this.ips.has(ip)) return { reason: `address ${web.clientIp}`, ip: web.clientIp };
    } else if (ev.win) {
      for (const f of EVTX_ADDRESS_FIELDS) {
        const v = ev.win.data[f];
        if (v && this.ips.has(v.toLowerCase())) return { reason: `address ${v}`, ip: v };
      }
      return undefined;
    }
    const canary = canaryInLine(ev.raw);
    if (canary && this.canaries.has(canary)) return { reason: `ECP session ${canary}` };
    return undefined;
  }

  inspect(ev: LogEvent): void {
    if (!this.reads(ev.source) || Number.isNaN(ev.time)) return;
    const why = this.why(ev);
    if (!why) return;
    this.total++;
    const n = this.perFile.get(ev.prov.file) ?? 0;
    if (n >= this.spec.maxPerFile) return;
    this.perFile.set(ev.prov.file, n + 1);
    const event: ContextEvent = { time: isoTime(ev.time)!, source: ev.source, summary: describe(ev), reason: why.reason, evidence: evidenceOf(ev) };
    if (why.ip) event.ip = why.ip;
    if (ev.web?.userAgent) event.userAgent = clip(ev.web.userAgent, 300);
    const id = requestIdField(ev.field?.('RequestId') ?? ev.fields['RequestId']) ?? requestIdInLine(ev.raw);
    if (id) event.requestId = id;
    const canary = canaryInLine(ev.raw);
    if (canary) event.canary = canary;
    this.events.push(event);
  }

  drain(): PivotState {
    const state = { events: this.events, total: this.total };
    this.events = [];
    this.total = 0;
    this.perFile = new Map();
    return state;
  }
}
