// Streams a text log in large chunks and hands the parser only the lines it needs:
// directive lines (`#…`), lines that contain one of the detectors' needles, lines that do not start
// like a record (to report them), and — while the parser asks for it — every line (to learn a
// header and the first timestamp). Needles are found with one
// case-insensitive regular expression over the chunk decoded as latin1, so string positions equal
// byte positions and nothing is decoded as UTF-8 except the lines actually parsed. Every line is
// still counted (for line numbers and coverage) with a native indexOf loop.
import { isUtf8 } from 'node:buffer';
import { ERROR_CODES, type ErrorCode } from '../core/errors.js';
import type { ByteSource } from '../sources/types.js';

export interface LineHandler {
  /** A delivered line (without its line break). `candidate`: it contains a needle. */
  line(text: string, lineNo: number, offset: number, candidate: boolean): void;
  /** While this returns true every line is delivered. */
  wantsAll(): boolean;
  issue(code: ErrorCode, message: string, lineNo: number, offset: number): void;
}

export interface LastLine {
  text: string;
  lineNo: number;
  offset: number;
}

export interface ScanResult {
  bytes: number;
  /** Physical lines, including directives and empty lines. */
  lines: number;
  /** Non-empty lines that do not start with `#`. */
  dataLines: number;
  /** Lines handed to the parser because they matched a needle. */
  candidateLines: number;
  endsWithNewline: boolean;
  /** The last non-empty, non-directive line (for the coverage end time). */
  last?: LastLine;
}

export interface ScanOptions {
  maxLineBytes: number;
  chunkBytes?: number;
  /** Two buffers to reuse (per thread) instead of allocating them for every file. */
  buffers?: [Buffer, Buffer];
}

const NL = 10;
const CR = 13;
const HASH = 35;
const DEFAULT_CHUNK = 4 * 1024 * 1024;

