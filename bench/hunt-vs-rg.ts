// `npm run bench`: exhunt against ripgrep on the same generated corpus, in the same run.
//
// 1. Generates (once; cached under bench/.corpus) a realistic corpus of IIS and HttpProxy logs —
//    the demo's traffic model at volume, with a ProxyLogon intrusion planted — of at least
//    EXHUNT_BENCH_GB (default 2) GiB, plus a quarter-size subset for the memory-growth check.
// 2. Reads every file once so both tools run on cached files.
// 3. Times `rg -i -F` with exactly the needles exhunt's prefilter uses for those logs, and an
//    exhunt hunt (full pipeline: discovery, parsing, detection, report) — best of EXHUNT_BENCH_RUNS.
// 4. Prints MB/s, peak RSS and the ratio exhunt/rg of wall times.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DETECTORS } from '../src/detect/registry.js';
import { DetectionEngine } from '../src/detect/engine.js';
import { iocDetector } from '../src/detect/ioc/detector.js';
import { shippedIndicators } from '../src/detect/ioc/indicators.js';
import { writeCollection } from '../tools/corpus/collection.js';
import { proxyLogonIntrusion } from '../tools/corpus/intrusion.js';
import { Rng } from '../tools/corpus/rng.js';
import { DEMO_ORG } from '../tools/corpus/traffic.js';
import { listFiles, timed, warm } from './measure.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const GIB = 1024 ** 3;
const targetGb = Number(process.env['EXHUNT_BENCH_GB'] ?? '2');
const runs = Number(process.env['EXHUNT_BENCH_RUNS'] ?? '3');
const corpusRoot = path.join(repo, 'bench', '.corpus', `corpus-${targetGb}g`);

// Bytes per generated request across IIS + HttpProxy (+ the small ECP/OAB/Rps files), measured
// on the traffic model; used to size the corpus.
const BYTES_PER_REQUEST = 850;
const DAYS = 30;

function duBytes(files: string[]): number {
  return files.reduce((n, f) => n + statSync(f).size, 0);
}

function ensureCorpus(): string {
  const marker = path.join(corpusRoot, '.complete');
  if (existsSync(marker)) return corpusRoot;
  const perDay = Math.ceil((targetGb * GIB) / BYTES_PER_REQUEST / DAYS);
  process.stderr.write(`bench: generating ${targetGb} GiB corpus in ${corpusRoot} (${DAYS} days × ${perDay} requests)…\n`);
  const t = performance.now();
  const items = proxyLogonIntrusion(new Rng(11), DEMO_ORG);
  const { files, bytes } = writeCollection({ root: corpusRoot, org: DEMO_ORG, start: '2021-02-14', days: DAYS, requestsPerDay: perDay, seed: 4242, items, clean: true });
  writeFileSync(marker, `${files} files, ${bytes} bytes\n`);
  process.stderr.write(`bench: wrote ${files} files, ${(bytes / GIB).toFixed(2)} GiB in ${((performance.now() - t) / 1000).toFixed(0)} s\n`);
  return corpusRoot;
}

/** Runs a command, returns wall ms and the peak RSS seen in /proc (polled; Linux). */
interface Sample {
  ms: number;
  rssKb: number;
}

async function best(label: string, n: number, f: () => Promise<Sample>): Promise<Sample> {
  let b: Sample | undefined;
  for (let i = 0; i < n; i++) {
    const s = await f();
    process.stderr.write(`bench: ${label} run ${i + 1}: ${(s.ms / 1000).toFixed(2)} s, ${(s.rssKb / 1024).toFixed(0)} MB\n`);
    if (!b || s.ms < b.ms) b = { ms: s.ms, rssKb: Math.max(s.rssKb, b?.rssKb ?? 0) };
    else b.rssKb = Math.max(b.rssKb, s.rssKb);
  }
  return b!;
}

