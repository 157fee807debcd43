// The file sweep: every file of the collection that is not a log is read once — SHA-256 (and SHA-1
// / MD5 when an indicator list needs them), its first bytes for the magic, and, up to a size limit,
// its content for the YARA rules — then judged together with what the logs showed. YARA rules are
// compiled once per run here; scanning runs off the main thread, several files at a time.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { ERROR_CODES, InputError, errorMessage } from '../core/errors.js';
import type { Finding, InputInfo, ReportError, Skipped, SweepStats } from '../core/types.js';
import type { FindingAccumulator } from '../detect/accumulate.js';
import { WebAllowList, parseBaselineCsv } from '../detect/files/allowlist.js';
import { FileJudge, type SweptFile } from '../detect/files/judge.js';
import { type VdirPaths, locate, vdirPathsFromConfig } from '../detect/files/location.js';
import { ARCHIVE_EXTENSIONS, ARCHIVE_MAGIC, DUMP_EXTENSIONS, sniffMagic } from '../detect/files/magic.js';
import { type Indicator, IndicatorSet, parseIndicators, shippedIndicators } from '../detect/ioc/indicators.js';
import type { YaraEngine, YaraRules } from '../detect/yara/engine.js';
import { builtinYaraSources, readYaraPaths } from '../detect/yara/sources.js';
import { loadYaraEngine } from '../detect/yara/yara-x.js';
import { openSource } from '../sources/open.js';
import type { FileRef } from '../sources/types.js';
import type { ZipReaderCache } from '../sources/zip.js';

export interface SweepOptions {
  /** The user's YARA rule files and folders. */
  yara?: readonly string[];
  /** Run the built-in rules (default true). */
  builtinYara?: boolean;
  /** Files larger than this are hashed but not scanned with YARA. */
  yaraMaxBytes?: number;
  /** Files larger than this are judged by name and magic only (not hashed). */
  readMaxBytes?: number;
  /** Indicator files (--ioc) on top of the shipped list. */
  iocs?: readonly string[];
  /** Baseline files (--baseline) on top of the shipped allow-list. */
  baselines?: readonly string[];
  /** Files read at once. */
  concurrency?: number;
  /** Where the YARA engine comes from (tests replace it to play a platform without one). */
  loadEngine?: () => Promise<YaraEngine | { unavailable: string }>;
}

export const DEFAULT_YARA_MAX_BYTES = 64 * 1024 * 1024;
export const DEFAULT_READ_MAX_BYTES = 4 * 1024 ** 3;
const CHUNK = 1024 * 1024;
const HEAD = 64;
const EXCERPT_BEFORE = 80;
const EXCERPT_AFTER = 240;
const LSASS_UTF16 = Buffer.from('lsass.exe', 'utf16le');

function printable(buf: Buffer): string {
  return buf.toString('latin1').replace(/[^\x20-\x7e\t\n\r]/g, '.');
}

/** User-given paths must exist: a mistyped one is a usage error. */
function readUserFile(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`${flag} ${file}: ${errorMessage(err)}`);
  }
}

export class SweepRun {
  readonly indicators: Indicator[];
  private readonly indicatorSet: IndicatorSet;
  private readonly allow: WebAllowList;
  private readonly swept: SweptFile[] = [];
  private readonly sweptRels = new Set<string>();
  private vdirs: VdirPaths = [];
  private roots: string[] = [];
  private readonly stat: SweepStats = { files: 0, bytes: 0, yaraFiles: 0, yaraBytes: 0, yaraEngine: 'not used', yaraRules: 0, yaraRejectedFiles: 0, durationMs: 0 };

  private constructor(
    private readonly rules: YaraRules | undefined,
    private readonly opts: Required<Pick<SweepOptions, 'yaraMaxBytes' | 'readMaxBytes' | 'concurrency'>>,
    indicators: Indicator[],
    allow: WebAllowList,
  ) {
    this.indicators = indicators;
    this.indicatorSet = new IndicatorSet(indicators);
    this.allow = allow;
  }