/** One case-insensitive expression matching any of the needles; undefined when there are none. */
export function compileNeedles(needles: readonly string[]): RegExp | undefined {
  const uniq = [...new Set(needles.map((n) => n.toLowerCase()))].filter((n) => n.length > 0).sort();
  if (uniq.length === 0) return undefined;
  return new RegExp(uniq.map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'), 'gi');
}

interface State {
  lineNo: number;
  all: boolean;
  result: ScanResult;
  /** The region's last data line so far (lastLineNo 0: none yet). */
  lastPos: number;
  lastEnd: number;
  lastLineNo: number;
}

function decodeLine(buf: Buffer, start: number, end: number): string {
  if (end > start && buf[end - 1] === CR) end--;
  // A UTF-8 byte order mark belongs to the file, not to the first field — also in logs
  // concatenated from several files, where one starts a line in the middle.
  if (end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3;
  return buf.toString('utf8', start, end);
}

function processRegion(
  buf: Buffer,
  start: number,
  end: number,
  fileOffset: number,
  matcher: RegExp | undefined,
  handler: LineHandler,
  opts: ScanOptions,
  st: State,
): void {
  const s = buf.toString('latin1', start, end);
  const len = s.length;

  // Rare problems cost nothing on clean regions: only a region that is not valid UTF-8, or that
  // holds NUL bytes, is examined line by line below.
  const badUtf8 = !isUtf8(buf.subarray(start, end));
  let binaryLines: Set<number> | undefined;
  let z = s.indexOf('\0');
  while (z !== -1) {
    binaryLines ??= new Set();
    binaryLines.add(s.lastIndexOf('\n', z) + 1);
    const nl = s.indexOf('\n', z);
    z = nl === -1 ? -1 : s.indexOf('\0', nl);
  }

  // Candidate line starts, ascending.
  const cands: number[] = [];
  if (matcher) {
    matcher.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = matcher.exec(s)) !== null) {
      cands.push(s.lastIndexOf('\n', m.index) + 1);
      const nl = s.indexOf('\n', m.index);
      if (nl === -1) break;
      matcher.lastIndex = nl + 1;
    }
  }
  let ci = 0;
  let nextDirective = s.charCodeAt(0) === HASH ? 0 : s.indexOf('\n#');
  if (nextDirective > 0) nextDirective += 1;

  const maxLine = opts.maxLineBytes;
  let pos = 0;
  while (pos < len) {
    let nl = s.indexOf('\n', pos);
    const hasNl = nl !== -1;
    if (!hasNl) nl = len;
    const lineNo = st.lineNo;
    let candidate = false;
    if (ci < cands.length && cands[ci] === pos) {
      candidate = true;
      ci++;
    }
    let directive = false;
    if (pos === nextDirective) {
      directive = true;
      const d = s.indexOf('\n#', pos);
      nextDirective = d === -1 ? -1 : d + 1;
    } else if (s.charCodeAt(pos) === 0xef && s.startsWith('\xef\xbb\xbf#', pos)) {
      // A directive behind a byte order mark (first line, or a file appended to another).
      directive = true;
    }
    const lineLen = nl > pos && s.charCodeAt(nl - 1) === CR ? nl - pos - 1 : nl - pos;
    const empty = lineLen === 0;
    if (!empty && !directive) {
      st.result.dataLines++;
      st.lastPos = pos;
      st.lastEnd = nl;
      st.lastLineNo = lineNo;
    }
    if (lineLen > maxLine) {
      handler.issue(ERROR_CODES.lineTooLong, `line is ${lineLen} bytes long (limit ${maxLine}); skipped`, lineNo, fileOffset + pos);
    } else if (binaryLines?.has(pos)) {
      // NUL bytes never occur in a text log: a pre-allocated or damaged block, not a record.
      handler.issue(ERROR_CODES.binary, 'binary data (NUL bytes) where a text line was expected; skipped', lineNo, fileOffset + pos);
    } else if (!empty) {
      if (badUtf8 && !isUtf8(buf.subarray(start + pos, start + nl))) {
        handler.issue(ERROR_CODES.encoding, 'invalid UTF-8; read with replacement characters', lineNo, fileOffset + pos);
      }
      // Every log record exhunt reads starts with its date (or a quote, in CSV exports); a line
      // that does not is handed to the parser too, so that it is reported however it looks.
      const c0 = s.charCodeAt(pos);
      const suspect = (c0 < 48 || c0 > 57) && c0 !== 34;
      if (candidate || directive || suspect || st.all) {
        if (candidate) st.result.candidateLines++;
        handler.line(decodeLine(buf, start + pos, start + nl), lineNo, fileOffset + pos, candidate);
        if (st.all) st.all = handler.wantsAll();
      }
    }
    st.lineNo++;
    pos = nl + 1;
  }
  // Keep the text of the region's last data line; a later region may not have one.
  if (st.lastLineNo > 0 && st.lastEnd - st.lastPos <= maxLine) {
    st.result.last = {
      text: decodeLine(buf, start + st.lastPos, start + st.lastEnd),
      lineNo: st.lastLineNo,
      offset: fileOffset + st.lastPos,
    };
  }
  st.lastLineNo = 0;
}

/**
 * A region is decoded in windows of about this size, cut at line ends. Strings this small are
 * allocated in V8's young generation and die young; larger ones go to the large-object space
 * (measured 4× slower to create) or, above 1 MB, become external memory that lingers until a full
 * collection (that alone cost ~70 MB of RSS per thread).
 */
const WINDOW = 64 * 1024;

function processChunk(buf: Buffer, end: number, fileOffset: number, matcher: RegExp | undefined, handler: LineHandler, opts: ScanOptions, st: State): void {
  let w = 0;
  while (w < end) {
    let we = Math.min(end, w + WINDOW);
    if (we < end) {
      const nl = buf.lastIndexOf(NL, we - 1);
      if (nl >= w) we = nl + 1;
      else {
        const next = buf.indexOf(NL, we);
        we = next === -1 || next >= end ? end : next + 1;
      }
    }
    processRegion(buf, w, we, fileOffset + w, matcher, handler, opts, st);
    w = we;
  }
}