async function main(): Promise<void> {
  if (spawnSync('rg', ['--version']).status !== 0) {
    process.stderr.write('bench: ripgrep (rg) is required: apt-get install ripgrep\n');
    process.exit(2);
  }
  const root = ensureCorpus();
  const all = listFiles(root).filter((f) => !f.endsWith('.complete')).sort();
  const bytes = duBytes(all);
  // The quarter-size subset: the first quarter of the days (files are per day).
  const days = [...new Set(all.map((f) => /(\d{6,8})/.exec(path.basename(f))?.[1] ?? ''))].sort();
  const firstDays = new Set(days.slice(0, Math.max(1, Math.floor(days.length / 4))));
  const quarter = all.filter((f) => firstDays.has(/(\d{6,8})/.exec(path.basename(f))?.[1] ?? ''));
  const quarterBytes = duBytes(quarter);
  const quarterDir = path.join(repo, 'bench', '.corpus', `quarter-of-${targetGb}g`);
  if (!existsSync(path.join(quarterDir, '.complete'))) {
    mkdirSync(quarterDir, { recursive: true });
    for (const f of quarter) {
      const rel = path.relative(root, f);
      mkdirSync(path.join(quarterDir, path.dirname(rel)), { recursive: true });
      writeFileSync(path.join(quarterDir, rel), readFileSync(f));
    }
    writeFileSync(path.join(quarterDir, '.complete'), '');
  }

  process.stderr.write(`bench: warming the page cache (${(bytes / GIB).toFixed(2)} GiB)…\n`);
  warm(all);
  warm(listFiles(quarterDir));

  // The detectors' needles and the shipped indicators' address needles: what the first pass looks for.
  const engine = new DetectionEngine([...DETECTORS, iocDetector(shippedIndicators())!]);
  const needles = [...new Set([...engine.needlesFor('iis').literals, ...engine.needlesFor('exchange-httpproxy').literals])].sort();
  const rgArgs = ['--count', '--ignore-case', '--fixed-strings', '--no-ignore', '--hidden', ...needles.flatMap((n) => ['-e', n]), root];
  const child = path.join(repo, 'dist', 'bench', 'hunt-child.js');

  const rg = await best('rg', runs, async () => {
    const r = await timed('rg', rgArgs);
    if (r.code !== 0) throw new Error(`rg exited ${r.code}`);
    return r;
  });
  let last: { parsedLines: number; lines: number; findings: number; verdict: string; threads: number } | undefined;
  const ex = await best('exhunt', runs, async () => {
    const r = await timed(process.execPath, [child, root]);
    if (r.code !== 0) throw new Error(`exhunt bench child exited ${r.code}`);
    last = JSON.parse(r.stdout);
    return { ms: r.ms, rssKb: Math.max(r.rssKb, (JSON.parse(r.stdout) as { maxRssKb: number }).maxRssKb) };
  });
  const noPivot = await best('exhunt --no-pivot', runs, async () => {
    const r = await timed(process.execPath, [child, root], { env: { ...process.env, EXHUNT_BENCH_PIVOT: '0' } });
    if (r.code !== 0) throw new Error(`exhunt bench child exited ${r.code}`);
    return { ms: r.ms, rssKb: Math.max(r.rssKb, (JSON.parse(r.stdout) as { maxRssKb: number }).maxRssKb) };
  });
  const exQuarter = await best('exhunt (quarter corpus)', runs, async () => {
    const r = await timed(process.execPath, [child, quarterDir]);
    if (r.code !== 0) throw new Error(`exhunt bench child exited ${r.code}`);
    return { ms: r.ms, rssKb: Math.max(r.rssKb, (JSON.parse(r.stdout) as { maxRssKb: number }).maxRssKb) };
  });

  const mb = bytes / 1024 ** 2;
  const row = (name: string, s: Sample, size: number) =>
    `${name.padEnd(24)} ${(s.ms / 1000).toFixed(2).padStart(8)} s ${(size / 1024 ** 2 / (s.ms / 1000)).toFixed(0).padStart(7)} MB/s ${(s.rssKb / 1024).toFixed(0).padStart(6)} MB`;
  const out = [
    '',
    `corpus: ${all.length} files, ${mb.toFixed(0)} MB (${(bytes / GIB).toFixed(2)} GiB) of IIS + HttpProxy logs; quarter: ${(quarterBytes / 1024 ** 2).toFixed(0)} MB`,
    `needles (${needles.length}): ${needles.join(' ')}`,
    `exhunt: ${last?.lines} lines, ${last?.parsedLines} parsed (${(((last?.parsedLines ?? 0) / Math.max(1, last?.lines ?? 1)) * 100).toFixed(1)}%), ${last?.threads} threads, ${last?.findings} findings, verdict ${last?.verdict}`,
    '',
    `${'tool'.padEnd(24)} ${'wall'.padStart(10)} ${'speed'.padStart(12)} ${'peak RSS'.padStart(9)}`,
    row('rg -i -F (same needles)', rg, bytes),
    row('exhunt hunt', ex, bytes),
    row('exhunt hunt --no-pivot', noPivot, bytes),
    row('exhunt hunt (quarter)', exQuarter, quarterBytes),
    '',
    `ratio exhunt/rg wall time: ${(ex.ms / rg.ms).toFixed(2)}× (target ≤ 5×, stretch ≤ 3×); without the pivot pass ${(noPivot.ms / rg.ms).toFixed(2)}×`,
    `exhunt peak RSS: ${(ex.rssKb / 1024).toFixed(0)} MB on ${(bytes / GIB).toFixed(2)} GiB vs ${(exQuarter.rssKb / 1024).toFixed(0)} MB on a quarter of it (target < 300 MB, flat)`,
    '',
  ];
  process.stdout.write(out.join('\n'));
}

await main();
