// Exact build → product, CU, security update and the open CVEs, offline. The rule is HealthChecker's
// (CSS-Exchange Invoke-AnalyzerSecurityCveCheck.ps1 and Test-ExchangeBuildGreaterOrEqualThanSecurityPatch),
// as written down in shared/reference/data/README.md: with F the CU lines that received a fixing SU
// and Fmax the fix on the newest of them, build B is open iff B < Fmax and not (B's CU line is in F and
// B ≥ its fix). A security update keeps its CU's build part, so "B's CU line is in F" is a comparison
// of major.minor.build.
import { UsageError } from '../core/errors.js';
import { type LoadedBuild, type LoadedDatabase, type LoadedFix, buildDatabase } from './db.js';
import { type ExchangeVersion, compareVersions, formatLongVersion, formatVersion, parseExchangeVersion, sameBuildLine } from './version.js';

/** Microsoft lifecycle end of (extended) support; Exchange SE follows the Modern Lifecycle Policy. */
export const SUPPORT_ENDS: Readonly<Record<string, string | null>> = {
  'Exchange 2010': '2020-10-13',
  'Exchange 2013': '2023-04-11',
  'Exchange 2016': '2025-10-14',
  'Exchange 2019': '2025-10-14',
  'Exchange SE': null,
};

/** Extended Protection (the fix for CVE-2024-21410) can be enabled from Exchange 2016 CU23 Aug22SU. */
const EP_MIN_2016 = parseExchangeVersion('15.1.2507.12');
const CU_LEVEL = /^(RTM|Preview|SP1|SP3|CU\d+|SP3 RU\d+(v\d)?)$/;

export type Verdict = 'patched' | 'vulnerable' | 'outdated-unsupported' | 'unknown';

export interface OpenCve {
  id: string;
  name: string;
  /** The update that closes it for this build, with its build number. */
  fixedIn: string;
  kb: string;
  /** Set when the CVE is open only under a condition (a role, a configuration). */
  condition?: string;
}

export interface Candidate {
  build: string;
  su: string | null;
  releaseDate: string;
  cves: string[];
}

export interface BuildAssessment {
  input: string;
  build: string;
  buildLong: string;
  /** False for a three-part build: the security update is not known. */
  exact: boolean;
  product: string;
  cu: string;
  su: string | null;
  releaseDate: string | null;
  kb: string | null;
  supported: boolean;
  supportEnds: string | null;
  /** Open CVEs (for a three-part build: open whatever the security update). */
  cves: OpenCve[];
  /** Three-part builds only: CVEs open on some of the security updates of that CU. */
  suDependent: OpenCve[];
  /** Three-part builds only: the known builds of that CU. */
  candidates: Candidate[];
  latest: { build: string; update: string; releaseDate: string };
  verdict: Verdict;
  summary: string;
  notes: string[];
}

export interface AssessOptions {
  now?: number;
  db?: LoadedDatabase;
}

export function productLine(v: ExchangeVersion): string | undefined {
  if (v.major === 14 && v.minor === 3) return 'Exchange 2010';
  if (v.major !== 15) return undefined;
  if (v.minor === 0) return 'Exchange 2013';
  if (v.minor === 1) return 'Exchange 2016';
  if (v.minor === 2) return v.build >= 2562 ? 'Exchange SE' : 'Exchange 2019';
  return undefined;
}

function isCuRow(b: LoadedBuild): boolean {
  return CU_LEVEL.test(b.update);
}

/** The CU row of a build: the CU with the highest base build ≤ B on its product line. */
function cuOf(rows: readonly LoadedBuild[], v: ExchangeVersion): LoadedBuild | undefined {
  let best: LoadedBuild | undefined;
  for (const r of rows) {
    if (!isCuRow(r) || compareVersions(r.version, v) > 0) continue;
    if (!best || compareVersions(r.version, best.version) > 0) best = r;
  }
  return best;
}

function cuName(cuRow: LoadedBuild): string {
  return cuRow.update;
}

function suName(row: LoadedBuild | undefined, cu: string): string | null {
  if (!row || row.update === cu || isCuRow(row)) return null;
  return row.update.startsWith(`${cu} `) ? row.update.slice(cu.length + 1) : row.update;
}

/** Kind (a) rows: a specific CU that received a fixing build (an SU, or for 2010 the RU). */
function fixedLines(fixes: readonly LoadedFix[]): LoadedFix[] {
  return fixes.filter((f) => f.version && !/and later|and older|^all$|^RTM-|except/i.test(f.cu) && !/^(n\/a|none|not affected)/i.test(f.fixingUpdate));
}

