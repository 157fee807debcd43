// IIS W3C extended log format. The schema is whatever the latest `#Fields:` directive says, and it
// may change in the middle of a file (IIS writes a new header block when logging restarts with new
// fields). Exchange front ends append `&CorrelationID=…;&cafeReqId=…;` to cs-uri-query; it is split
// off so rules see the client's query, and cafeReqId is kept (it joins IIS lines to HttpProxy rows).
import { ERROR_CODES } from '../../core/errors.js';
import type { LogEvent } from '../../core/types.js';
import { ParsedEvent } from '../event.js';
import type { ScanResult } from '../line-scanner.js';
import type { FileParser, Head, LogParser, ParseContext, Sniff } from '../types.js';

/** The default field set of IIS 8.5+ and the one Exchange servers use. */
export const DEFAULT_W3C_FIELDS = [
  'date', 'time', 's-ip', 'cs-method', 'cs-uri-stem', 'cs-uri-query', 's-port', 'cs-username', 'c-ip',
  'cs(User-Agent)', 'cs(Referer)', 'sc-status', 'sc-substatus', 'sc-win32-status', 'time-taken',
];
/** IIS 7.x default: the same without cs(Referer). */
const DEFAULT_W3C_FIELDS_NO_REFERER = DEFAULT_W3C_FIELDS.filter((f) => f !== 'cs(Referer)');

const DATA_LINE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} /;

export function parseW3cTime(date: string, time: string): number {
  // 2021-03-05 03:06:27 — UTC by definition of the W3C format as IIS writes it.
  if (date.length !== 10 || time.length < 8) return NaN;
  const y = +date.slice(0, 4);
  const mo = +date.slice(5, 7);
  const d = +date.slice(8, 10);
  const h = +time.slice(0, 2);
  const mi = +time.slice(3, 5);
  const s = +time.slice(6, 8);
  const ms = time.length > 9 ? Math.round(+('0' + time.slice(8)) * 1000) : 0;
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && s <= 60) || Number.isNaN(y + ms)) return NaN;
  return Date.UTC(y, mo - 1, d, h, mi, s, ms);
}

// Exactly the tail Exchange's front end appends, at the very end of the query; anything else that
// merely contains "CorrelationID=" is the client's own query and stays.
const EXCHANGE_TAIL = /CorrelationID=([^;&]*);&cafeReqId=([^;&]*);(?:&encoding=[^;&]*;)?$/y;

/** Splits Exchange's `&CorrelationID=<x>;&cafeReqId=<id>;&encoding=;` tail off an IIS query. */
export function splitExchangeQueryTail(query: string): { query: string; correlationId?: string; cafeReqId?: string } {
  const at = query.lastIndexOf('CorrelationID=');
  if (at === -1 || (at > 0 && query.charCodeAt(at - 1) !== 38 /* & */)) return { query };
  EXCHANGE_TAIL.lastIndex = at;
  const m = EXCHANGE_TAIL.exec(query);
  if (!m) return { query };
  return { query: query.slice(0, Math.max(0, at - 1)), correlationId: m[1]!, cafeReqId: m[2]! };
}

/** IIS writes spaces in header values as `+`. */
export function decodeIisUserAgent(ua: string): string {
  return ua.replace(/\+/g, ' ');
}

/** Loopback, RFC 1918, CGNAT, link-local and unique-local addresses: a proxy in front of IIS. */
export function isPrivateAddress(ip: string): boolean {
  return /^(10\.|127\.|192\.168\.|169\.254\.|172\.(1[6-9]|2\d|3[01])\.|100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.)/.test(ip) || /^(::1$|f[cd]|fe[89ab])/i.test(ip);
}

/**
 * The client address: `c-ip`, unless that is a private address (a load balancer or reverse proxy)
 * and the request carries X-Forwarded-For — then the right-most public hop, the one the proxy itself
 * saw. The left-most entries are whatever the client claimed and are never trusted.
 */
export function clientAddress(cip: string, forwardedFor: string): string {
  if (!forwardedFor || !isPrivateAddress(cip)) return cip;
  // IIS writes the header's spaces as `+`.
  const hops = forwardedFor.split(/[,\s+]+/).filter((h) => h.length > 0);
  for (let i = hops.length - 1; i >= 0; i--) if (!isPrivateAddress(hops[i]!)) return hops[i]!;
  return hops[hops.length - 1] ?? cip;
}

function sniffW3c(head: Head): Sniff | undefined {
  const lines = head.text.split(/\r?\n/, 50);
  let software = false;
  for (const line of lines) {
    if (line.startsWith('#Software: Microsoft HTTP API')) {
      // HTTP.sys's own error log (HTTPERR): W3C too, but of connections IIS never saw.
      return { parser: 'iis-w3c', source: 'iis', format: 'HTTP.sys error log', unsupported: 'HTTP.sys error log (HTTPERR) is not analysed yet' };
    }
    if (line.startsWith('#Software: Microsoft Internet Information Services')) software = true;
    if (line.startsWith('#Fields:')) {
      const fields = line.slice(8).trim().split(/\s+/);
      if (fields.includes('cs-uri-stem') || (software && fields.includes('date'))) {
        return { parser: 'iis-w3c', source: 'iis', format: 'IIS W3C' };
      }
    }
  }
  // Header-less copies (excerpts, lines pasted from an incident report): accept when data lines
  // have the shape and field count of a default IIS schema.
  const data = lines.filter((l) => l.length > 0 && !l.startsWith('#'));
  if (data.length > 0 && data.every((l) => DATA_LINE.test(l))) {
    const n = data[0]!.split(' ').length;
    if (n === DEFAULT_W3C_FIELDS.length || n === DEFAULT_W3C_FIELDS_NO_REFERER.length) {
      return { parser: 'iis-w3c', source: 'iis', format: 'IIS W3C (no #Fields header; default fields assumed)' };
    }
  }
  return undefined;
}

