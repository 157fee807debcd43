// The file sweep: every file of the collection that is not a log is read once — SHA-256 (and SHA-1
// / MD5 when an indicator list needs them), its first bytes for the magic, and, up to a size limit,
// its content for the YARA rules — then judged together with what the logs showed. YARA rules are
// compiled once here (a large sweep's worker threads compile their own copies of what compiled).
import { existsSync, readFileSync } from 'node:fs';
import { ERROR_CODES, InputError, errorMessage } from '../core/errors.js';
import type { Finding, InputInfo, ReportError, Skipped, SweepStats } from '../core/types.js';
import type { FindingAccumulator } from '../detect/accumulate.js';
import { WebAllowList, parseBaselineCsv } from '../detect/files/allowlist.js';
import { FileJudge, type SweptFile } from '../detect/files/judge.js';
import { type VdirPaths, locate, vdirPathsFromConfig } from '../detect/files/location.js';
import { ARCHIVE_EXTENSIONS, ARCHIVE_MAGIC, DUMP_EXTENSIONS } from '../detect/files/magic.js';
import { type Indicator, IndicatorSet, parseIndicators, shippedIndicators } from '../detect/ioc/indicators.js';
import type { YaraRules, YaraSource } from '../detect/yara/engine.js';
import { builtinYaraSources, readYaraPaths } from '../detect/yara/sources.js';
import { type YaraEngineKind, loadYaraEngine } from '../detect/yara/load.js';
import { openSource } from '../sources/open.js';
import type { FileRef } from '../sources/types.js';
import type { ZipReaderCache } from '../sources/zip.js';
import { runPool } from './pool.js';
import { type SweepReadOptions, type SweepReadResult, type SweepTask, readSweptFile } from './sweep-read.js';
import type { SweepWorkerData } from './sweep-worker.js';

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
  /**
   * Which YARA engine: by default the native one where it exists, else the WebAssembly one; tests
   * force `wasm`, or `none` to play a platform with neither.
   */
  yaraEngine?: YaraEngineKind | 'none';
}

export interface SweepSink {
  error(e: ReportError): void;
  skipped(s: Skipped): void;
  done(ref: FileRef): void;
}

export const DEFAULT_YARA_MAX_BYTES = 64 * 1024 * 1024;
export const DEFAULT_READ_MAX_BYTES = 4 * 1024 ** 3;
const CONFIG_CHUNK = 1024 * 1024;

/** Small files go to a sweep thread in batches: one message per file would cost more than reading it. */
const BATCH_FILES = 64;
const BATCH_BYTES = 4 * 1024 * 1024;

