// The exposure scan: for each target in scope, at most three browser requests (GET /owa/, the
// logon page it redirects to, the eDiscovery export tool manifest), the build they reveal and what
// that build is open to. Hosts run with bounded concurrency under one global request rate; network
// failures are retried with backoff; an abort (Ctrl-C) ends the scan with every result so far.
import { lookup } from 'node:dns/promises';
import { setMaxListeners } from 'node:events';
import { isIP } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { ExhuntError, errorMessage } from '../../core/errors.js';
import { type OpenCve, type Verdict, assessBuild } from '../assess.js';
import { type BuildSource, EXPORT_TOOL_PATH, buildFromExportTool, buildFromOwaHeader, buildFromOwaPaths, exchangeSigns } from './fingerprint.js';
import { type HttpAnswer, RequestError, type TlsInfo, get, hostAgent } from './http.js';
import type { Scope } from './scope.js';
import type { Target } from './targets.js';

export type HostVerdict = Verdict | 'refused';

export interface HostResult {
  target: string;
  address: string | null;
  port: number;
  scheme: 'https' | 'http';
  reachable: boolean;
  exchange: boolean;
  build: string | null;
  buildSource: BuildSource | null;
  product: string | null;
  cu: string | null;
  su: string | null;
  cves: OpenCve[];
  /** CU-level builds: CVEs open unless a recent enough SU is installed. */
  suDependent: string[];
  verdict: HostVerdict;
  summary: string;
  tls: TlsInfo | null;
  error: string | null;
  evidence: string[];
  requests: number;
  durationMs: number;
}

export interface ScanOptions {
  scope: Scope;
  concurrency: number;
  /** Requests per second over the whole scan; 0 = no limit. */
  rate: number;
  timeoutMs: number;
  retries: number;
  /** Time for support verdicts (tests fix it). */
  now?: number;
  signal?: AbortSignal;
  resolve?: (name: string) => Promise<string[]>;
  onHost?: (host: HostResult, done: number, total: number) => void;
}

export interface ScanResult {
  hosts: HostResult[];
  stats: { targets: number; scanned: number; refused: number; exchange: number; vulnerable: number; errors: number; requests: number; durationMs: number; hostsPerSecond: number };
  interrupted: boolean;
}

/** One request slot every 1/rate seconds, shared by all hosts. */
class RateLimiter {
  private next = 0;
  constructor(private readonly perSecond: number) {}

  async take(signal?: AbortSignal): Promise<void> {
    if (this.perSecond <= 0) return;
    const now = Date.now();
    const slot = Math.max(now, this.next);
    this.next = slot + 1000 / this.perSecond;
    if (slot > now) await sleep(slot - now, signal);
  }
}

/** Waits, or stops waiting when the scan is aborted. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, signal ? { signal } : {}).catch(() => undefined);
}

async function defaultResolve(name: string): Promise<string[]> {
  return (await lookup(name, { all: true })).map((a) => a.address);
}

function emptyResult(t: Target): HostResult {
  return {
    target: t.given, address: null, port: t.port, scheme: t.tls ? 'https' : 'http', reachable: false, exchange: false,
    build: null, buildSource: null, product: null, cu: null, su: null, cves: [], suDependent: [], verdict: 'unknown', summary: '',
    tls: null, error: null, evidence: [], requests: 0, durationMs: 0,
  };
}

/** The address to connect to, or why the target is refused. */
async function placeInScope(t: Target, o: ScanOptions): Promise<{ address: string } | { refused: string } | { error: string }> {
  if (isIP(t.host) !== 0) return o.scope.allowsAddress(t.host) ? { address: t.host } : { refused: `${t.host} is outside the scope` };
  let addresses: string[];
  try {
    addresses = await (o.resolve ?? defaultResolve)(t.host);
  } catch (err) {
    return o.scope.allowsName(t.host) ? { error: `cannot resolve ${t.host}: ${errorMessage(err)}` } : { refused: `${t.host} is not in the scope (and does not resolve)` };
  }
  if (addresses.length === 0) return { error: `${t.host} resolves to no address` };
  if (o.scope.allowsName(t.host)) return { address: addresses[0]! };
  const outside = addresses.filter((a) => !o.scope.allowsAddress(a));
  if (outside.length > 0) return { refused: `${t.host} resolves to ${outside.join(', ')}, outside the scope` };
  return { address: addresses[0]! };
}

