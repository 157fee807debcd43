// `exhunt hunt` as a function: inputs → discovery → per-file scanning (in this thread or in worker
// threads) → findings → verdict → one Report.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { type Clock, isoTime, systemClock } from '../core/clock.js';
import { ERROR_CODES, InputError } from '../core/errors.js';
import type { Coverage, FileCoverage, Finding, Report, ReportContext, ReportError, ReportExposure, Severity, Skipped, SourceCoverage } from '../core/types.js';
import { severityRank } from '../core/types.js';
import { SCHEMA_VERSION, TOOL_VERSION } from '../core/version.js';
import { correlate, pivotKeys } from '../correlate/intrusions.js';
import { computeVerdict } from '../correlate/verdict.js';
import { FindingAccumulator } from '../detect/accumulate.js';
import { discoverInputs } from '../sources/discover.js';
import { DEFAULT_LIMITS, type Limits } from '../sources/types.js';
import { type ScanInit, createScanEnv } from './env.js';
import { runInWorkers } from './pool.js';
import { type FileResult, processFile } from './process-file.js';
import { SigmaRun } from './sigma-run.js';
import { collectionExposure } from './exposure.js';
import { gatherContext } from './pivot.js';
import { type SweepOptions, SweepRun } from './sweep.js';
import { ZipReaderCache } from '../sources/zip.js';
import type { FileRef } from '../sources/types.js';

export interface Progress {
  /** `logs` while logs are read, `files` during the file sweep, `context` while the attacker's other records are gathered. */
  phase: 'logs' | 'files' | 'context';
  filesDone: number;
  files: number;
  bytesDone: number;
  bytes: number;
}

export interface HuntOptions {
  paths: readonly string[];
  /** Exchange install folder (Windows path). Hunted when it exists here; always used to judge OAB paths. */
  exchangePath?: string;
  since?: number;
  until?: number;
  minSeverity?: Severity;
  /** Worker threads; default: one per core for inputs over 64 MiB, else none. */
  threads?: number;
  limits?: Partial<Limits>;
  chunkBytes?: number;
  clock?: Clock;
  onProgress?: (p: Progress) => void;
  onError?: (e: ReportError) => void;
  /** Leave out EVTX records recovered from slack space or damaged chunks. */
  skipRecovered?: boolean;
  /** Sigma rule files and folders, with values for `expand` placeholders. */
  sigma?: { paths: readonly string[]; placeholders?: Record<string, string[]> };
  /** The file sweep (web shells, dumps, archives, hashes); `false` leaves it out. */
  sweep?: SweepOptions | false;
  /** Sweep files only: no log is parsed (exhunt scan-files). */
  filesOnly?: boolean;
  /** Read the logs again for every record of the attacker's addresses (default true). */
  pivot?: boolean;
}

const PARALLEL_THRESHOLD = 64 * 1024 * 1024;
/** The file sweep goes to worker threads from this size on (they compile their own YARA rules). */
const PARALLEL_SWEEP_BYTES = 32 * 1024 * 1024;
const UNREADABLE: ReadonlySet<string> = new Set([ERROR_CODES.read, ERROR_CODES.zip, ERROR_CODES.zipLimit, ERROR_CODES.zipPath]);

function cmpLoc(a: { input: number; file: string; line?: number }, b: { input: number; file: string; line?: number }): number {
  if (a.input !== b.input) return a.input - b.input;
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return (a.line ?? 0) - (b.line ?? 0);
}

/** The folders of a live installation worth reading (logs, and the web folders for the file sweep), when they exist here. */
function liveInstallPaths(exchangePath: string): string[] {
  const drive = process.env['SystemDrive'] ?? 'C:';
  const inetpub = process.platform === 'win32' ? path.join(`${drive}\\`, 'inetpub') : '';
  const candidates = [
    path.join(exchangePath, 'Logging'),
    path.join(exchangePath, 'FrontEnd', 'HttpProxy'),
    path.join(exchangePath, 'ClientAccess'),
    ...(inetpub ? [path.join(inetpub, 'logs', 'LogFiles'), path.join(inetpub, 'wwwroot')] : []),
  ];
  return candidates.filter((p) => existsSync(p));
}

function summariseCoverage(files: FileCoverage[]): Coverage {
  const by = new Map<string, SourceCoverage>();
  let first: string | undefined;
  let last: string | undefined;
  for (const f of files) {
    let s = by.get(f.source);
    if (!s) {
      s = { source: f.source, files: 0, events: 0, parseErrors: 0 };
      by.set(f.source, s);
    }
    s.files++;
    s.events += f.events;
    s.parseErrors += f.parseErrors;
    if (f.first && (!s.first || f.first < s.first)) s.first = f.first;
    if (f.last && (!s.last || f.last > s.last)) s.last = f.last;
    if (f.first && (!first || f.first < first)) first = f.first;
    if (f.last && (!last || f.last > last)) last = f.last;
  }
  const coverage: Coverage = { sources: [...by.values()].sort((a, b) => (a.source < b.source ? -1 : 1)), files };
  if (first) coverage.first = first;
  if (last) coverage.last = last;
  return coverage;
}