  /** Loads indicators, baselines and YARA rules; problems with one rule file or line go to `report`. */
  static async prepare(opts: SweepOptions, report: (e: ReportError) => void): Promise<SweepRun> {
    const indicators = shippedIndicators();
    for (const file of opts.iocs ?? []) {
      const parsed = parseIndicators(readUserFile('--ioc', file), file);
      indicators.push(...parsed.indicators);
      for (const e of parsed.errors) report({ input: 0, file, code: ERROR_CODES.ioc, message: e });
      if (parsed.indicators.length === 0) report({ input: 0, file, code: ERROR_CODES.ioc, message: `${file}: no indicators read` });
    }
    const allow = WebAllowList.shipped();
    for (const file of opts.baselines ?? []) {
      const parsed = parseBaselineCsv(readUserFile('--baseline', file), file);
      for (const r of parsed.rows) allow.add(r);
      for (const e of parsed.errors) report({ input: 0, file, code: ERROR_CODES.parse, message: e });
    }
    const userYara = opts.yara ?? [];
    for (const p of userYara) if (!existsSync(p)) throw new InputError(`--yara ${p}: no such file or folder`);
    const sources = [...(opts.builtinYara === false ? [] : builtinYaraSources())];
    const read = readYaraPaths(userYara);
    sources.push(...read.sources);
    let rules: YaraRules | undefined;
    let engineName = 'not used';
    let rejected = read.errors.length;
    for (const e of read.errors) report({ input: 0, file: e.file, code: ERROR_CODES.yara, message: e.message });
    if (sources.length > 0) {
      const engine = await (opts.loadEngine ?? loadYaraEngine)();
      if ('unavailable' in engine) {
        engineName = `unavailable: ${engine.unavailable}`;
        report({ input: 0, file: '', code: ERROR_CODES.yara, message: engine.unavailable });
      } else {
        engineName = engine.name;
        const compiled = engine.compile(sources);
        rules = compiled.rules;
        rejected += compiled.rejected.length;
        for (const r of compiled.rejected) {
          if (r.file.startsWith('builtin:')) throw new Error(`built-in YARA rules ${r.file} do not compile: ${r.message}`);
          report({ input: 0, file: r.file, code: ERROR_CODES.yara, message: `YARA rule file left out: ${r.message}` });
        }
      }
    }
    const run = new SweepRun(rules, { yaraMaxBytes: opts.yaraMaxBytes ?? DEFAULT_YARA_MAX_BYTES, readMaxBytes: opts.readMaxBytes ?? DEFAULT_READ_MAX_BYTES, concurrency: Math.max(1, opts.concurrency ?? 4) }, indicators, allow);
    run.stat.yaraEngine = engineName;
    run.stat.yaraRules = rules?.ruleCount ?? 0;
    run.stat.yaraRejectedFiles = rejected;
    return run;
  }