function describeFix(f: LoadedFix): string {
  let what: string;
  if (/and later$/i.test(f.cu)) what = `${f.cu.replace(/ and later$/i, '')} or later`;
  else if (/^upgrade to /i.test(f.fixingUpdate)) what = f.fixingUpdate.replace(/^upgrade to /i, '');
  else what = f.fixingUpdate.startsWith(f.cu) ? f.fixingUpdate : `${f.cu} ${f.fixingUpdate}`;
  return `${what} (${f.fixBuild})`;
}

/** Is this CVE open on build v of product? Undefined = closed / not affected. */
function openCve(cve: string, product: string, v: ExchangeVersion, db: LoadedDatabase): OpenCve | undefined {
  const rows = db.fixes.filter((f) => f.cve === cve && f.product === product);
  const name = db.fixes.find((f) => f.cve === cve)?.name ?? '';
  if (cve === 'CVE-2024-21410' && product === 'Exchange 2016') {
    const fixedIn = 'enable Extended Protection (needs CU23 Aug22SU 15.1.2507.12 or later)';
    if (compareVersions(v, EP_MIN_2016) < 0) return { id: cve, name, fixedIn, kb: '' };
    return { id: cve, name, fixedIn, kb: '', condition: 'open unless Extended Protection is enabled on every virtual directory' };
  }
  const F = fixedLines(rows);
  if (F.length === 0) return undefined;
  const fmax = F.reduce((a, b) => (compareVersions(b.version!, a.version!) > 0 ? b : a));
  if (compareVersions(v, fmax.version!) >= 0) return undefined;
  const own = F.find((f) => sameBuildLine(f.version!, v));
  if (own && compareVersions(v, own.version!) >= 0) return undefined;
  // The fix for this build: its own CU's SU, else the first CU that includes it, else the newest SU.
  const later = rows.find((f) => /and later/i.test(f.cu) && f.version && !/^n\/a$/i.test(f.fixingUpdate));
  const fix = own ?? later ?? fmax;
  const open: OpenCve = { id: cve, name, fixedIn: describeFix(fix), kb: fix.kb };
  if (cve === 'CVE-2021-26857' && product === 'Exchange 2010') open.condition = 'only with the Unified Messaging role installed';
  if (cve === 'CVE-2024-21410') open.fixedIn += ', with Extended Protection left enabled';
  return open;
}

/** The CVEs exhunt tracks, in the order of the data file. */
export function trackedCves(db: LoadedDatabase = buildDatabase()): { id: string; name: string }[] {
  const seen = new Map<string, string>();
  for (const f of db.fixes) if (!seen.has(f.cve)) seen.set(f.cve, f.name);
  return [...seen].map(([id, name]) => ({ id, name }));
}

function openCves(product: string, v: ExchangeVersion, db: LoadedDatabase): OpenCve[] {
  return trackedCves(db).flatMap((c) => openCve(c.id, product, v, db) ?? []);
}

function verdictOf(open: readonly OpenCve[], supported: boolean, uncertain: boolean): Verdict {
  if (open.some((c) => c.condition === undefined)) return 'vulnerable';
  if (!supported) return 'outdated-unsupported';
  return uncertain ? 'unknown' : 'patched';
}

function names(cves: readonly OpenCve[]): string {
  const groups = [...new Set(cves.map((c) => (/^(Proxy\w+|OWASSRF)/.exec(c.name)?.[1] ?? c.id)))];
  return groups.length > 4 ? `${groups.slice(0, 4).join(', ')}…` : groups.join(', ');
}

function summaryOf(a: Omit<BuildAssessment, 'summary'>, tracked: number): string {
  const what = `${a.product} ${a.cu}${a.su ? ` ${a.su}` : ''} (${a.build})`;
  const hard = a.cves.filter((c) => c.condition === undefined);
  const eol = a.supported ? '' : ` ${a.product} is out of support since ${a.supportEnds}.`;
  switch (a.verdict) {
    case 'vulnerable':
      return `VULNERABLE: ${what} is open to ${hard.length} CVE${hard.length === 1 ? '' : 's'}${a.exact ? '' : ' whatever its security update'} (${names(hard)}); update to ${a.latest.update} ${a.latest.build} or later.${eol}`;
    case 'outdated-unsupported':
      return `OUTDATED: ${what} has no open CVE among those exhunt tracks${a.suDependent.length > 0 ? ` if its latest security update is installed (else ${names(a.suDependent)})` : ''}, but ${a.product} gets no more security updates (support ended ${a.supportEnds}); migrate to Exchange SE.`;
    case 'unknown':
      return `DEPENDS ON THE SECURITY UPDATE: ${what} is open to ${names(a.suDependent)} unless a later security update is installed; read the full build (ExSetup.exe FileVersion).`;
    default:
      return `PATCHED: ${what} has no open CVE among the ${tracked} exhunt tracks.`;
  }
}