class W3cFileParser implements FileParser {
  private fields: string[] | undefined;
  private declared = false;
  private sawRecord = false;
  headerRows = 0;
  private schemaIssueLine = 0;
  private idx = { date: -1, time: -1, method: -1, stem: -1, query: -1, status: -1, cip: -1, ua: -1, user: -1, xff: -1 };

  constructor(private readonly ctx: ParseContext) {}

  private setFields(fields: string[]): void {
    this.fields = fields;
    const at = (n: string) => fields.indexOf(n);
    this.idx = {
      date: at('date'),
      time: at('time'),
      method: at('cs-method'),
      stem: at('cs-uri-stem'),
      query: at('cs-uri-query'),
      status: at('sc-status'),
      cip: at('c-ip'),
      ua: at('cs(User-Agent)'),
      user: at('cs-username'),
      xff: fields.findIndex((f) => /^(cs\()?x-forwarded-for\)?$/i.test(f)),
    };
  }

  directive(text: string): void {
    if (text.startsWith('#Fields:')) {
      this.setFields(text.slice(8).trim().split(/\s+/));
      this.declared = true;
    }
  }

  wantsAll(): boolean {
    return !this.sawRecord;
  }

  record(text: string, lineNo: number, offset: number): LogEvent | undefined {
    const parts = text.split(' ');
    if (!this.declared && (!this.fields || parts.length !== this.fields.length)) {
      // No #Fields seen yet: take the default schema with the matching width.
      if (parts.length === DEFAULT_W3C_FIELDS.length) this.setFields(DEFAULT_W3C_FIELDS);
      else if (parts.length === DEFAULT_W3C_FIELDS_NO_REFERER.length) this.setFields(DEFAULT_W3C_FIELDS_NO_REFERER);
    }
    const fields = this.fields;
    if (!fields) {
      this.ctx.issue(ERROR_CODES.schema, 'data line before any #Fields directive and not in a default IIS layout; skipped', lineNo, offset);
      return undefined;
    }
    if (parts.length !== fields.length) {
      this.schemaIssueLine = lineNo;
      this.ctx.issue(ERROR_CODES.schema, `line has ${parts.length} fields, #Fields declares ${fields.length}; skipped`, lineNo, offset);
      return undefined;
    }
    const ix = this.idx;
    const time = ix.date >= 0 && ix.time >= 0 ? parseW3cTime(parts[ix.date]!, parts[ix.time]!) : NaN;
    if (Number.isNaN(time) && ix.date >= 0) {
      this.ctx.issue(ERROR_CODES.parse, `expected "YYYY-MM-DD hh:mm:ss" in the date and time fields, found "${(parts[ix.date] ?? '').slice(0, 40)} ${(parts[ix.time] ?? '').slice(0, 40)}"`, lineNo, offset);
    }
    this.sawRecord = true;
    const v = (i: number) => {
      const x = i >= 0 ? (parts[i] ?? '') : '';
      return x === '-' ? '' : x;
    };
    const tail = splitExchangeQueryTail(v(ix.query));
    const xff = v(ix.xff);
    const ev = new ParsedEvent(
      'iis',
      time,
      fields,
      parts,
      { input: this.ctx.input, file: this.ctx.file, line: lineNo, offset },
      text,
      tail.cafeReqId !== undefined ? { cafeReqId: tail.cafeReqId } : undefined,
      '-',
    );
    ev.web = {
      method: v(ix.method),
      stem: v(ix.stem),
      query: tail.query,
      status: Number(v(ix.status)) || 0,
      clientIp: clientAddress(v(ix.cip), xff),
      userAgent: decodeIisUserAgent(v(ix.ua)),
      user: v(ix.user),
    };
    return ev;
  }

  timeOf(text: string): number {
    const parts = text.split(' ');
    const { date, time } = this.idx;
    return date >= 0 && time >= 0 && parts.length > Math.max(date, time) ? parseW3cTime(parts[date]!, parts[time]!) : NaN;
  }

  end(result: ScanResult): void {
    const last = result.last;
    if (result.endsWithNewline || !last || !this.fields || last.lineNo === this.schemaIssueLine) return;
    const n = last.text.split(' ').length;
    if (n < this.fields.length) {
      this.ctx.issue(ERROR_CODES.truncated, `last line is cut short (${n} of ${this.fields.length} fields): the file was copied while IIS was writing it`, last.lineNo, last.offset);
    }
  }
}

export const iisW3cParser: LogParser = {
  kind: 'lines',
  id: 'iis-w3c',
  description: 'IIS W3C extended logs (u_exYYMMDD.log), schema from each #Fields directive',
  sniff: sniffW3c,
  open: (_sniff, ctx) => new W3cFileParser(ctx),
};