/**
 * Reads `src` to its end. Never throws: content and read problems are reported to the handler.
 * Two buffers alternate: while the complete lines of one are processed, the next block is already
 * being read into the other (behind the carried-over partial line), so I/O overlaps parsing.
 */
export async function scanLines(
  src: ByteSource,
  matcher: RegExp | undefined,
  handler: LineHandler,
  opts: ScanOptions,
): Promise<ScanResult> {
  const chunk = Math.max(opts.chunkBytes ?? DEFAULT_CHUNK, opts.maxLineBytes * 2 + 2, 64);
  const fits = (b: Buffer | undefined) => (b && b.length >= chunk ? b : Buffer.allocUnsafe(chunk));
  let cur = fits(opts.buffers?.[0]);
  let nxt = fits(opts.buffers?.[1]);
  const st: State = {
    lineNo: 1,
    all: handler.wantsAll(),
    result: { bytes: 0, lines: 0, dataLines: 0, candidateLines: 0, endsWithNewline: true },
    lastPos: 0,
    lastEnd: 0,
    lastLineNo: 0,
  };
  let filled = 0;
  let fileOffset = 0; // offset of cur[0] in the file
  let skipping = false; // inside a line longer than the limit, discarding until its end
  let lastByte = NL;
  let failed = false;
  const read = async (b: Buffer, at: number): Promise<number> => {
    if (failed) return 0;
    try {
      return await src.read(b, at, b.length - at);
    } catch (err) {
      // A truncated archive entry or an I/O error: keep what was read, report where it stopped.
      failed = true;
      handler.issue(ERROR_CODES.read, `read failed after ${st.result.bytes} bytes: ${err instanceof Error ? err.message : String(err)}`, st.lineNo, fileOffset + filled);
      return 0;
    }
  };
  let pending = read(cur, 0);
  for (;;) {
    const n = await pending;
    const eof = n === 0;
    if (n > 0) lastByte = cur[filled + n - 1]!;
    filled += n;
    st.result.bytes += n;
    if (skipping) {
      const nl = cur.indexOf(NL, 0);
      if (nl === -1 || nl >= filled) {
        fileOffset += filled;
        filled = 0;
        if (eof) break;
        pending = read(cur, 0);
        continue;
      }
      skipping = false;
      st.lineNo++;
      st.result.dataLines++;
      cur.copy(cur, 0, nl + 1, filled);
      fileOffset += nl + 1;
      filled -= nl + 1;
    }
    if (eof) {
      if (filled > 0) processChunk(cur, filled, fileOffset, matcher, handler, opts, st);
      break;
    }
    const end = cur.lastIndexOf(NL, filled - 1) + 1;
    if (end === 0) {
      if (filled < cur.length) {
        pending = read(cur, filled);
        continue;
      }
    } else {
      const carry = filled - end;
      if (carry <= opts.maxLineBytes) {
        pending = read(nxt, carry);
        processChunk(cur, end, fileOffset, matcher, handler, opts, st);
        cur.copy(nxt, 0, end, filled);
        [cur, nxt] = [nxt, cur];
        fileOffset += end;
        filled = carry;
        continue;
      }
      processChunk(cur, end, fileOffset, matcher, handler, opts, st);
      fileOffset += end;
      filled = carry;
    }
    // The unfinished line is already over the limit: report it once, drop what we have and
    // discard the rest of it as it arrives.
    handler.issue(ERROR_CODES.lineTooLong, `line is longer than ${opts.maxLineBytes} bytes; skipped`, st.lineNo, fileOffset);
    fileOffset += filled;
    filled = 0;
    skipping = true;
    pending = read(cur, 0);
  }
  if (skipping) {
    st.lineNo++;
    st.result.dataLines++;
  }
  st.result.lines = st.lineNo - 1;
  st.result.endsWithNewline = lastByte === NL;
  return st.result;
}