/** A same-host redirect under /owa/ (the logon page), as a browser would follow it. */
function owaRedirect(a: HttpAnswer, t: Target, address: string): string | undefined {
  if (a.status < 300 || a.status > 399 || !a.headers['location']) return undefined;
  let url: URL;
  try {
    url = new URL(a.headers['location'], `${t.tls ? 'https' : 'http'}://${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}/owa/`);
  } catch {
    return undefined;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host !== t.host.toLowerCase() && host !== address) return undefined;
  if (!/^\/owa\//i.test(url.pathname)) return undefined;
  return `${url.pathname}${url.search}`;
}

async function scanHost(t: Target, o: ScanOptions, limiter: RateLimiter): Promise<HostResult> {
  const started = Date.now();
  const r = emptyResult(t);
  const placed = await placeInScope(t, o);
  if ('refused' in placed) return { ...r, verdict: 'refused', error: placed.refused, summary: `REFUSED: ${placed.refused}; nothing was sent` };
  if ('error' in placed) return { ...r, error: placed.error, summary: `UNKNOWN: ${placed.error}`, durationMs: Date.now() - started };
  r.address = placed.address;
  const agent = hostAgent(t.tls);
  const fetchPath = async (path: string): Promise<HttpAnswer> => {
    for (let attempt = 0; ; attempt++) {
      await limiter.take(o.signal);
      r.requests++;
      try {
        const a = await get({ address: placed.address, hostName: t.host, port: t.port, tls: t.tls, path, timeoutMs: o.timeoutMs, agent, ...(o.signal ? { signal: o.signal } : {}) });
        r.reachable = true;
        if (a.tls && !r.tls) r.tls = a.tls;
        return a;
      } catch (err) {
        if (err instanceof RequestError && err.connected) r.reachable = true;
        if (!(err instanceof RequestError) || !err.transient || attempt >= o.retries || o.signal?.aborted) throw err;
        await sleep(Math.min(4000, 250 * 2 ** attempt), o.signal);
      }
    }
  };
  let build: string | undefined;
  let source: BuildSource | undefined;
  const signs = new Set<string>();
  try {
    const owa = await fetchPath('/owa/');
    for (const s of exchangeSigns(owa)) signs.add(s);
    r.evidence.push(`GET /owa/ → ${owa.status}${owa.headers['x-owa-version'] ? `, X-OWA-Version: ${owa.headers['x-owa-version']}` : ''}`);
    build = buildFromOwaHeader(owa);
    if (build) source = 'x-owa-version';
    if (!build) {
      const next = owaRedirect(owa, t, placed.address);
      const page = next ? await fetchPath(next) : owa;
      if (next) {
        for (const s of exchangeSigns(page)) signs.add(s);
        r.evidence.push(`GET ${next.split('?')[0]} → ${page.status}`);
      }
      const cuBuild = buildFromOwaPaths(page.body);
      if (cuBuild) r.evidence.push(`logon page asset path /owa/…/${cuBuild}/`);
      const tool = await fetchPath(EXPORT_TOOL_PATH);
      for (const s of exchangeSigns(tool)) signs.add(s);
      build = buildFromExportTool(tool);
      r.evidence.push(`GET ${EXPORT_TOOL_PATH} → ${tool.status}${build ? `, assemblyIdentity version ${build}` : ''}`);
      if (build) source = 'exporttool';
      else if (cuBuild) [build, source] = [cuBuild, 'owa-path'];
    }
  } catch (err) {
    r.error = err instanceof Error ? err.message : String(err);
  } finally {
    agent.destroy();
  }
  r.exchange = signs.size > 0 || build !== undefined;
  if (signs.size > 0) r.evidence.push(`Exchange: ${[...signs].join('; ')}`);
  if (build && source) {
    r.build = build;
    r.buildSource = source;
    try {
      const a = assessBuild(build, o.now === undefined ? {} : { now: o.now });
      Object.assign(r, { product: a.product, cu: a.cu, su: a.su, cves: a.cves, suDependent: a.suDependent.map((c) => c.id), verdict: a.verdict, summary: a.summary });
    } catch (err) {
      r.summary = `UNKNOWN: ${err instanceof ExhuntError ? err.message : errorMessage(err)}`;
    }
  } else {
    r.summary = r.error
      ? `UNKNOWN: ${r.error}`
      : r.exchange
        ? 'UNKNOWN: Exchange, but the build is hidden (no X-OWA-Version, no logon page paths, no export tool manifest)'
        : 'UNKNOWN: not an Exchange front end (no OWA, no export tool manifest)';
  }
  r.durationMs = Date.now() - started;
  return r;
}

export async function scanTargets(targets: readonly Target[], o: ScanOptions): Promise<ScanResult> {
  const started = Date.now();
  const limiter = new RateLimiter(o.rate);
  // Every in-flight request listens for the abort.
  if (o.signal) setMaxListeners(0, o.signal);
  const hosts: (HostResult | undefined)[] = new Array(targets.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length && !o.signal?.aborted) {
      const i = next++;
      const h = await scanHost(targets[i]!, o, limiter);
      hosts[i] = h;
      done++;
      o.onHost?.(h, done, targets.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, targets.length)) }, worker));
  const interrupted = o.signal?.aborted === true;
  const all = targets.map((t, i) => hosts[i] ?? { ...emptyResult(t), error: 'not scanned: interrupted', summary: 'UNKNOWN: not scanned (interrupted)' });
  const durationMs = Date.now() - started;
  const scanned = hosts.filter((h) => h !== undefined && h.verdict !== 'refused').length;
  return {
    hosts: all,
    interrupted,
    stats: {
      targets: targets.length,
      scanned,
      refused: all.filter((h) => h.verdict === 'refused').length,
      exchange: all.filter((h) => h.exchange).length,
      vulnerable: all.filter((h) => h.verdict === 'vulnerable').length,
      errors: all.filter((h) => h.error !== null && h.verdict !== 'refused').length,
      requests: all.reduce((n, h) => n + h.requests, 0),
      durationMs,
      hostsPerSecond: durationMs > 0 ? Math.round((scanned / durationMs) * 1000 * 10) / 10 : scanned,
    },
  };
}
