// Reading one file for the sweep, in whichever thread runs it: SHA-256 (SHA-1 / MD5 when indicators
// need them), the first bytes for the magic, a minidump's module names, YARA up to the size limit,
// and an excerpt around the first match. Plain files under the limit are read in one synchronous
// call (most web files are a few KB, and per-file overhead dominates); archives' entries and big
// files are streamed.
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { ERROR_CODES, errorMessage } from '../core/errors.js';
import type { ReportError, Skipped } from '../core/types.js';
import type { SweptFile } from '../detect/files/judge.js';
import { SCRIPT_EXTENSIONS, locate } from '../detect/files/location.js';
import { sniffMagic } from '../detect/files/magic.js';
import type { YaraMatch, YaraRules } from '../detect/yara/engine.js';
import { openSource } from '../sources/open.js';
import type { FileRef } from '../sources/types.js';
import type { ZipReaderCache } from '../sources/zip.js';

export interface SweepReadOptions {
  yaraMaxBytes: number;
  readMaxBytes: number;
  sha1: boolean;
  md5: boolean;
  /** False with a slow YARA engine: only pages, scripts and programs are scanned. */
  yaraAll: boolean;
}

/** What a slow engine still scans: what IIS or Windows can run, and files without a telling name (not browser JavaScript: ten thousand files in OWA alone). */
const RUNNABLE = new Set([...SCRIPT_EXTENSIONS, 'dll', 'exe', 'sys', 'ps1', 'psm1', 'bat', 'cmd', 'vbs', 'vbe', 'jse', 'wsf', 'hta', 'txt', 'tmp', 'bin', 'dat', '']);

/** One file to read: where it is, what it is for the sweep. */
export interface SweepTask {
  ref: FileRef;
  /** The path that says where the file was on the server (see SweptFile.where). */
  where: string;
  /** A zip found inside a folder: hashed and judged as an archive, not scanned. */
  container: boolean;
}

export interface SweepReadResult {
  /** Absent when the file could not be read at all. */
  file?: SweptFile;
  errors: ReportError[];
  skipped?: Skipped;
  /** Bytes YARA scanned (0 when it did not). */
  yaraBytes: number;
}

const CHUNK = 1024 * 1024;
const HEAD = 64;
const EXCERPT_BEFORE = 80;
const EXCERPT_AFTER = 240;
const LSASS = [Buffer.from('lsass.exe', 'utf16le'), Buffer.from('LSASS.EXE', 'utf16le')];

function printable(buf: Buffer): string {
  return buf.toString('latin1').replace(/[^\x20-\x7e\t\n\r]/g, '.');
}

function hasLsass(buf: Buffer): boolean {
  return LSASS.some((n) => buf.indexOf(n) >= 0);
}

interface Content {
  size: number;
  head: Buffer;
  /** The whole content when it is to be scanned. */
  data?: Buffer;
  sha256?: string;
  sha1?: string;
  md5?: string;
  lsass: boolean;
}

function digests(opts: SweepReadOptions) {
  return { sha256: createHash('sha256'), sha1: opts.sha1 ? createHash('sha1') : undefined, md5: opts.md5 ? createHash('md5') : undefined };
}

/**
 * A plain file small enough to scan: one read. Opened without blocking and checked again, so a file
 * swapped for a FIFO or a device since it was listed cannot hang the sweep.
 */
function readWhole(path: string, opts: SweepReadOptions): Content {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  let data: Buffer;
  try {
    if (!fstatSync(fd).isFile()) throw new Error('no longer a regular file');
    data = readFileSync(fd);
  } finally {
    closeSync(fd);
  }
  const h = digests(opts);
  h.sha256.update(data);
  h.sha1?.update(data);
  h.md5?.update(data);
  const head = data.subarray(0, HEAD);
  const c: Content = { size: data.length, head, sha256: h.sha256.digest('hex'), lsass: sniffMagic(head) === 'minidump' && hasLsass(data) };
  if (data.length <= opts.yaraMaxBytes) c.data = data;
  if (h.sha1) c.sha1 = h.sha1.digest('hex');
  if (h.md5) c.md5 = h.md5.digest('hex');
  return c;
}

