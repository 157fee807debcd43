// What the seeded service ingests, generated from the World: 90 days of daily feed rows (each
// server seen on at least one day, ~4 on average; 5 % of sightings a web shell, servers patched
// part-way stop being vulnerable), one Shadowserver scan_exchange CSV of the last day, and distinct
// variants of the demo hunt report. Same seed, same rows: the raw-insert reference replays them.
import type { ObservationInput } from '../../src/serve/store/observations.js';
import { Rng } from '../../tools/corpus/rng.js';
import type { ServerSeed, World } from './world.js';

export const DAYS = 90;
const DAY_MS = 86_400_000;

/** Midnight UTC of `d` (0 = 89 days before the last day, which is today). */
export function dayStart(today: number, d: number): number {
  return today - (DAYS - 1 - d) * DAY_MS;
}

function sighting(s: ServerSeed, d: number, at: number, rng: Rng): ObservationInput {
  const webshell = rng.next() < 0.05;
  const patched = d >= s.patchDay;
  const vulnerable = !webshell && !patched;
  return {
    address: s.address,
    hostname: s.hostname,
    port: 443,
    observedAt: new Date(at).toISOString(),
    source: rng.next() < 0.85 ? 'shadowserver' : 'scan',
    tag: webshell ? 'exchange;webshell' : patched ? 'exchange' : s.profile.tag,
    build: patched ? null : s.profile.build,
    verdict: webshell ? 'compromised' : vulnerable ? 'vulnerable' : null,
    vulnerable,
    compromised: webshell,
    cves: vulnerable ? s.profile.cves : [],
  };
}

/** `total` sightings of the world's servers, one array per day, oldest day first. */
export function* observationDays(world: World, total: number, today: number, seed = 7): Generator<{ day: number; rows: ObservationInput[] }> {
  const rng = new Rng(seed);
  const n = world.servers.length;
  if (total < n) throw new Error(`${total} observations cannot cover ${n} servers`);
  const perServer = new Uint8Array(n).fill(1);
  for (let k = n; k < total; ) {
    const i = rng.int(n);
    if (perServer[i]! >= DAYS) continue;
    perServer[i]!++;
    k++;
  }
  const byDay: number[][] = Array.from({ length: DAYS }, () => []);
  for (let i = 0; i < n; i++) {
    const days = new Set<number>();
    while (days.size < perServer[i]!) days.add(rng.int(DAYS));
    for (const d of days) byDay[d]!.push(i);
  }
  for (let d = 0; d < DAYS; d++) {
    const start = dayStart(today, d);
    yield { day: d, rows: byDay[d]!.map((i) => sighting(world.servers[i]!, d, start + rng.int(86_400) * 1000, rng)) };
  }
}

const CSV_HEADER = '"timestamp","ip","port","hostname","tag","asn","geo","region","city","naics","sic","sector","version","servername","url"';

/** A scan_exchange report of the last day: 80 % known servers, 20 % addresses seen for the first time. */
export function shadowserverCsv(world: World, rows: number, today: number, seed = 11): string {
  const rng = new Rng(seed);
  const lines = [CSV_HEADER];
  for (let k = 0; k < rows; k++) {
    const s = k % 5 === 4 && world.csvServers.length > 0 ? world.csvServers[Math.floor(k / 5) % world.csvServers.length]! : rng.pick(world.servers);
    const o = s.org >= 0 ? world.orgs[s.org] : undefined;
    const webshell = rng.next() < 0.05;
    const stamp = new Date(today + rng.int(86_400) * 1000).toISOString().replace('T', ' ').slice(0, 19);
    const fields = [
      stamp, s.address, '443', s.hostname ?? '', webshell ? 'exchange;webshell' : s.profile.tag, String(64_512 + (s.org >= 0 ? s.org % 1000 : 999)),
      o?.country ?? 'ZZ', '', '', '', '', o?.sector ?? '', rng.next() < 0.5 ? s.profile.build : '', s.hostname?.split('.')[0]?.toUpperCase() ?? '', '',
    ];
    lines.push(fields.map((f) => `"${f}"`).join(','));
  }
  return `${lines.join('\n')}\n`;
}

interface ReportDoc {
  generatedAt?: string;
  verdict: { status: string; summary: string };
  findings: { stage: string; summary?: string }[];
}

const VERDICT_SUMMARY: Record<string, string> = {
  'EXPLOITATION ATTEMPTED': 'Exploitation was attempted (ProxyLogon requests answered with errors); no sign that it succeeded.',
  'NOTHING FOUND': 'No sign of an attack in the collection.',
};

/**
 * The i-th hunt report: its own time, verdict and subset of the demo's findings. A NOTHING FOUND
 * report has no findings, so two of them from one organisation are the same report (a report's
 * identity leaves its time out) and the service keeps one.
 */
export function reportVariant<T extends ReportDoc>(demo: T, i: number, at: number, rng: Rng): T {
  const kind = rng.weighted([['COMPROMISED', 70], ['EXPLOITATION ATTEMPTED', 20], ['NOTHING FOUND', 10]] as const);
  let findings = kind === 'NOTHING FOUND' ? [] : demo.findings.filter((f) => (kind === 'COMPROMISED' || f.stage !== 'compromise') && rng.next() < 0.7);
  if (kind !== 'NOTHING FOUND' && findings.length === 0) findings = demo.findings.slice(-1);
  return {
    ...demo,
    generatedAt: new Date(at).toISOString(),
    verdict: { ...demo.verdict, status: kind, summary: kind === 'COMPROMISED' ? demo.verdict.summary : VERDICT_SUMMARY[kind]! },
    findings: findings.map((f) => ({ ...f, summary: `${f.summary ?? ''} (collection ${i + 1})` })),
  };
}
