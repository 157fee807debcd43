// Runs one hunt in a fresh process and prints its figures as JSON on stdout, so the benchmark can
// read the peak RSS of exactly this run (worker threads included: they share the process).
import { hunt } from '../src/pipeline/hunt.js';

const paths = process.argv.slice(2);
const threadsEnv = process.env['EXHUNT_BENCH_THREADS'];
const started = performance.now();
const report = await hunt({ paths, minSeverity: 'info', threads: threadsEnv ? Number(threadsEnv) : undefined, pivot: process.env['EXHUNT_BENCH_PIVOT'] !== '0' });
const wallMs = performance.now() - started;
process.stdout.write(
  `${JSON.stringify({
    wallMs,
    maxRssKb: process.resourceUsage().maxRSS,
    bytes: report.stats.bytes,
    lines: report.stats.lines,
    parsedLines: report.stats.parsedLines,
    files: report.stats.files,
    threads: report.stats.threads,
    findings: report.findings.length,
    verdict: report.verdict.status,
    errors: report.errors.length,
  })}\n`,
);