/** Assesses a version string; throws a UsageError for a malformed or unknown version. */
export function assessBuild(input: string, opts: AssessOptions = {}): BuildAssessment {
  const db = opts.db ?? buildDatabase();
  const now = opts.now ?? Date.now();
  const v = parseExchangeVersion(input);
  const product = productLine(v);
  if (!product) {
    throw new UsageError(`${formatVersion(v)} is not a known Exchange Server version line (14.3 = 2010 SP3, 15.0 = 2013, 15.1 = 2016, 15.2 = 2019 and SE)`);
  }
  const rows = db.builds.filter((b) => b.product === product);
  const line = rows.filter((b) => sameBuildLine(b.version, v)).sort((a, b) => compareVersions(a.version, b.version));
  if (line.length === 0) {
    throw new UsageError(`${formatVersion(v)} is not a known ${product} build: no CU or update has build number ${v.build} (the table ends with releases of ${db.newestRelease})`);
  }
  const exact = v.revision !== undefined && !v.adminDisplay;
  const cuRow = cuOf(rows, exact ? v : { ...v, revision: Number.MAX_SAFE_INTEGER }) ?? line[0]!;
  const cu = cuName(cuRow);
  const supportEnds = SUPPORT_ENDS[product] ?? null;
  const supported = supportEnds === null || now < Date.parse(`${supportEnds}T00:00:00Z`);
  const latestRow = rows.reduce((a, b) => (compareVersions(b.version, a.version) > 0 ? b : a));
  const latest = { build: latestRow.build, update: latestRow.update, releaseDate: latestRow.date };
  const notes: string[] = [];
  let base: Omit<BuildAssessment, 'summary' | 'verdict'>;
  if (exact) {
    const row = line.find((r) => compareVersions(r.version, v) === 0);
    if (!row) {
      const below = line.filter((r) => compareVersions(r.version, v) < 0).at(-1);
      notes.push(`${formatVersion(v)} is not in the build table (releases up to ${db.newestRelease})${below ? `; it is later than ${below.update} ${below.build}` : ''}: judged by its number.`);
    } else if (row.note) {
      notes.push(row.note);
    }
    base = {
      input, build: formatVersion(v), buildLong: formatLongVersion(v), exact: true, product, cu,
      su: row ? suName(row, cu) : 'unlisted update', releaseDate: row?.date ?? null, kb: row?.kb || null,
      supported, supportEnds, cves: openCves(product, v, db), suDependent: [], candidates: [], latest, notes,
    };
  } else {
    const candidates = line.map((r) => ({ row: r, open: openCves(product, r.version, db) }));
    // Open on every candidate, in the form of the newest one (a condition there applies to all).
    const newest = candidates.at(-1)!.open;
    const openOnAll = newest.filter((c) => candidates.every((k) => k.open.some((o) => o.id === c.id)));
    const dependent = new Map<string, OpenCve>();
    for (const k of candidates) for (const c of k.open) if (!openOnAll.some((o) => o.id === c.id)) dependent.set(c.id, c);
    if (v.adminDisplay) notes.push('AdminDisplayVersion (Get-ExchangeServer) names the CU and never the security update, so only the build part is used.');
    notes.push(`${v.adminDisplay ? 'So' : 'A three-part build shows the CU only:'} ${line.length} known build${line.length === 1 ? '' : 's'} share${line.length === 1 ? 's' : ''} it. Read ExSetup.exe's FileVersion for the exact one.`);
    base = {
      input, build: formatVersion(v), buildLong: formatLongVersion(v), exact: false, product, cu, su: null,
      releaseDate: cuRow.date, kb: cuRow.kb || null, supported, supportEnds, cves: openOnAll, suDependent: [...dependent.values()],
      candidates: candidates.map((k) => ({ build: k.row.build, su: suName(k.row, cu), releaseDate: k.row.date, cves: k.open.map((c) => c.id) })),
      latest, notes,
    };
  }
  if (product === 'Exchange 2016' || product === 'Exchange 2019') {
    if (!supported) notes.push(`Security updates released after ${supportEnds} are Extended Security Updates (paid programme).`);
  }
  const verdict = verdictOf(base.cves, supported, base.suDependent.some((c) => c.condition === undefined));
  const partial = { ...base, verdict };
  return { ...partial, summary: summaryOf(partial, trackedCves(db).length) };
}
