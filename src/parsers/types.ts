// The parser plug-in seam: a parser recognises its format from the first bytes of a file (never
// from the path alone) and turns lines into LogEvents, keeping line and offset provenance.
import type { ErrorCode } from '../core/errors.js';
import type { LogEvent, SourceKind } from '../core/types.js';
import type { ByteSource } from '../sources/types.js';
import type { ScanResult } from './line-scanner.js';

/** The start of a file as the sniffers see it. */
export interface Head {
  /** Path relative to the input root (a hint only). */
  rel: string;
  /** Up to the first 64 KiB decoded as UTF-8, without a byte order mark. */
  text: string;
  bytes: Buffer;
  /** The whole file fits in `text`. */
  complete: boolean;
}

export interface Sniff {
  /** Id of the parser that claimed the file. */
  parser: string;
  source: SourceKind;
  /** Human name of the format, e.g. "IIS W3C" or "Exchange HttpProxy Logs". */
  format: string;
  /** Parser-specific facts learned while sniffing (log type, default schema…). */
  detail?: Record<string, string>;
  /** Set when the parser knows the format but does not analyse it: the reason it is skipped. */
  unsupported?: string;
}

export interface ParseContext {
  input: number;
  file: string;
  issue(code: ErrorCode, message: string, line?: number, offset?: number): void;
}

/** Parses one file. Lines arrive in order; not every line arrives (see line-scanner). */
export interface FileParser {
  /** A line starting with `#`. */
  directive(text: string, lineNo: number, offset: number): void;
  /** A data line: its event, or undefined for a header row or a line it reported as broken. */
  record(text: string, lineNo: number, offset: number): LogEvent | undefined;
  /** The time of a data line (for coverage), NaN when it has none; reports nothing. */
  timeOf(text: string): number;
  /** True until the parser has seen what it needs from the first lines (header, first record). */
  wantsAll(): boolean;
  /** Header rows seen (not counted as events). */
  readonly headerRows: number;
  /** Called once at the end with the scanner's totals (e.g. to check a truncated last line). */
  end(result: ScanResult): void;
}

/** A parser of line-oriented text logs: the line scanner feeds it. */
export interface LogParser {
  kind: 'lines';
  id: string;
  description: string;
  sniff(head: Head): Sniff | undefined;
  open(sniff: Sniff, ctx: ParseContext): FileParser;
}

export interface RecordScan {
  bytes: number;
  /** Records read (including recovered ones). */
  records: number;
  /** A more precise name of the format once read, e.g. "Windows event log (Security)". */
  format?: string;
}

/** A parser of binary record formats (EVTX): it reads the whole file itself and hands out events. */
export interface RecordParser {
  kind: 'records';
  id: string;
  description: string;
  sniff(head: Head): Sniff | undefined;
  read(src: ByteSource, ctx: ParseContext, onEvent: (ev: LogEvent) => void): Promise<RecordScan>;
}

export type Parser = LogParser | RecordParser;
