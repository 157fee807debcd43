// `npm run bench:evtx`: the EVTX parser against evtxexport (libevtx, Debian libevtx-utils) and
// python-evtx (Debian python3-evtx) on the same file, in the same run.
//
// 1. Builds, once (cached under bench/.corpus), one EVTX file of at least EXHUNT_BENCH_EVTX_MB
//    (default 512) MB from the valid chunks of every shared sample, repeated (a valid file header
//    with the chunk count set; chunks keep their own checksums), and reads it once so every tool
//    works from the page cache.
// 2. Times, each in a fresh process, best of EXHUNT_BENCH_RUNS (default 3):
//    - exhunt, records parsed and their System facts read (the hunt's path; events are rendered
//      only when a detector asks for their data);
//    - exhunt, records rendered as evtx_dump's JSON objects (what `exhunt evtx` writes);
//    - exhunt, records rendered as XML text (what evtxexport produces);
//    - exhunt hunt on the file (parsing plus every detector and the report);
//    - `evtxexport -f xml FILE` (output to /dev/null), once: it is slow;
//    - python-evtx over the first EXHUNT_BENCH_PY_MB (default 8) MB only (it reads ~0.2 MB/s);
//      its rate is compared, not its time.
// 3. Prints MB/s, records/s, peak RSS and the ratios.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureEvtxCorpus } from './evtx-corpus.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const MB = 1e6;
const targetMb = Number(process.env['EXHUNT_BENCH_EVTX_MB'] ?? '512');
const runs = Number(process.env['EXHUNT_BENCH_RUNS'] ?? '3');
const pyMb = Number(process.env['EXHUNT_BENCH_PY_MB'] ?? '8');
const CHUNK = 65536;

function ensureCorpus(): { file: string; sub: string } {
  return { file: ensureEvtxCorpus(targetMb), sub: ensureEvtxCorpus(pyMb) };
}

function warm(file: string): void {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 * 1024 * 1024);
  while (readSync(fd, buf, 0, buf.length, null) > 0);
  closeSync(fd);
}

interface ChildResult {
  wallMs: number;
  maxRssKb: number;
  records: number;
  bytes: number;
}

function runChild(args: string[]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, 'evtx-child.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as ChildResult) : reject(new Error(`evtx-child exited ${code}`))));
  });
}

async function best(args: string[]): Promise<ChildResult> {
  let b: ChildResult | undefined;
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    const r = await runChild(args);
    rss = Math.max(rss, r.maxRssKb);
    if (!b || r.wallMs < b.wallMs) b = r;
  }
  return { ...b!, maxRssKb: rss };
}

function timeCommand(cmd: string, args: string[]): { wallMs: number; ok: boolean; stdout: string } {
  const t = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 });
  return { wallMs: performance.now() - t, ok: r.status === 0, stdout: r.stdout?.toString() ?? '' };
}

function has(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

const { file, sub } = ensureCorpus();
const bytes = statSync(file).size;
warm(file);
warm(sub);

const parse = await best(['parse', file]);
const json = await best(['json', file]);
const xml = await best(['xml', file]);
const huntRun = await best(['hunt', file]);
const records = json.records;
const row = (name: string, ms: number, rec: number | undefined, rssKb: number | undefined, b = bytes) =>
  `${name.padEnd(36)} ${`${(ms / 1000).toFixed(2)} s`.padStart(9)} ${`${(b / MB / (ms / 1000)).toFixed(1)} MB/s`.padStart(12)} ${rec !== undefined ? `${Math.round(rec / (ms / 1000))} rec/s`.padStart(14) : ''.padStart(14)} ${rssKb !== undefined ? `${Math.round(rssKb / 1024)} MB`.padStart(9) : ''}`;

const lines: string[] = [];
lines.push(`corpus: ${file}`);
lines.push(`        ${(bytes / MB).toFixed(0)} MB, ${Math.round((bytes - 4096) / CHUNK)} chunks, ${records} records (chunks of the shared samples, repeated)`);
lines.push('');
lines.push(`${'tool'.padEnd(36)} ${'wall'.padStart(9)} ${'speed'.padStart(12)} ${'records'.padStart(14)} ${'peak RSS'.padStart(9)}`);
lines.push(row('exhunt parse (System facts, lazy)', parse.wallMs, parse.records, parse.maxRssKb));
lines.push(row('exhunt parse → JSON objects', json.wallMs, json.records, json.maxRssKb));
lines.push(row('exhunt parse → XML text', xml.wallMs, xml.records, xml.maxRssKb));
lines.push(row('exhunt hunt (parse + detectors)', huntRun.wallMs, huntRun.records, huntRun.maxRssKb));

let evtxexportMs: number | undefined;
if (has('evtxexport', ['-V'])) {
  const r = timeCommand('sh', ['-c', `evtxexport -f xml '${file.replace(/'/g, "'\\''")}' > /dev/null`]);
  if (r.ok) evtxexportMs = r.wallMs;
  lines.push(r.ok ? row('evtxexport -f xml (libevtx)', r.wallMs, records, undefined) : 'evtxexport failed on the corpus');
} else {
  lines.push('evtxexport not installed (apt-get install libevtx-utils): no ratio');
}
let pyRate: number | undefined;
const pyScript = path.join(repo, 'test', 'tools', 'pyevtx_records.py');
if (has('/usr/bin/python3', ['-c', 'import Evtx.Evtx'])) {
  const r = timeCommand('/usr/bin/python3', [pyScript, sub]);
  if (r.ok) {
    const n = r.stdout.split('\n').filter(Boolean).length;
    pyRate = statSync(sub).size / MB / (r.wallMs / 1000);
    lines.push(`${row(`python-evtx (first ${pyMb} MB only)`, r.wallMs, n, undefined, statSync(sub).size)}`);
  } else {
    lines.push('python-evtx failed on the corpus');
  }
} else {
  lines.push('python-evtx not installed (apt-get install python3-evtx): no ratio');
}
lines.push('');
const mbps = (ms: number) => bytes / MB / (ms / 1000);
if (evtxexportMs !== undefined) {
  const x = (ms: number) => `${(evtxexportMs! / ms).toFixed(1)}×`;
  lines.push(`ratio vs evtxexport (wall time, target ≥ 10×): parse ${x(parse.wallMs)}, hunt ${x(huntRun.wallMs)}, JSON objects ${x(json.wallMs)}, XML text ${x(xml.wallMs)}`);
}
if (pyRate !== undefined) lines.push(`ratio vs python-evtx (MB/s): parse ${(mbps(parse.wallMs) / pyRate).toFixed(0)}×, JSON objects ${(mbps(json.wallMs) / pyRate).toFixed(0)}×, XML text ${(mbps(xml.wallMs) / pyRate).toFixed(0)}×`);
lines.push(`peak RSS: ${Math.round(Math.max(parse.maxRssKb, json.maxRssKb, xml.maxRssKb, huntRun.maxRssKb) / 1024)} MB at most on ${(bytes / MB).toFixed(0)} MB`);
const text = `${lines.join('\n')}\n`;
process.stdout.write(text);
writeFileSync(path.join(repo, 'bench', '.corpus', 'last-evtx-bench.txt'), text);
