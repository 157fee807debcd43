// The scan job: scan the targets given, or every known server of the organisation, strictly inside
// the address ranges the organisation registered. Every target is checked against that scope before
// anything is sent: addresses here, up front (refusals are listed in the result), and host names by
// scanTargets, which connects only to an address it has checked. The results are recorded as
// observations observed at the job's first start, so a retry after a crash records the same
// observations again (as duplicates) instead of new ones.
import { isIP } from 'node:net';
import { UsageError, errorMessage } from '../../core/errors.js';
import { type HostResult, scanTargets } from '../../exposure/scan/scanner.js';
import { Scope } from '../../exposure/scan/scope.js';
import { type Target, type TargetDefaults, expandTarget } from '../../exposure/scan/targets.js';
import { ingestScanHosts } from '../ingest/scan-results.js';
import { InvalidInput, organisationScope, rangesOf } from '../store/orgs.js';
import type { JobContext, JobHandler, JobOutcome, RunningJob, ScanJobPayload } from './queue.js';

export interface ScanSettings {
  /** Hosts scanned at once within one job. */
  concurrency: number;
  /** Requests per second over one job; 0 = no limit. */
  rate: number;
  timeoutMs: number;
  retries: number;
}

/** Modest: a job runs unattended against other people's servers. */
export const DEFAULT_SCAN_SETTINGS: ScanSettings = { concurrency: 8, rate: 10, timeoutMs: 10_000, retries: 1 };

/** The largest range one target may name (a /16). */
export const MAX_HOSTS_PER_TARGET = 65_536;
/** Hosts one job scans at most: a job's targets are expanded in memory, and a queue is shared. */
export const MAX_HOSTS_PER_JOB = 4096;
const MAX_TARGETS = 1000;
/** Refusals listed in a job's result; past this they are only counted. */
const MAX_LISTED = 100;

export interface Refusal {
  target: string;
  reason: string;
}

export interface ScanJobResult {
  targets: number;
  refused: number;
  refusals: Refusal[];
  scanned: number;
  exchange: number;
  vulnerable: number;
  errors: number;
  requests: number;
  durationMs: number;
  recorded: Awaited<ReturnType<typeof ingestScanHosts>> | null;
}

function defaultsOf(p: ScanJobPayload): TargetDefaults {
  return p.port === undefined ? { tls: p.http !== true } : { tls: p.http !== true, port: p.port };
}

/** The payload as the queue stores it; throws InvalidInput naming what is wrong. */
export function checkScanPayload(p: unknown): ScanJobPayload {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new InvalidInput('a scan job needs an object { targets?, http?, port? }');
  const { targets, http, port } = p as Record<string, unknown>;
  const out: ScanJobPayload = {};
  if (http !== undefined) {
    if (typeof http !== 'boolean') throw new InvalidInput('http must be true or false');
    out.http = http;
  }
  if (port !== undefined) {
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidInput('port must be 1-65535');
    out.port = port;
  }
  if (targets !== undefined) {
    if (!Array.isArray(targets) || !targets.every((t) => typeof t === 'string' && t.trim() !== '' && t.length <= 300)) {
      throw new InvalidInput('targets must be a list of addresses, host:port, URLs or CIDR ranges');
    }
    if (targets.length > MAX_TARGETS) throw new InvalidInput(`at most ${MAX_TARGETS} targets per job`);
    for (const t of targets as string[]) {
      try {
        // The first step checks the syntax and, for a range, its size.
        expandTarget(t, defaultsOf(out), MAX_HOSTS_PER_TARGET).next();
      } catch (err) {
        throw new InvalidInput(errorMessage(err));
      }
    }
    out.targets = (targets as string[]).map((t) => t.trim());
  }
  return out;
}

/** The organisation's known servers as targets (servers keep no scheme: port 80 is plain HTTP). */
async function knownServers(ctx: JobContext, orgId: string, p: ScanJobPayload): Promise<Target[]> {
  const rows = await ctx.db.selectFrom('servers').select(['address', 'port']).where('org_id', '=', orgId).orderBy('address').execute();
  return rows.map((r) => {
    const port = r.port ?? p.port ?? (p.http ? 80 : 443);
    return { given: isIP(r.address) === 6 ? `[${r.address}]:${port}` : `${r.address}:${port}`, host: r.address, port, tls: port !== 80 && p.http !== true };
  });
}

interface Placed {
  inScope: Target[];
  refusals: Refusal[];
  refused: number;
}

/**
 * Splits the targets into those inside the scope and refusals (a range's outside addresses as one):
 * each host:port once, at most MAX_HOSTS_PER_JOB of them. `owns` drops addresses inside the
 * organisation's ranges that a more specific range gives to another organisation.
 */
