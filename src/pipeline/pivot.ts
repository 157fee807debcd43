// The pivot pass: after detection, the logs are read again for every record of the attacker's
// addresses and of the ECP sessions their records carry (detect/pivot.ts). The byte
// prefilter looks only for those values, so the second read costs little beside the first. ECP
// sessions found in this pass (the attacker's HttpProxy rows name them) pull in the ECP Server lines
// of the same session in a short third pass over those logs alone.
import type { ContextEvent, Coverage, FileCoverage, ReportContext } from '../core/types.js';
import type { AccumulatorState } from '../detect/accumulate.js';
import type { PivotSpec } from '../detect/pivot.js';
import type { FileRef } from '../sources/types.js';
import { type ScanInit, createScanEnv } from './env.js';
import { runInWorkers } from './pool.js';
import { processFile } from './process-file.js';

/** Context records kept in a report; the rest are counted. */
export const CONTEXT_KEEP = 20_000;
const PER_FILE = CONTEXT_KEEP;
const PIVOT_SOURCES = new Set(['iis', 'exchange-httpproxy', 'exchange-rps-http', 'exchange-ecp-server', 'evtx']);

function cmpContext(a: ContextEvent, b: ContextEvent): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.evidence.input !== b.evidence.input) return a.evidence.input - b.evidence.input;
  if (a.evidence.file !== b.evidence.file) return a.evidence.file < b.evidence.file ? -1 : 1;
  return a.evidence.offset - b.evidence.offset;
}

async function pass(refs: readonly FileRef[], init: ScanInit, threads: number, done?: (ref: FileRef) => void): Promise<{ events: ContextEvent[]; total: number }> {
  const events: ContextEvent[] = [];
  let total = 0;
  const take = (acc: AccumulatorState) => {
    if (!acc.context) return;
    total += acc.context.total;
    events.push(...acc.context.events);
  };
  if (threads > 1 && refs.length > 1) {
    const byKey = new Map(refs.map((r) => [`${r.input}\0${r.rel}`, r]));
    await runInWorkers(refs, init, threads, (r, acc) => {
      take(acc);
      const ref = byKey.get(`${r.input}\0${r.rel}`);
      if (ref) done?.(ref);
    });
  } else {
    const env = createScanEnv(init);
    try {
      for (const ref of refs) {
        await processFile(ref, env);
        take(env.engine.drain());
        done?.(ref);
      }
    } finally {
      await env.zips.close();
    }
  }
  return { events, total };
}

export interface PivotRun {
  keys: Omit<PivotSpec, 'maxPerFile'>;
  /** The log files of the first pass, with the kind each was read as. */
  files: readonly FileRef[];
  coverage: Coverage;
  init: ScanInit;
  threads: number;
  /** Records already evidence of a finding (by `input\0file\0offset`): not repeated as context. */
  evidence: ReadonlySet<string>;
  /** Called after each file of the main pass (progress). */
  onFile?: (ref: FileRef) => void;
}

export async function gatherContext(run: PivotRun): Promise<ReportContext> {
  const sourceOf = new Map<string, FileCoverage['source']>(run.coverage.files.map((f) => [`${f.input}\0${f.file}`, f.source]));
  const logs = run.files.filter((r) => PIVOT_SOURCES.has(sourceOf.get(`${r.input}\0${r.rel}`) ?? ''));
  const base: ScanInit = { ...run.init, pivot: { ...run.keys, maxPerFile: PER_FILE } };
  delete base.sigma;
  delete base.iocs;
  const first = await pass(logs, base, run.threads, run.onFile);
  const known = new Set(run.keys.canaries);
  const fresh = [...new Set(first.events.map((e) => e.canary).filter((c): c is string => !!c && !known.has(c)))].sort();
  let { events, total } = first;
  if (fresh.length > 0) {
    const ecp = logs.filter((r) => sourceOf.get(`${r.input}\0${r.rel}`) === 'exchange-ecp-server');
    const second = await pass(ecp, { ...base, pivot: { ips: [], canaries: fresh.slice(0, 100), maxPerFile: PER_FILE } }, 1);
    events = [...events, ...second.events];
    total += second.total;
  }
  // A record that is already a finding's evidence is in the report; it is not repeated as context.
  let evidence = 0;
  const kept: ContextEvent[] = [];
  for (const e of events.sort(cmpContext)) {
    if (run.evidence.has(`${e.evidence.input}\0${e.evidence.file}\0${e.evidence.offset}`)) evidence++;
    else kept.push(e);
  }
  return { ips: run.keys.ips, events: kept.slice(0, CONTEXT_KEEP), total: total - evidence };
}
