// Was the server open, and was it mitigated? From the collection itself: the `#Version:` header
// every Exchange log starts with is the build of the server that wrote it (so the logs show when
// an update was installed), and a collected applicationHost.config or web.config shows whether
// Microsoft's interim URL Rewrite mitigations were in place, at least since the file's time.
import { UsageError } from '../core/errors.js';
import type { ExposureBuild, ExposureCve, ExposureMitigation, ReportExposure } from '../core/types.js';
import { assessBuild } from '../exposure/assess.js';
import { findMitigationsInConfig } from '../exposure/mitigation-config.js';
import { MITIGATIONS } from '../exposure/mitigations.js';
import { compareVersions, parseExchangeVersion } from '../exposure/version.js';
import { openSource } from '../sources/open.js';
import { readHead } from '../sources/bytes.js';
import type { FileRef } from '../sources/types.js';
import type { ZipReaderCache } from '../sources/zip.js';

const LOG = /(^|\/)logging\/.+\.log$/i;
const CONFIG = /(^|\/)(applicationhost|web)\.config$/i;
/** Builds change rarely: the headers of this many logs, spread over the collection, are enough. */
const MAX_LOG_HEADS = 2000;
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

function spread<T>(xs: readonly T[], n: number): T[] {
  if (xs.length <= n) return [...xs];
  return Array.from({ length: n }, (_, i) => xs[Math.floor((i * (xs.length - 1)) / (n - 1))]!);
}

async function readText(ref: FileRef, zips: ZipReaderCache, max: number): Promise<string | undefined> {
  try {
    const src = await openSource(ref, zips);
    try {
      return (await readHead(src, Math.min(max, Math.max(1, ref.size)))).toString('utf8');
    } finally {
      await src.close();
    }
  } catch {
    return undefined; // the log reader or the sweep reports a file that cannot be read
  }
}

async function buildsFromLogs(refs: readonly FileRef[], zips: ZipReaderCache, name: (r: FileRef) => string): Promise<ExposureBuild[]> {
  const byBuild = new Map<string, ExposureBuild>();
  for (const ref of spread(refs.filter((r) => LOG.test(r.rel)).sort((a, b) => (a.rel < b.rel ? -1 : 1)), MAX_LOG_HEADS)) {
    const head = await readText(ref, zips, 4096);
    const version = head && /^#Version:\s*(\d{1,2}\.\d{1,2}\.\d{1,5}\.\d{1,5})\s*$/m.exec(head)?.[1];
    if (!version || /^\d+\.\d+\.0+\.0+$/.test(version)) continue; // a log format version, not a build
    let build: string;
    try {
      const v = parseExchangeVersion(version);
      build = `${v.major}.${v.minor}.${v.build}.${v.revision}`;
    } catch {
      continue;
    }
    const date = /^#Date:\s*(\d{4}-\d{2}-\d{2}T[\d:.]+Z?)\s*$/m.exec(head)?.[1];
    const when = date && !Number.isNaN(Date.parse(date)) ? new Date(Date.parse(date)).toISOString() : null;
    const b = byBuild.get(build) ?? { build, firstSeen: null, lastSeen: null, files: 0, example: name(ref) };
    b.files++;
    if (when && (b.firstSeen === null || when < b.firstSeen)) b.firstSeen = when;
    if (when && (b.lastSeen === null || when > b.lastSeen)) b.lastSeen = when;
    byBuild.set(build, b);
  }
  return [...byBuild.values()].sort((a, b) => compareVersions(parseExchangeVersion(a.build), parseExchangeVersion(b.build)));
}

async function mitigationsFromConfig(refs: readonly FileRef[], zips: ZipReaderCache, name: (r: FileRef) => string): Promise<ExposureMitigation[]> {
  const out: ExposureMitigation[] = [];
  for (const ref of refs.filter((r) => CONFIG.test(r.rel) && r.size <= MAX_CONFIG_BYTES)) {
    const text = await readText(ref, zips, MAX_CONFIG_BYTES);
    if (!text || !/rewrite/i.test(text)) continue;
    for (const m of findMitigationsInConfig(text)) {
      const def = MITIGATIONS.find((d) => d.id === m.id)!;
      out.push({
        id: m.id, title: def.title, cves: [...def.cves, ...def.chainCves], file: name(ref), ...(m.location ? { location: m.location } : {}),
        complete: m.complete, problems: m.problems, since: ref.mtimeMs === undefined ? null : new Date(ref.mtimeMs).toISOString(),
      });
    }
  }
  return out;
}

function summarize(e: Omit<ReportExposure, 'summary'>, assessed: string | undefined): string {
  const where = e.build ? `${e.product} ${e.cu}${e.su ? ` ${e.su}` : ''} (${e.build}, from the logs' #Version header)` : '';
  const open = e.cves.filter((c) => c.condition === undefined);
  const blocked = open.filter((c) => c.mitigatedBy);
  switch (e.verdict) {
    case 'mitigated':
      return `MITIGATED, NOT PATCHED: ${where} is open to ${open.map((c) => c.id).join(', ')}, each blocked by an interim URL Rewrite mitigation in place since ${e.mitigations.find((m) => m.complete)?.since ?? 'an unknown time'}; install the update.`;
    case 'vulnerable':
      return `${assessed ?? ''}${blocked.length > 0 ? ` ${blocked.length} of the open CVEs are blocked by an interim mitigation found in the IIS configuration.` : ''} (Build from the logs' #Version header.)`.trim();
    case 'unknown':
      return e.build ? `UNKNOWN: ${e.build} from the logs is not in exhunt's build table.` : 'UNKNOWN: the collection shows no build (no Exchange log with a #Version header).';
    default:
      return assessed ?? '';
  }
}

/** Exposure of the collected server, or undefined when the collection shows neither build nor mitigation. */
export async function collectionExposure(refs: readonly FileRef[], zips: ZipReaderCache, name: (r: FileRef) => string, now: number): Promise<ReportExposure | undefined> {
  const builds = await buildsFromLogs(refs, zips, name);
  const mitigations = await mitigationsFromConfig(refs, zips, name);
  if (builds.length === 0 && mitigations.length === 0) return undefined;
  const latest = builds.at(-1);
  const base: Omit<ReportExposure, 'summary'> = { build: null, product: null, cu: null, su: null, supported: null, cves: [], verdict: 'unknown', builds, mitigations };
  let assessed: string | undefined;
  if (latest) {
    base.build = latest.build;
    try {
      const a = assessBuild(latest.build, { now });
      const complete = mitigations.filter((m) => m.complete);
      const cves: ExposureCve[] = a.cves.map((c) => {
        const by = complete.find((m) => m.cves.includes(c.id));
        return { ...c, ...(by ? { mitigatedBy: by.id } : {}) };
      });
      const open = cves.filter((c) => c.condition === undefined);
      Object.assign(base, { product: a.product, cu: a.cu, su: a.su, supported: a.supported, cves });
      base.verdict = a.verdict === 'vulnerable' && open.length > 0 && open.every((c) => c.mitigatedBy) ? 'mitigated' : a.verdict;
      assessed = a.summary;
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
    }
  }
  return { ...base, summary: summarize(base, assessed) };
}
