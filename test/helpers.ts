// One-line helpers shared by the tests: temporary collections, an in-process CLI runner, a hunt
// with a fixed clock, and (from tools/corpus/zip.ts) the zip writer for hostile archives.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/main.js';
import type { Io } from '../src/cli/io.js';
import { fixedClock } from '../src/core/clock.js';
import type { Finding, Report } from '../src/core/types.js';
import { type HuntOptions, hunt } from '../src/pipeline/hunt.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary folder, removed when the test file ends. */
export function tempDir(prefix = 'exhunt-test-'): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** Writes files (relative path → content) under a new temporary folder and returns the folder. */
export function collection(files: Record<string, string | Buffer>): string {
  const root = tempDir();
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
  return root;
}

/** The checkout's root folder (tests run from dist/test). */
export function repoRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/**
 * The project's shared reference folder (`../shared` next to the checkout, or an ancestor's, or
 * EXHUNT_SHARED). Tests that read real samples fail loudly when it is missing.
 */
export function sharedDir(): string {
  const env = process.env['EXHUNT_SHARED'];
  if (env) return env;
  let dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  for (;;) {
    const candidate = path.join(path.dirname(dir), 'shared');
    if (existsSync(path.join(candidate, 'samples'))) return candidate;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('shared/samples not found next to the checkout; set EXHUNT_SHARED');
    dir = up;
  }
}

export const FIXED_TIME = Date.parse('2026-01-01T00:00:00Z');

export function huntFixed(paths: string[], opts: Partial<HuntOptions> = {}): Promise<Report> {
  return hunt({ paths, clock: fixedClock(FIXED_TIME), threads: 1, minSeverity: 'info', ...opts });
}

export function byRule(report: Report, rule: string): Finding[] {
  return report.findings.filter((f) => f.rule === rule);
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[], env: Record<string, string | undefined> = {}, tty = false): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: { write: (s) => void (stdout += s), isTTY: tty, columns: 100 },
    stderr: { write: (s) => void (stderr += s), isTTY: tty },
    env,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

// --- zip writing (for hostile-archive tests) -------------------------------------------------

export { buildZip, type ZipEntrySpec } from '../tools/corpus/zip.js';