  /** Reads the files (several at a time); `done` is called after each. Nothing here throws for one file. */
  async sweep(refs: readonly FileRef[], zips: ZipReaderCache, sink: { error(e: ReportError): void; skipped(s: Skipped): void; done(ref: FileRef): void }, containers: ReadonlySet<FileRef> = new Set(), now: () => number = Date.now, inputs: readonly InputInfo[] = []): Promise<void> {
    const started = now();
    // A folder given on the command line (a live FrontEnd\HttpProxy, C:\inetpub\wwwroot) is part of where
    // its files were; only its last three folders count, so a case folder under ProgramData does not.
    this.roots = inputs.map((i) => (i.kind === 'directory' ? `${i.path.split(/[\\/]+/).filter((p) => p && !/^[A-Za-z]:$/.test(p)).slice(-3).join('/')}/` : ''));
    const config = refs.find((r) => /(^|\/)applicationhost\.config$/i.test(r.rel));
    if (config) this.vdirs = await this.readVdirs(config, zips);
    let next = 0;
    const worker = async () => {
      while (next < refs.length) {
        const ref = refs[next++]!;
        await this.sweepOne(ref, zips, sink, containers.has(ref));
        sink.done(ref);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency, refs.length) }, worker));
    this.stat.durationMs += now() - started;
  }

  private async readVdirs(ref: FileRef, zips: ZipReaderCache): Promise<VdirPaths> {
    try {
      const src = await openSource(ref, zips);
      const chunks: Buffer[] = [];
      const buf = Buffer.allocUnsafe(CHUNK);
      let total = 0;
      for (let n; total < 16 * CHUNK && (n = await src.read(buf, 0, CHUNK)) > 0; total += n) chunks.push(Buffer.from(buf.subarray(0, n)));
      await src.close();
      return vdirPathsFromConfig(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return []; // the sweep reports the file itself if it cannot be read
    }
  }

  private async sweepOne(ref: FileRef, zips: ZipReaderCache, sink: { error(e: ReportError): void; skipped(s: Skipped): void }, container: boolean): Promise<void> {
    const fail = (message: string) => sink.error({ input: ref.input, file: ref.rel, code: ERROR_CODES.read, message });
    const where = this.whereOf(ref);
    const loc = locate(where, this.vdirs);
    const tooBig = ref.size > this.opts.readMaxBytes;
    const scanYara = this.rules !== undefined && !container && ref.size <= this.opts.yaraMaxBytes;
    let src;
    try {
      src = await openSource(ref, zips);
    } catch (err) {
      fail(`cannot read: ${errorMessage(err)}`);
      return;
    }
    const sha256 = createHash('sha256');
    const sha1 = this.indicatorSet.hasSha1 ? createHash('sha1') : undefined;
    const md5 = this.indicatorSet.hasMd5 ? createHash('md5') : undefined;
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
        sha256.update(chunk);
        sha1?.update(chunk);
        md5?.update(chunk);
        if (scanYara) kept.push(Buffer.from(chunk));
        if (!lsass && sniffMagic(head) === 'minidump') {
          const window = Buffer.concat([carry, chunk]);
          lsass = window.indexOf(LSASS_UTF16) >= 0 || window.indexOf(Buffer.from('LSASS.EXE', 'utf16le')) >= 0;
          carry = Buffer.from(window.subarray(Math.max(0, window.length - LSASS_UTF16.length)));
        }
      }
    } catch (err) {
      fail(`read failed after ${size} bytes: ${errorMessage(err)}`);
      return;
    } finally {
      await src.close().catch(() => undefined);
    }
    this.stat.files++;
    this.stat.bytes += size;
    this.sweptRels.add(`${ref.input}\0${ref.rel}`);
    if (tooBig) sink.skipped({ input: ref.input, file: ref.rel, reason: `larger than the read limit (${this.opts.readMaxBytes} bytes): judged by name and magic only, not hashed` });
    else if (this.rules && !container && !scanYara) sink.skipped({ input: ref.input, file: ref.rel, reason: `larger than --yara-max-size (${this.opts.yaraMaxBytes} bytes): hashed, not scanned with YARA` });

    const data = scanYara ? Buffer.concat(kept) : undefined;
    let yara: SweptFile['yara'] = [];
    if (data && this.rules) {
      try {
        yara = await this.rules.scan(data, { filename: loc.name, filepath: ref.rel, extension: loc.extension });
        this.stat.yaraFiles++;
        this.stat.yaraBytes += data.length;
      } catch (err) {
        sink.error({ input: ref.input, file: ref.rel, code: ERROR_CODES.yara, message: `YARA scan failed: ${errorMessage(err)}` });
      }
    }
    const magic = sniffMagic(head);
    const f: SweptFile = { input: ref.input, rel: ref.rel, where, size, magic, yara, lsassDump: lsass, excerpt: '', excerptOffset: 0 };
    if (ref.mtimeMs !== undefined) f.mtimeMs = ref.mtimeMs;
    if (!tooBig) {
      f.sha256 = sha256.digest('hex');
      if (sha1) f.sha1 = sha1.digest('hex');
      if (md5) f.md5 = md5.digest('hex');
    }
    if (container) f.container = true;
    if (!this.worthJudging(f, loc)) return;
    const at = yara[0]?.strings[0]?.offset ?? 0;
    const text = data ?? head;
    f.excerptOffset = at;
    f.excerpt = magic !== 'none' && yara.length === 0 ? `[${magic} content, ${size} bytes] ${printable(head.subarray(0, 32))}` : printable(text.subarray(Math.max(0, at - EXCERPT_BEFORE), at + EXCERPT_AFTER));
    this.swept.push(f);
  }

  private whereOf(ref: FileRef): string {
    return `${this.roots[ref.input] ?? ''}${ref.rel}`;
  }

  /** Only files that can give a reason are kept for judging (the rest of a big collection is counted). */
  private worthJudging(f: SweptFile, loc: ReturnType<typeof locate>): boolean {
    if (f.yara.length > 0 || loc.area !== 'other' || f.magic === 'minidump' || f.magic === 'pst') return true;
    if (ARCHIVE_MAGIC.has(f.magic) || ARCHIVE_EXTENSIONS.has(loc.extension) || DUMP_EXTENSIONS.has(loc.extension)) return true;
    if (this.indicatorSet.pathIndicator(f.where)) return true;
    return [f.sha256, f.sha1, f.md5].some((h) => h !== undefined && this.indicatorSet.byHash.has(h));
  }

  /** Whether the sweep read this file (its "not a log" skip entry is then dropped). */
  read(input: number, rel: string): boolean {
    return this.sweptRels.has(`${input}\0${rel}`);
  }

  /** Judges every swept file against the allow-list, the indicators and the log findings. */
  judge(logFindings: readonly Finding[], acc: FindingAccumulator): void {
    const swept = [...this.swept].sort((a, b) => a.input - b.input || (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    new FileJudge(swept, { allow: this.allow, indicators: this.indicatorSet, vdirs: this.vdirs, logFindings }).run(acc);
  }

  stats(): SweepStats {
    return { ...this.stat };
  }
}