/** Anything else (zip entries, big files): streamed, hashed on the way, kept only up to the YARA limit. */
async function readStreamed(ref: FileRef, zips: ZipReaderCache, opts: SweepReadOptions, keep: boolean): Promise<Content> {
  const tooBig = ref.size > opts.readMaxBytes;
  const src = await openSource(ref, zips);
  const h = digests(opts);
  const kept: Buffer[] = [];
  let size = 0;
  let head = Buffer.alloc(0);
  let lsass = false;
  let carry = Buffer.alloc(0);
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const n = await src.read(buf, 0, tooBig ? HEAD : CHUNK);
      if (n === 0) break;
      const chunk = buf.subarray(0, n);
      if (size === 0) head = Buffer.from(chunk.subarray(0, HEAD));
      size += n;
      if (tooBig) break;
      h.sha256.update(chunk);
      h.sha1?.update(chunk);
      h.md5?.update(chunk);
      if (keep && size <= opts.yaraMaxBytes) kept.push(Buffer.from(chunk));
      if (!lsass && sniffMagic(head) === 'minidump') {
        const window = Buffer.concat([carry, chunk]);
        lsass = hasLsass(window);
        carry = Buffer.from(window.subarray(Math.max(0, window.length - LSASS[0]!.length)));
      }
    }
  } finally {
    await src.close().catch(() => undefined);
  }
  const c: Content = { size, head, lsass };
  if (!tooBig) {
    c.sha256 = h.sha256.digest('hex');
    if (h.sha1) c.sha1 = h.sha1.digest('hex');
    if (h.md5) c.md5 = h.md5.digest('hex');
    if (keep && size <= opts.yaraMaxBytes) c.data = Buffer.concat(kept);
  }
  return c;
}

export async function readSweptFile(task: SweepTask, rules: YaraRules | undefined, opts: SweepReadOptions, zips: ZipReaderCache): Promise<SweepReadResult> {
  const { ref, where, container } = task;
  const out: SweepReadResult = { errors: [], yaraBytes: 0 };
  const loc = locate(where);
  const scan = rules !== undefined && !container && ref.size <= opts.yaraMaxBytes && (opts.yaraAll || RUNNABLE.has(loc.extension));
  let c: Content;
  try {
    c = ref.location.kind === 'fs' && ref.size <= Math.min(opts.yaraMaxBytes, opts.readMaxBytes) ? readWhole(ref.location.path, opts) : await readStreamed(ref, zips, opts, scan);
  } catch (err) {
    out.errors.push({ input: ref.input, file: ref.rel, code: ERROR_CODES.read, message: `cannot read: ${errorMessage(err)}` });
    return out;
  }
  if (c.sha256 === undefined) out.skipped = { input: ref.input, file: ref.rel, reason: `larger than the read limit (${opts.readMaxBytes} bytes): judged by name and magic only, not hashed` };
  else if (rules && !container && !c.data && ref.size > opts.yaraMaxBytes) out.skipped = { input: ref.input, file: ref.rel, reason: `larger than --yara-max-size (${opts.yaraMaxBytes} bytes): hashed, not scanned with YARA` };

  let yara: YaraMatch[] = [];
  if (scan && c.data && rules) {
    try {
      yara = rules.scan(c.data, { filename: loc.name, filepath: ref.rel, extension: loc.extension });
      out.yaraBytes = c.data.length;
    } catch (err) {
      out.errors.push({ input: ref.input, file: ref.rel, code: ERROR_CODES.yara, message: `YARA scan failed: ${errorMessage(err)}` });
    }
  }
  const magic = sniffMagic(c.head);
  const at = yara[0]?.strings[0]?.offset ?? 0;
  const text = c.data ?? c.head;
  const f: SweptFile = {
    input: ref.input,
    rel: ref.rel,
    where,
    size: c.size,
    magic,
    yara,
    lsassDump: c.lsass,
    excerptOffset: at,
    excerpt: magic !== 'none' && yara.length === 0 ? `[${magic} content, ${c.size} bytes] ${printable(c.head.subarray(0, 32))}` : printable(text.subarray(Math.max(0, at - EXCERPT_BEFORE), at + EXCERPT_AFTER)),
  };
  if (ref.mtimeMs !== undefined) f.mtimeMs = ref.mtimeMs;
  if (c.sha256) f.sha256 = c.sha256;
  if (c.sha1) f.sha1 = c.sha1;
  if (c.md5) f.md5 = c.md5;
  if (container) f.container = true;
  out.file = f;
  return out;
}
