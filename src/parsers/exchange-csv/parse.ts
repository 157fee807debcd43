// Exchange Server's own CSV logs (HttpProxy of every protocol, ECP Server and Activity, OAB
// generator, Rps_Http, Rps_Cmdlet). Fields are always taken by header name — from the latest
// `#Fields:` directive, else from the optional plain CSV header line some files start with, else
// from a PowerShell Export-Csv header (Test-ProxyLogon's output) — because the field list drifts
// between builds (Exchange 2013 HttpProxy logs lack UrlHost and RoutingType).
import { ERROR_CODES } from '../../core/errors.js';
import type { LogEvent, SourceKind, WebRequest } from '../../core/types.js';
import { ParsedEvent } from '../event.js';
import type { ScanResult } from '../line-scanner.js';
import type { FileParser, Head, LogParser, ParseContext, Sniff } from '../types.js';
import { splitCsvLine } from '../../core/csv.js';

interface LogTypeRule {
  /** Matches the `#Log-type:` value. */
  logType: RegExp;
  source: SourceKind;
}

// Log-type names are the ones the files declare; the Rps names are matched loosely because only the
// folder and file names (CmdletInfra\Powershell-Proxy\{Http,Cmdlet}, Rps_Http_*, Rps_Cmdlet_*) are
// documented.
const LOG_TYPES: LogTypeRule[] = [
  { logType: /^HttpProxy/i, source: 'exchange-httpproxy' },
  { logType: /^ECP Server/i, source: 'exchange-ecp-server' },
  { logType: /^ECP Activity/i, source: 'exchange-ecp-activity' },
  { logType: /OAB|Offline Address Book/i, source: 'exchange-oab-generator' },
  { logType: /Rps.*Http|Http.*Rps|PowerShell.*Http/i, source: 'exchange-rps-http' },
  { logType: /Rps.*Cmdlet|Cmdlet.*Rps|PowerShell.*Cmdlet/i, source: 'exchange-rps-cmdlet' },
];

const ECP_DEFAULT_FIELDS = ['TimeStamp', 'ServerName', 'EventId', 'EventData'];
const TIME_FIELDS = ['DateTime', 'TimeStamp', 'date-time', 'Timestamp', 'DateTimeUtc'];
const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?/;

function sourceFromFields(fields: readonly string[], rel: string): SourceKind | undefined {
  const has = (f: string) => fields.includes(f);
  if (has('ClientInfo') && (has('CommandName') || has('CommandId'))) return 'exchange-rps-http';
  if (has('AnchorMailbox') && has('UrlStem')) return 'exchange-httpproxy';
  if (has('Cmdlet') && has('Parameters')) return 'exchange-rps-cmdlet';
  if (has('EventData') && has('EventId')) return /\/ECP\/Activity\//i.test(`/${rel}`) ? 'exchange-ecp-activity' : 'exchange-ecp-server';
  return undefined;
}

const FORMAT_NAMES: Record<string, string> = {
  'exchange-httpproxy': 'Exchange HttpProxy log',
  'exchange-ecp-server': 'Exchange ECP Server log',
  'exchange-ecp-activity': 'Exchange ECP Activity log',
  'exchange-oab-generator': 'Exchange OAB Generator log',
  'exchange-rps-http': 'Exchange Rps_Http log',
  'exchange-rps-cmdlet': 'Exchange Rps_Cmdlet log',
};

function csvHeader(line: string): string[] | undefined {
  const values = splitCsvLine(line).values.map((v) => v.trim());
  if (values.length < 2 || values.some((v) => !/^[A-Za-z][\w-]*$/.test(v))) return undefined;
  return values;
}

