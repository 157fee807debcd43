// One file through the pipeline: open (file or zip entry) → sniff the format from its first bytes →
// stream its lines through the parser, prefiltered by the detectors' needles → detect. Everything
// that goes wrong with the file becomes an entry in its result; nothing here throws.
import path from 'node:path';
import { isoTime } from '../core/clock.js';
import { ERROR_CODES, type ErrorCode, errorMessage } from '../core/errors.js';
import type { FileCoverage, ReportError, Skipped } from '../core/types.js';
import type { DetectionEngine } from '../detect/engine.js';
import { compileNeedles, scanLines } from '../parsers/line-scanner.js';
import { identify, parserById } from '../parsers/registry.js';
import type { Head, ParseContext } from '../parsers/types.js';
import { readHead, withPrefix } from '../sources/bytes.js';
import { openSource } from '../sources/open.js';
import type { ByteSource, FileRef, Limits } from '../sources/types.js';
import type { ZipReaderCache } from '../sources/zip.js';

const HEAD_BYTES = 64 * 1024;
/** A file named *.log is expected to be a log: when it is not readable as one, that is an error, not a skip. */
const LOG_EXTENSION = '.log';

export interface ScanEnv {
  engine: DetectionEngine;
  limits: Limits;
  zips: ZipReaderCache;
  chunkBytes?: number;
  /** Leave out records recovered from slack space (--no-recovered). */
  skipRecovered?: boolean;
  /** Reused for every file this thread reads (files are read one at a time). */
  buffers?: [Buffer, Buffer];
}

export interface FileResult {
  input: number;
  rel: string;
  coverage?: FileCoverage;
  errors: ReportError[];
  skipped?: Skipped;
  bytes: number;
  lines: number;
  parsedLines: number;
  /** A log format exhunt recognised, read or not (message tracking): not for the file sweep. */
  recognised?: boolean;
}

/** Problems in a binary file are listed one by one up to this many per kind. */
const ISSUES_PER_CODE_RECORDS = 20;

interface Issue {
  code: ErrorCode;
  message: string;
  line?: number;
  offset?: number;
}

/**
 * A file's problems, bounded: per error code, the first `keep` are listed with their place and the
 * rest only counted (a log with a million bad lines gives one entry, not a million).
 */
class IssueTally {
  private readonly byCode = new Map<ErrorCode, { listed: Issue[]; count: number }>();
  total = 0;

  constructor(private readonly keep: number) {}

  add(code: ErrorCode, message: string, line?: number, offset?: number): void {
    this.total++;
    let t = this.byCode.get(code);
    if (!t) {
      t = { listed: [], count: 0 };
      this.byCode.set(code, t);
    }
    t.count++;
    if (t.listed.length < this.keep) t.listed.push({ code, message, line, offset });
  }

  entries(unit: 'lines' | 'problems'): Issue[] {
    const out: Issue[] = [];
    for (const t of this.byCode.values()) {
      const more = t.count - t.listed.length;
      t.listed.forEach((e, i) => {
        const last = i === t.listed.length - 1;
        const note = !last || more === 0 ? '' : this.keep === 1 ? ` (${t.count} ${unit} in all)` : ` (and ${more} more like it)`;
        out.push({ ...e, message: e.message + note });
      });
    }
    return out;
  }
}

/** Earliest and latest event time seen. */
class TimeRange {
  first = NaN;
  last = NaN;

  see(t: number): void {
    if (Number.isNaN(t)) return;
    if (Number.isNaN(this.first) || t < this.first) this.first = t;
    if (Number.isNaN(this.last) || t > this.last) this.last = t;
  }
}

function headOf(rel: string, bytes: Buffer, complete: boolean): Head {
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // A cut multi-byte character at the end of the head is not an encoding error of the file.
  if (!complete) text = text.replace(/\uFFFD+$/, '');
  return { rel, text, bytes, complete };
}

function firstLine(bytes: Buffer): string {
  const text = bytes.subarray(0, 200).toString('utf8').split(/\r?\n/)[0] ?? '';
  return text.replace(/[^\x20-\x7e]/g, '.').slice(0, 80);
}