export async function hunt(opts: HuntOptions): Promise<Report> {
  const clock = opts.clock ?? systemClock;
  const started = clock.now();
  const limits: Limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const paths = [...opts.paths];
  if (opts.exchangePath) {
    const live = liveInstallPaths(opts.exchangePath);
    if (paths.length === 0 && live.length === 0) {
      throw new InputError(`--exchange-path ${opts.exchangePath}: no Logging folder there on this machine; on a copied collection, give the folder or zip as PATH`);
    }
    paths.push(...live);
  }
  if (paths.length === 0) throw new InputError('nothing to hunt: give a folder, zip or log file (or --demo)');

  const discovery = await discoverInputs(paths, limits);
  const errors: ReportError[] = [...discovery.errors];
  const skipped: Skipped[] = [...discovery.skipped];
  for (const e of discovery.errors) opts.onError?.(e);

  const reportError = (e: ReportError) => {
    errors.push(e);
    opts.onError?.(e);
  };
  const sweep = opts.sweep === false ? undefined : await SweepRun.prepare(opts.sweep ?? {}, reportError);

  const init: ScanInit = { limits };
  if (sweep) init.iocs = sweep.indicators.filter((i) => i.type === 'ip' || i.type === 'user-agent' || i.type === 'url');
  if (opts.skipRecovered) init.skipRecovered = true;
  const sigma = opts.sigma && opts.sigma.paths.length > 0 ? new SigmaRun(opts.sigma.paths, opts.sigma.placeholders ?? {}) : undefined;
  if (sigma) init.sigma = sigma.setup;
  if (opts.exchangePath) init.exchangePath = opts.exchangePath;
  if (opts.since !== undefined) init.since = opts.since;
  if (opts.until !== undefined) init.until = opts.until;
  if (opts.chunkBytes !== undefined) init.chunkBytes = opts.chunkBytes;

  const acc = new FindingAccumulator();
  const coverageFiles: FileCoverage[] = [];
  const totalBytes = discovery.files.reduce((n, f) => n + f.size, 0);
  const progress: Progress = { phase: 'logs', filesDone: 0, files: discovery.files.length, bytesDone: 0, bytes: totalBytes };
  const notLogs: FileRef[] = [];
  const refOf = new Map<string, FileRef>(discovery.files.map((f) => [`${f.input}\0${f.rel}`, f]));
  let lines = 0;
  let parsedLines = 0;
  let bytes = 0;
  const sizeOf = new Map<string, number>(discovery.files.map((f) => [`${f.input}\0${f.rel}`, f.size]));
  const onFile = (r: FileResult, state: ReturnType<FindingAccumulator['state']>) => {
    acc.merge(state);
    sigma?.collect(state, r.input, r.rel, reportError);
    if (r.coverage) coverageFiles.push(r.coverage);
    // A file that could not even be read (a zip entry that lies, a vanished file) is not read again.
    else if (sweep && !r.recognised && !r.errors.some((e) => UNREADABLE.has(e.code))) notLogs.push(refOf.get(`${r.input}\0${r.rel}`)!);
    if (r.skipped) skipped.push(r.skipped);
    for (const e of r.errors) reportError(e);
    lines += r.lines;
    parsedLines += r.parsedLines;
    bytes += r.bytes;
    progress.filesDone++;
    progress.bytesDone += sizeOf.get(`${r.input}\0${r.rel}`) ?? r.bytes;
    opts.onProgress?.({ ...progress });
  };

  const threads = opts.threads ?? (totalBytes >= PARALLEL_THRESHOLD && discovery.files.length > 1 ? availableParallelism() : 1);
  if (opts.filesOnly) {
    notLogs.push(...discovery.files);
  } else if (threads > 1 && discovery.files.length > 1) {
    await runInWorkers(discovery.files, init, threads, onFile);
  } else {
    // In this thread the rules compiled for the run serve the scan too.
    const env = createScanEnv(init, sigma?.set);
    try {
      for (const ref of discovery.files) {
        const r = await processFile(ref, env);
        onFile(r, env.engine.drain());
      }
    } finally {
      await env.zips.close();
    }
  }

  sigma?.finish(acc, reportError);

  // Before the sweep is judged: a configuration file that holds a complete Microsoft mitigation was
  // changed by the defender, not the intruder.
  const exposureRefs = [...new Set([...discovery.files, ...(sweep ? notLogs : [])])];
  const exposureZips = new ZipReaderCache();
  let exposure: ReportExposure | undefined;
  try {
    exposure = await collectionExposure(exposureRefs, exposureZips, (r) => r.rel, clock.now());
  } finally {
    await exposureZips.close();
  }
  const mitigated = new Set((exposure?.mitigations ?? []).filter((m) => m.complete).map((m) => m.file));
  const defenderChanges = new Set(exposureRefs.filter((r) => mitigated.has(r.rel)).map((r) => `${r.input}\0${r.rel}`));

  if (sweep) {
    const refs = [...notLogs, ...discovery.containers].sort((a, b) => a.input - b.input || (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    const swept: Progress = { phase: 'files', filesDone: 0, files: refs.length, bytesDone: 0, bytes: refs.reduce((n, f) => n + f.size, 0) };
    const zips = new ZipReaderCache();
    try {
      await sweep.sweep(refs, zips, {
        error: reportError,
        skipped: (s) => skipped.push(s),
        done: (ref) => {
          swept.filesDone++;
          swept.bytesDone += ref.size;
          opts.onProgress?.({ ...swept });
        },
      }, {
        containers: new Set(discovery.containers),
        inputs: discovery.inputs,
        threads: opts.threads ?? (swept.bytes >= PARALLEL_SWEEP_BYTES && refs.length > 1 ? availableParallelism() : 1),
        now: () => clock.now(),
      });
    } finally {
      await zips.close();
    }
    sweep.judge(acc.findings(), acc, defenderChanges);
  }

  for (const [rule, n] of Object.entries(acc.droppedRecords())) {
    reportError({ input: 0, file: '', code: ERROR_CODES.limit, message: `rule ${rule} matched more distinct subjects than a report can list; ${n} further records were counted out` });
  }

  const all = acc.findings();
  const min = opts.minSeverity ?? 'low';
  const findings: Finding[] = all.filter((f) => severityRank(f.severity) >= severityRank(min));
  coverageFiles.sort(cmpLoc);
  const coverage = summariseCoverage(coverageFiles);

  // Correlation: the attacker's other records, then findings grouped into intrusions.
  const keys = pivotKeys(all);
  let context: ReportContext | undefined;
  if (opts.pivot !== false && coverageFiles.length > 0 && keys.ips.length + keys.canaries.length > 0) {
    const pivoted: Progress = { phase: 'context', filesDone: 0, files: coverageFiles.length, bytesDone: 0, bytes: coverageFiles.reduce((n, f) => n + (sizeOf.get(`${f.input}\0${f.file}`) ?? f.bytes), 0) };
    opts.onProgress?.({ ...pivoted });
    const evidence = new Set(all.flatMap((f) => f.evidence.map((e) => `${e.input}\0${e.file}\0${e.offset}`)));
    context = await gatherContext({ keys, files: discovery.files, coverage, init, threads, evidence, onFile: (ref) => {
      pivoted.filesDone++;
      pivoted.bytesDone += ref.size;
      opts.onProgress?.({ ...pivoted });
    } });
  }
  const correlation = correlate(all, context?.events ?? [], coverage);
  if (context) context.events = correlation.context;
  const options: Report['options'] = { minSeverity: min };
  const since = opts.since !== undefined ? isoTime(opts.since) : undefined;
  const until = opts.until !== undefined ? isoTime(opts.until) : undefined;
  if (since) options.since = since;
  if (until) options.until = until;
  const finished = clock.now();
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'exhunt', version: TOOL_VERSION },
    generatedAt: new Date(finished).toISOString(),
    inputs: discovery.inputs,
    options,
    coverage,
    verdict: computeVerdict(all, coverage, sweep ? { files: sweep.stats().files, filesOnly: opts.filesOnly === true } : undefined, correlation.intrusions),
    findings,
    errors: errors.sort((a, b) => cmpLoc(a, b) || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)),
    skipped: (sweep ? skipped.filter((s) => !(s.reason.startsWith('not a log format') || s.reason === 'empty file') || !sweep.read(s.input, s.file)) : skipped).sort(cmpLoc),
    stats: { files: discovery.files.length, bytes: bytes + (sweep?.stats().bytes ?? 0), lines, parsedLines, durationMs: finished - started, threads: Math.max(1, Math.min(threads, discovery.files.length)),
      belowThreshold: all.length - findings.length,
      ...(sigma ? { sigmaRules: sigma.stats() } : {}),
      ...(sweep ? { sweep: sweep.stats() } : {}),
    },
    ...(exposure ? { exposure } : {}),
    intrusions: correlation.intrusions,
    ...(context ? { context } : {}),
  };
}
