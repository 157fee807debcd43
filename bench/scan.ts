// `npm run bench:scan`: exhunt scan against N simulated Exchange front ends on 127.0.0.1 (default
// 2,000; every fingerprint style, closed ports among them), served by a child process so the fleet
// and the scanner each have a core. Prints hosts/s, requests/s, the error count, peak RSS, how
// many verdicts differ from `exhunt build` on the build each host runs, and the ratio against nmap
// (`-sV --version-light --script http-headers` on the same ports: service probes, then one GET per
// port) when nmap is installed.
// Nothing outside loopback is contacted. `node dist/bench/scan.js [N] [CONCURRENCY]`.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assessBuild } from '../src/exposure/assess.js';
import type { FleetHost } from '../test/fleet.js';
import { timed } from './measure.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const n = Number(process.argv[2] ?? 2000);
const concurrency = process.argv[3] ?? '128';
const NOW = '2026-11-26';

const fleet = spawn(process.execPath, [path.join(here, '..', 'test', 'fleet.js'), '--serve', String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
const hosts = await new Promise<FleetHost[]>((resolve, reject) => {
  let buf = '';
  fleet.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const nl = buf.indexOf('\n');
    if (nl !== -1) resolve(JSON.parse(buf.slice(0, nl)) as FleetHost[]);
  });
  fleet.once('exit', (code) => reject(new Error(`fleet exited with ${code}`)));
});

try {
  const dir = tmpdir();
  const targets = path.join(dir, `exhunt-bench-scan-${process.pid}.txt`);
  const out = path.join(dir, `exhunt-bench-scan-${process.pid}.json`);
  writeFileSync(targets, hosts.map((h) => `127.0.0.1:${h.port}`).join('\n'));
  const run = await timed(process.execPath, [path.join(repo, 'bin', 'exhunt.js'), 'scan', `@${targets}`, '--scope', '127.0.0.1', '--rate', '0', '-c', concurrency, '--timeout', '10s', '--retries', '1', '--as-of', NOW, '-f', 'json', '-o', out, '-q']);
  const result = JSON.parse(readFileSync(out, 'utf8')) as { stats: { requests: number; errors: number }; hosts: { verdict: string; build: string | null; error: string | null }[] };
  let mismatches = 0;
  const counts = new Map<string, number>();
  hosts.forEach((h, i) => {
    const got = result.hosts[i]!;
    counts.set(got.verdict, (counts.get(got.verdict) ?? 0) + 1);
    let want = 'unknown';
    if (h.style === 'owa-path') want = assessBuild(h.build!.split('.').slice(0, 3).join('.'), { now: Date.parse(NOW) }).verdict;
    else if (['header', 'exporttool', 'absolute-redirect', 'offsite-redirect'].includes(h.style)) want = assessBuild(h.build!, { now: Date.parse(NOW) }).verdict;
    if (got.verdict !== want) mismatches++;
  });
  const expectedErrors = hosts.filter((h) => h.style === 'closed').length;
  const secs = run.ms / 1000;
  console.log(`exhunt scan: ${n} simulated hosts on 127.0.0.1, concurrency ${concurrency}, no rate limit (2 cores: fleet and scanner in separate processes)`);
  console.log(`  wall ${secs.toFixed(2)} s · ${(n / secs).toFixed(0)} hosts/s · ${(result.stats.requests / secs).toFixed(0)} requests/s (${result.stats.requests} requests) · peak RSS ${(run.rssKb / 1024).toFixed(0)} MB`);
  console.log(`  errors: ${result.stats.errors} (expected ${expectedErrors}: the closed ports) · verdicts: ${[...counts].map(([k, v]) => `${k} ${v}`).join(', ')} · mismatches with exhunt build: ${mismatches}`);
  const nmap = spawnSync('nmap', ['--version'], { encoding: 'utf8' });
  if (nmap.status !== 0) {
    console.log('nmap not installed (apt-get install nmap): no ratio');
  } else {
    // nmap's service probes take seconds per port: it gets the first 200 open ports, and hosts/s are compared.
    const sample = hosts.filter((h) => h.style !== 'closed').slice(0, 200);
    const ports = sample.map((h) => h.port).join(',');
    const ref = await timed('nmap', ['-Pn', '-sT', '-sV', '--version-light', '-n', '-T5', '--max-retries', '1', '-p', ports, '127.0.0.1', '--script', 'http-headers', '--script-args', 'path=/owa/', '-oX', '-']);
    const refSecs = ref.ms / 1000;
    const refRate = sample.length / refSecs;
    console.log(`nmap -sT -sV --version-light --script http-headers on ${sample.length} hosts (service probes + 1 GET per port): ${refSecs.toFixed(2)} s · ${refRate.toFixed(1)} hosts/s`);
    console.log(`ratio (exhunt hosts/s / nmap hosts/s): ${(n / secs / refRate).toFixed(1)}×`);
  }
} finally {
  fleet.kill('SIGTERM');
}