async function placeTargets(specs: readonly string[] | Target[], p: ScanJobPayload, scope: Scope, owns: (address: string) => Promise<boolean>): Promise<Placed> {
  const placed: Placed = { inScope: [], refusals: [], refused: 0 };
  const seen = new Set<string>();
  const refuse = (target: string, reason: string, count = 1): void => {
    placed.refused += count;
    if (placed.refusals.length < MAX_LISTED) placed.refusals.push({ target, reason });
  };
  for (const spec of specs) {
    const given = typeof spec === 'string' ? spec : spec.given;
    if (placed.inScope.length >= MAX_HOSTS_PER_JOB) {
      refuse(given, `the job already holds ${MAX_HOSTS_PER_JOB} hosts, the most one job scans; queue another job for the rest`);
      continue;
    }
    let outside = 0;
    let others = 0;
    let total = 0;
    try {
      const expanded: Iterable<Target> = typeof spec === 'string' ? expandTarget(spec, defaultsOf(p), MAX_HOSTS_PER_TARGET) : [spec];
      for (const t of expanded) {
        if (placed.inScope.length >= MAX_HOSTS_PER_JOB) break;
        const key = `${t.host}|${t.port}`;
        if (seen.has(key)) continue;
        seen.add(key);
        total++;
        // Names are checked by scanTargets once resolved; addresses here, before anything is sent.
        if (isIP(t.host) !== 0 && !scope.allowsAddress(t.host)) outside++;
        else if (isIP(t.host) !== 0 && !(await owns(t.host))) others++;
        else placed.inScope.push(t);
      }
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      refuse(given, err.message);
      continue;
    }
    if (outside === 1 && total === 1) refuse(given, "outside the organisation's registered ranges; nothing was sent");
    else if (outside > 0) refuse(given, `${outside} of ${total} addresses are outside the organisation's registered ranges; nothing was sent to them`, outside);
    if (others > 0) refuse(given, `${others} of ${total} addresses belong to another organisation's more specific range; nothing was sent to them`, others);
  }
  return placed;
}

export function scanJobHandler(settings: Partial<ScanSettings> = {}): JobHandler {
  const s: ScanSettings = { ...DEFAULT_SCAN_SETTINGS, ...settings };
  return async (job: RunningJob, ctx: JobContext): Promise<JobOutcome> => {
    const orgId = job.orgId;
    const org = orgId === null ? undefined : await ctx.db.selectFrom('organisations').select(['id', 'name']).where('id', '=', orgId).executeTakeFirst();
    if (!org) return { status: 'failed', error: `the organisation ${orgId ?? '(none)'} no longer exists` };
    const ranges = await rangesOf(ctx.db, org.id);
    if (ranges.length === 0) return { status: 'failed', error: `organisation ${org.name} has no registered address ranges: nothing is in scope` };
    const scope = new Scope(ranges);
    const p = job.payload;
    const given = p.targets && p.targets.length > 0 ? p.targets : await knownServers(ctx, org.id, p);
    if (given.length === 0) return { status: 'failed', error: `organisation ${org.name} has no known servers yet: give the targets to scan` };
    const placed = await placeTargets(given, p, scope, await organisationScope(ctx.db, org.id));
    const summary = (hosts: HostResult[], stats: { requests: number; durationMs: number }, recorded: ScanJobResult['recorded']): ScanJobResult => ({
      targets: placed.inScope.length + placed.refused,
      refused: placed.refused + hosts.filter((h) => h.verdict === 'refused').length,
      refusals: [...placed.refusals, ...hosts.filter((h) => h.verdict === 'refused').map((h) => ({ target: h.target, reason: h.error ?? 'outside the scope' }))].slice(0, MAX_LISTED),
      scanned: hosts.filter((h) => h.verdict !== 'refused').length,
      exchange: hosts.filter((h) => h.exchange).length,
      vulnerable: hosts.filter((h) => h.verdict === 'vulnerable').length,
      errors: hosts.filter((h) => h.error !== null && h.verdict !== 'refused').length,
      requests: stats.requests,
      durationMs: stats.durationMs,
      recorded,
    });
    if (placed.inScope.length === 0) {
      return { status: 'failed', error: `every target is outside organisation ${org.name}'s registered ranges (${ranges.join(', ')}): nothing was scanned`, result: summary([], { requests: 0, durationMs: 0 }, null) };
    }
    const scan = await scanTargets(placed.inScope, { scope, concurrency: s.concurrency, rate: s.rate, timeoutMs: s.timeoutMs, retries: s.retries, signal: ctx.signal });
    // A partial scan is not recorded: the job runs again from the start, under the same time.
    if (scan.interrupted) return { status: 'interrupted' };
    const scanned = scan.hosts.filter((h) => h.verdict !== 'refused');
    const recorded = await ingestScanHosts(ctx.db, org.id, scanned, `${job.requestedBy} (scan job ${job.id})`, job.firstStartedAt);
    return { status: 'done', result: summary(scan.hosts, scan.stats, recorded) };
  };
}
