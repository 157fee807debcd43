// `npm run bench:sigma`: every SigmaHQ rule in shared/samples/sigma-rules over event logs and over
// IIS / HttpProxy logs, against the same scan without Sigma rules, in the same run.
//
// 1. Loads and compiles the whole rules tree (timed; printed with the loaded / total count).
// 2. Event logs: the bench:evtx corpus (chunks of every shared EVTX sample, repeated) of
//    EXHUNT_BENCH_SIGMA_EVTX_MB (default 128) MB. Web logs: the bench traffic model (IIS and
//    HttpProxy with a ProxyLogon intrusion planted) of EXHUNT_BENCH_SIGMA_WEB_MB (default 256) MB.
//    Both cached under bench/.corpus.
// 3. Scans each corpus on one thread — files opened, parsed, the built-in detectors run — once
//    without and once with the Sigma rules, best of EXHUNT_BENCH_RUNS (default 3); prints events/s
//    for both and the cost of the rules as a ratio. Rule loading is timed apart from scanning.
// Chainsaw and Hayabusa, the tools that run Sigma on event logs, are not installable here (no
// registry ships them), so the reference in the same run is exhunt's own scan without Sigma.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRuleFiles } from '../src/detect/sigma/load.js';
import { buildRuleSet } from '../src/detect/sigma/ruleset.js';
import { type ScanInit, createScanEnv } from '../src/pipeline/env.js';
import { processFile } from '../src/pipeline/process-file.js';
import { discoverInputs } from '../src/sources/discover.js';
import { DEFAULT_LIMITS } from '../src/sources/types.js';
import { writeCollection } from '../tools/corpus/collection.js';
import { proxyLogonIntrusion } from '../tools/corpus/intrusion.js';
import { Rng } from '../tools/corpus/rng.js';
import { DEMO_ORG } from '../tools/corpus/traffic.js';
import { ensureEvtxCorpus, sharedRoot } from './evtx-corpus.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const MB = 1e6;
const evtxMb = Number(process.env['EXHUNT_BENCH_SIGMA_EVTX_MB'] ?? '128');
const webMb = Number(process.env['EXHUNT_BENCH_SIGMA_WEB_MB'] ?? '256');
const runs = Number(process.env['EXHUNT_BENCH_RUNS'] ?? '3');
const BYTES_PER_REQUEST = 850;
const DAYS = 10;

function ensureWebCorpus(): string {
  const root = path.join(repo, 'bench', '.corpus', `web-${webMb}mb`);
  const marker = path.join(root, '.complete');
  if (existsSync(marker)) return root;
  const perDay = Math.ceil((webMb * MB) / BYTES_PER_REQUEST / DAYS);
  const { files, bytes } = writeCollection({ root, org: DEMO_ORG, start: '2021-02-25', days: DAYS, requestsPerDay: perDay, seed: 77, items: proxyLogonIntrusion(new Rng(11), DEMO_ORG), clean: true });
  writeFileSync(marker, `${files} files, ${bytes} bytes\n`);
  process.stderr.write(`bench: wrote ${root} (${files} files, ${(bytes / MB).toFixed(0)} MB)\n`);
  return root;
}

function du(dir: string): number {
  const st = statSync(dir);
  if (st.isFile()) return st.size;
  return readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? du(path.join(dir, e.name)) : e.isFile() ? statSync(path.join(dir, e.name)).size : 0), 0);
}

interface Scan {
  ms: number;
  events: number;
  findings: number;
}

async function scan(input: string, init: ScanInit): Promise<Scan> {
  const env = createScanEnv(init);
  const discovery = await discoverInputs([input], init.limits);
  const t = performance.now();
  let events = 0;
  let findings = 0;
  for (const ref of discovery.files) {
    const r = await processFile(ref, env);
    events += r.coverage?.events ?? 0;
    findings += env.engine.drain().groups.length;
  }
  const ms = performance.now() - t;
  await env.zips.close();
  return { ms, events, findings };
}

async function best(input: string, init: ScanInit): Promise<Scan> {
  let b: Scan | undefined;
  for (let i = 0; i < runs; i++) {
    const r = await scan(input, init);
    if (!b || r.ms < b.ms) b = r;
  }
  return b!;
}

const rulesDir = path.join(sharedRoot(), 'samples', 'sigma-rules');
let t = performance.now();
const loaded = loadRuleFiles([rulesDir]);
const loadMs = performance.now() - t;
t = performance.now();
const set = buildRuleSet(loaded.docs, { placeholders: {} });
const compileMs = performance.now() - t;
const total = set.lint.length + loaded.rejected.length;
const sigma = { docs: loaded.docs, placeholders: {} };

const lines: string[] = [];
lines.push(`exhunt bench:sigma — ${set.rules.length} of ${total} SigmaHQ rule documents loaded; reading them ${(loadMs / 1000).toFixed(2)} s, compiling ${(compileMs / 1000).toFixed(2)} s (once per thread)`);
const row = (name: string, s: Scan, bytes: number) =>
  `${name.padEnd(34)} ${`${(s.ms / 1000).toFixed(2)} s`.padStart(9)} ${`${Math.round(s.events / (s.ms / 1000)).toLocaleString('en-US')} events/s`.padStart(20)} ${`${(bytes / MB / (s.ms / 1000)).toFixed(1)} MB/s`.padStart(12)} ${String(s.findings).padStart(6)} finding groups`;

for (const [label, input] of [
  ['event logs', ensureEvtxCorpus(evtxMb)],
  ['IIS + HttpProxy logs', ensureWebCorpus()],
] as const) {
  const bytes = du(input);
  const plain = await best(input, { limits: DEFAULT_LIMITS });
  const withSigma = await best(input, { limits: DEFAULT_LIMITS, sigma });
  lines.push('', `${label}: ${(bytes / MB).toFixed(0)} MB, ${withSigma.events.toLocaleString('en-US')} events, one thread, best of ${runs}`);
  lines.push(row('  built-in detectors only', plain, bytes));
  lines.push(row(`  + ${set.rules.length} Sigma rules`, withSigma, bytes));
  lines.push(`  cost of the Sigma rules: ${(withSigma.ms / plain.ms).toFixed(2)}× the scan without them`);
}
process.stdout.write(`${lines.join('\n')}\n`);