export async function processFile(ref: FileRef, env: ScanEnv): Promise<FileResult> {
  const result: FileResult = { input: ref.input, rel: ref.rel, errors: [], bytes: 0, lines: 0, parsedLines: 0 };
  const fail = (code: ErrorCode, message: string, line?: number, offset?: number) => {
    const e: ReportError = { input: ref.input, file: ref.rel, code, message };
    if (line !== undefined) e.line = line;
    if (offset !== undefined) e.offset = offset;
    result.errors.push(e);
  };
  const skip = (reason: string) => {
    result.skipped = { input: ref.input, file: ref.rel, reason };
  };
  const logLike = path.extname(ref.rel).toLowerCase() === LOG_EXTENSION;

  let src: ByteSource;
  try {
    src = await openSource(ref, env.zips);
  } catch (err) {
    fail(ERROR_CODES.read, `cannot read: ${errorMessage(err)}`);
    return result;
  }
  try {
    const head = await readHead(src, HEAD_BYTES);
    if (head.length === 0) {
      if (logLike) fail(ERROR_CODES.parse, 'empty file (0 bytes): nothing to read');
      else skip('empty file');
      return result;
    }
    if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
      if (logLike) fail(ERROR_CODES.encoding, 'UTF-16 text is not read; save the log as UTF-8', undefined, 0);
      else skip('UTF-16 text (not read)');
      return result;
    }
    const sniff = identify(headOf(ref.rel, head, head.length < HEAD_BYTES));
    if (!sniff) {
      if (logLike) fail(ERROR_CODES.parse, `not a log format exhunt reads (first line: "${firstLine(head)}")`, 1, 0);
      else skip('not a log format exhunt reads');
      return result;
    }
    result.recognised = true;
    if (sniff.unsupported) {
      skip(sniff.unsupported);
      return result;
    }
    const parser = parserById(sniff.parser)!;
    const issues = new IssueTally(parser.kind === 'records' ? ISSUES_PER_CODE_RECORDS : 1);
    const ctx: ParseContext = { input: ref.input, file: ref.rel, issue: (code, message, line, offset) => issues.add(code, message, line, offset) };
    const times = new TimeRange();
    let cov: FileCoverage;
    if (parser.kind === 'records') {
      let events = 0;
      const scan = await parser.read(withPrefix(head, src), ctx, (ev) => {
        if (ev.recovered && env.skipRecovered) return;
        events++;
        times.see(ev.time);
        env.engine.inspect(ev);
      });
      result.bytes = scan.bytes;
      result.lines = events;
      result.parsedLines = events;
      cov = { input: ref.input, file: ref.rel, source: sniff.source, format: scan.format ?? sniff.format, events, parseErrors: issues.total, bytes: scan.bytes };
    } else {
      const fileParser = parser.open(sniff, ctx);
      const needles = env.engine.needlesFor(sniff.source);
      const matcher = compileNeedles(needles.literals);
      const detectAll = needles.allLines;
      const scan = await scanLines(
        withPrefix(head, src),
        detectAll ? undefined : matcher,
        {
          line(text, lineNo, offset, candidate) {
            if (text.charCodeAt(0) === 35 /* # */) {
              fileParser.directive(text, lineNo, offset);
              return;
            }
            const ev = fileParser.record(text, lineNo, offset);
            if (!ev) return;
            result.parsedLines++;
            times.see(ev.time);
            if (candidate || detectAll) env.engine.inspect(ev);
          },
          wantsAll: () => detectAll || fileParser.wantsAll(),
          issue: (code, message, lineNo, offset) => issues.add(code, message, lineNo, offset),
        },
        { maxLineBytes: env.limits.maxLineBytes, chunkBytes: env.chunkBytes, buffers: env.buffers },
      );
      fileParser.end(scan);
      if (scan.last) times.see(fileParser.timeOf(scan.last.text));
      result.bytes = scan.bytes;
      result.lines = scan.lines;
      cov = {
        input: ref.input,
        file: ref.rel,
        source: sniff.source,
        format: sniff.format,
        events: Math.max(0, scan.dataLines - fileParser.headerRows),
        parseErrors: issues.total,
        bytes: scan.bytes,
      };
    }
    for (const e of issues.entries(parser.kind === 'records' ? 'problems' : 'lines')) fail(e.code, e.message, e.line, e.offset);
    const f = isoTime(times.first);
    const l = isoTime(times.last);
    if (f) cov.first = f;
    if (l) cov.last = l;
    result.coverage = cov;
  } catch (err) {
    fail(ERROR_CODES.read, `read failed: ${errorMessage(err)}`);
  } finally {
    try {
      await src.close();
    } catch {
      // closing a failed stream has nothing more to report
    }
  }
  return result;
}