function batches(tasks: readonly SweepTask[]): SweepTask[][] {
  const out: SweepTask[][] = [];
  let cur: SweepTask[] = [];
  let bytes = 0;
  for (const t of tasks) {
    if (cur.length > 0 && (cur.length >= BATCH_FILES || bytes + t.ref.size > BATCH_BYTES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(t);
    bytes += t.ref.size;
  }
  if (cur.length > 0) out.push(cur);
  return out;
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
  private readonly swept: SweptFile[] = [];
  private readonly sweptRels = new Set<string>();
  private vdirs: VdirPaths = [];
  private roots: string[] = [];
  private readonly stat: SweepStats = { files: 0, bytes: 0, yaraFiles: 0, yaraBytes: 0, yaraEngine: 'not used', yaraRules: 0, yaraRejectedFiles: 0, durationMs: 0 };

  private constructor(
    private readonly rules: YaraRules | undefined,
    /** The rule files that compiled, for the scanning threads' own copies. */
    private readonly sources: YaraSource[],
    private readonly opts: { yaraMaxBytes: number; readMaxBytes: number; yaraAll: boolean; engine: YaraEngineKind },
    indicators: Indicator[],
    private readonly allow: WebAllowList,
  ) {
    this.indicators = indicators;
    this.indicatorSet = new IndicatorSet(indicators);
  }

  /** Loads indicators, baselines and YARA rules; problems with one rule file or line go to `report`. */
  static async prepare(opts: SweepOptions, report: (e: ReportError) => void): Promise<SweepRun> {
    const indicators = shippedIndicators();
    for (const file of opts.iocs ?? []) {
      const parsed = parseIndicators(readUserFile('--ioc', file), file);
      for (const ind of parsed.indicators) indicators.push(ind);
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
    let compiledSources: YaraSource[] = [];
    let engineName = 'not used';
    let engineKind: YaraEngineKind = 'native';
    let fast = true;
    let rejected = read.errors.length;
    for (const e of read.errors) report({ input: 0, file: e.file, code: ERROR_CODES.yara, message: e.message });
    if (sources.length > 0) {
      const engine = opts.yaraEngine === 'none' ? { unavailable: 'YARA is not available on this platform (forced off)' } : await loadYaraEngine(opts.yaraEngine);
      if ('unavailable' in engine) {
        engineName = `unavailable: ${engine.unavailable}`;
        report({ input: 0, file: '', code: ERROR_CODES.yara, message: engine.unavailable });
      } else {
        engineName = engine.name;
        engineKind = engine.kind;
        fast = engine.fast;
        const compiled = engine.compile(sources);
        rules = compiled.rules;
        rejected += compiled.rejected.length;
        const out = new Set(compiled.rejected.map((r) => r.file));
        compiledSources = rules ? sources.filter((s) => !out.has(s.file)) : [];
        for (const r of compiled.rejected) {
          if (r.file.startsWith('builtin:')) throw new Error(`built-in YARA rules ${r.file} do not compile: ${r.message}`);
          report({ input: 0, file: r.file, code: ERROR_CODES.yara, message: `YARA rule file left out: ${r.message}` });
        }
      }
    }
    const run = new SweepRun(rules, compiledSources, { yaraMaxBytes: opts.yaraMaxBytes ?? DEFAULT_YARA_MAX_BYTES, readMaxBytes: opts.readMaxBytes ?? DEFAULT_READ_MAX_BYTES, yaraAll: fast, engine: engineKind }, indicators, allow);
    run.stat.yaraEngine = engineName;
    run.stat.yaraRules = rules?.ruleCount ?? 0;
    run.stat.yaraRejectedFiles = rejected;
    return run;
  }

  /**
   * Reads the files — in this thread, or for a large sweep in `threads` worker threads — and keeps
   * what can be judged; `done` is called after each file. Nothing here throws for one file.
   */
  async sweep(refs: readonly FileRef[], zips: ZipReaderCache, sink: SweepSink, opts: { containers?: ReadonlySet<FileRef>; inputs?: readonly InputInfo[]; threads?: number; now?: () => number } = {}): Promise<void> {
    const now = opts.now ?? Date.now;
    const started = now();
    // A folder given on the command line (a live FrontEnd\\HttpProxy, C:\\inetpub\\wwwroot) is part of where
    // its files were; only its last three folders count, so a case folder under ProgramData does not.
    this.roots = (opts.inputs ?? []).map((i) => (i.kind === 'directory' ? `${i.path.split(/[\\/]+/).filter((p) => p && !/^[A-Za-z]:$/.test(p)).slice(-3).join('/')}/` : ''));
    const config = refs.find((r) => /(^|\/)applicationhost\.config$/i.test(r.rel));
    if (config) this.vdirs = await this.readVdirs(config, zips);
    const containers = opts.containers ?? new Set();
    const tasks: SweepTask[] = refs.map((ref) => ({ ref, where: this.whereOf(ref), container: containers.has(ref) }));
    const { engine, ...limits } = this.opts;
    const readOpts: SweepReadOptions = { ...limits, sha1: this.indicatorSet.hasSha1, md5: this.indicatorSet.hasMd5 };
    const take = (task: SweepTask, r: SweepReadResult) => {
      for (const e of r.errors) sink.error(e);
      if (r.skipped) sink.skipped(r.skipped);
      if (r.file) {
        this.stat.files++;
        this.stat.bytes += r.file.size;
        if (r.yaraBytes > 0 || (r.file.yara.length > 0)) {
          this.stat.yaraFiles++;
          this.stat.yaraBytes += r.yaraBytes;
        }
        this.sweptRels.add(`${task.ref.input}\0${task.ref.rel}`);
        if (this.worthJudging(r.file)) this.swept.push(r.file);
      }
      sink.done(task.ref);
    };
    const threads = Math.min(opts.threads ?? 1, tasks.length);
    if (threads > 1) {
      await runPool<SweepTask[], SweepReadResult[]>({
        script: new URL('./sweep-worker.js', import.meta.url),
        workerData: { sources: this.sources, engine, opts: readOpts } satisfies SweepWorkerData,
        tasks: batches(tasks),
        threads,
        sizeOf: (batch) => batch.reduce((n, t) => n + t.ref.size, 0),
        onReply: (batch, replies) => batch.forEach((t, i) => take(t, replies[i]!)),
        onLost: (batch, why) => {
          for (const t of batch) take(t, { errors: [{ input: t.ref.input, file: t.ref.rel, code: ERROR_CODES.internal, message: `sweep thread failed on this file or one sent with it: ${why}` }], yaraBytes: 0 });
        },
      });
    } else {
      for (const task of tasks) take(task, await readSweptFile(task, this.rules, readOpts, zips));
    }
    this.stat.durationMs += now() - started;
  }

  private async readVdirs(ref: FileRef, zips: ZipReaderCache): Promise<VdirPaths> {
    try {
      const src = await openSource(ref, zips);
      const chunks: Buffer[] = [];
      const buf = Buffer.allocUnsafe(CONFIG_CHUNK);
      let total = 0;
      for (let n; total < 16 * CONFIG_CHUNK && (n = await src.read(buf, 0, CONFIG_CHUNK)) > 0; total += n) chunks.push(Buffer.from(buf.subarray(0, n)));
      await src.close();
      return vdirPathsFromConfig(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return []; // the sweep reports the file itself if it cannot be read
    }
  }

  private whereOf(ref: FileRef): string {
    return `${this.roots[ref.input] ?? ''}${ref.rel}`;
  }

  /** Only files that can give a reason are kept for judging (the rest of a big collection is counted). */
  private worthJudging(f: SweptFile): boolean {
    const loc = locate(f.where, this.vdirs);
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
  judge(logFindings: readonly Finding[], acc: FindingAccumulator, defenderChanges?: ReadonlySet<string>): void {
    const swept = [...this.swept].sort((a, b) => a.input - b.input || (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    new FileJudge(swept, { allow: this.allow, indicators: this.indicatorSet, vdirs: this.vdirs, logFindings, ...(defenderChanges ? { defenderChanges } : {}) }).run(acc);
  }

  stats(): SweepStats {
    return { ...this.stat };
  }
}