function sniffExchange(head: Head): Sniff | undefined {
  const lines = head.text.split(/\r?\n/, 60);
  let exchange = false;
  let logType: string | undefined;
  let fields: string[] | undefined;
  let plainHeader: string[] | undefined;
  let sawData = false;
  for (const line of lines) {
    if (line.startsWith('#Software: Microsoft Exchange')) exchange = true;
    else if (line.startsWith('#Log-type:')) logType = line.slice(10).trim();
    else if (line.startsWith('#Fields:')) fields = line.slice(8).trim().split(',').map((f) => f.trim());
    else if (line.startsWith('#')) continue;
    else if (!sawData && !plainHeader && line.length > 0) {
      plainHeader = csvHeader(line);
      sawData = !plainHeader;
    }
  }
  const schema = fields ?? plainHeader;
  let source: SourceKind | undefined;
  if (logType) source = LOG_TYPES.find((r) => r.logType.test(logType!))?.source;
  // The OAB generator log's layout is undocumented; its folder name is the surest sign.
  if (!source && /(^|\/)OABGeneratorLog\//i.test(head.rel) && ISO_TIME.test(head.text)) source = 'exchange-oab-generator';
  if (!source && schema) source = sourceFromFields(schema, head.rel);
  if (!source) {
    if (exchange && logType) {
      return { parser: 'exchange-csv', source: 'exchange-httpproxy', format: `Exchange ${logType}`, unsupported: `Exchange log type "${logType}" is not analysed yet` };
    }
    return undefined;
  }
  const detail: Record<string, string> = {};
  if (logType) detail['logType'] = logType;
  if (!schema && source === 'exchange-ecp-server') detail['assumedFields'] = ECP_DEFAULT_FIELDS.join(',');
  return { parser: 'exchange-csv', source, format: FORMAT_NAMES[source] ?? 'Exchange log', detail };
}

function firstIp(v: string): string {
  return v.trim().split(/[\s,]+/)[0] ?? '';
}

type WebBuilder = (values: readonly string[]) => WebRequest;

/** Builds the HTTP view of a row by column position, resolved once per schema. */
function webBuilder(source: SourceKind, fields: readonly string[]): WebBuilder | undefined {
  const at = (...names: string[]) => {
    for (const n of names) {
      const i = fields.indexOf(n);
      if (i >= 0) return i;
    }
    return -1;
  };
  let ua: number;
  if (source === 'exchange-httpproxy') ua = at('UserAgent');
  else if (source === 'exchange-rps-http') ua = at('ClientInfo');
  else return undefined;
  const method = at('Method');
  const stem = at('UrlStem');
  const query = at('UrlQuery');
  const status = at('HttpStatus');
  const ip = at('ClientIpAddress', 'ClientIPAddress');
  const user = at('AuthenticatedUser');
  const get = (v: readonly string[], i: number) => (i >= 0 ? (v[i] ?? '') : '');
  return (v) => {
    const q = get(v, query);
    return {
      method: get(v, method),
      stem: get(v, stem),
      query: q.startsWith('?') ? q.slice(1) : q,
      status: Number(get(v, status)) || 0,
      clientIp: firstIp(get(v, ip)),
      userAgent: get(v, ua),
      user: get(v, user),
    };
  };
}

class ExchangeCsvFileParser implements FileParser {
  private fields: string[] | undefined;
  private declared = false;
  private timeIndex = -1;
  private sawRecord = false;
  private linesSeen = 0;
  headerRows = 0;

  constructor(
    private readonly source: SourceKind,
    private readonly ctx: ParseContext,
    assumed: string | undefined,
  ) {
    if (assumed) this.setFields(assumed.split(','));
  }

  private web?: WebBuilder;

  private setFields(fields: string[]): void {
    this.fields = fields;
    this.web = webBuilder(this.source, fields);
    this.timeIndex = fields.findIndex((f) => TIME_FIELDS.includes(f));
    if (this.timeIndex < 0) this.timeIndex = 0;
  }

  directive(text: string): void {
    if (text.startsWith('#Fields:')) {
      this.setFields(text.slice(8).trim().split(',').map((f) => f.trim()));
      this.declared = true;
    }
  }

  wantsAll(): boolean {
    return !this.sawRecord;
  }

  private lineTime(values: string[]): number {
    const v = values[this.timeIndex];
    if (v) {
      const t = Date.parse(v);
      if (!Number.isNaN(t)) return t;
    }
    return NaN;
  }

  timeOf(text: string): number {
    if (!this.fields) {
      const m = ISO_TIME.exec(text);
      return m ? Date.parse(m[0]) : NaN;
    }
    return this.lineTime(splitCsvLine(text).values);
  }

  record(text: string, lineNo: number, offset: number): LogEvent | undefined {
    this.linesSeen++;
    const prov = { input: this.ctx.input, file: this.ctx.file, line: lineNo, offset };
    if (!this.fields) {
      // Before any schema: the first line may be the plain CSV header (or a PowerShell export's).
      if (this.linesSeen === 1 || text.startsWith('"')) {
        const header = csvHeader(text);
        if (header) {
          this.setFields(header);
          this.headerRows++;
          return undefined;
        }
      }
      if (this.source === 'exchange-oab-generator') {
        // The OAB generator log layout is not documented: keep the line as one field.
        const m = ISO_TIME.exec(text);
        this.sawRecord = true;
        return new ParsedEvent(this.source, m ? Date.parse(m[0]) : NaN, ['Line'], [text], prov, text);
      }
      this.ctx.issue(ERROR_CODES.schema, 'data line before any #Fields directive or header line; skipped', lineNo, offset);
      return undefined;
    }
    const fields = this.fields;
    const { values, unterminated } = splitCsvLine(text);
    if (values[0] === fields[0] && values.length === fields.length) {
      // A repeated plain header row (written again when the service restarts).
      this.headerRows++;
      return undefined;
    }
    if (unterminated) {
      this.ctx.issue(ERROR_CODES.parse, 'a quoted field is not closed at the end of the line (cut or corrupt record)', lineNo, offset);
    } else if (this.declared && values.length !== fields.length) {
      this.ctx.issue(ERROR_CODES.schema, `line has ${values.length} fields, #Fields declares ${fields.length}; read by position as far as it goes`, lineNo, offset);
    }
    const time = this.lineTime(values);
    if (Number.isNaN(time)) {
      this.ctx.issue(ERROR_CODES.parse, `expected an ISO-8601 time in field "${fields[this.timeIndex]}", found "${(values[this.timeIndex] ?? '').slice(0, 40)}"`, lineNo, offset);
    } else {
      this.sawRecord = true;
    }
    const ev = new ParsedEvent(this.source, time, fields, values, prov, text);
    const web = this.web?.(values);
    if (web) ev.web = web;
    return ev;
  }

  end(result: ScanResult): void {
    const last = result.last;
    if (result.endsWithNewline || !last || !this.fields || !this.declared) return;
    const { values, unterminated } = splitCsvLine(last.text);
    if (unterminated || values.length < this.fields.length) {
      this.ctx.issue(ERROR_CODES.truncated, `last line is cut short (${values.length} of ${this.fields.length} fields): the file was copied while Exchange was writing it`, last.lineNo, last.offset);
    }
  }
}

export const exchangeCsvParser: LogParser = {
  kind: 'lines',
  id: 'exchange-csv',
  description: 'Exchange CSV logs: HttpProxy, ECP Server/Activity, OAB generator, Rps_Http, Rps_Cmdlet (fields by header name)',
  sniff: sniffExchange,
  open: (sniff, ctx) => new ExchangeCsvFileParser(sniff.source, ctx, sniff.detail?.['assumedFields']),
};
