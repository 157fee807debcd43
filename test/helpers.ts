// One-line helpers shared by the tests: temporary collections, an in-process CLI runner, a hunt
// with a fixed clock, and a minimal zip writer for building hostile archives on the fly.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { main } from '../src/cli/main.js';
import type { Io } from '../src/cli/io.js';
import { fixedClock } from '../src/core/clock.js';
import { crc32 } from '../src/core/crc32.js';
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

export interface ZipEntrySpec {
  name: string;
  data: Buffer | string;
  /** Store uncompressed instead of deflating. */
  store?: boolean;
  /** Lie about the uncompressed size in the headers. */
  declaredSize?: number;
  /** Point this entry's central-directory record at another entry's local header (overlap). */
  shareDataWith?: number;
}

/** Builds a zip archive in memory; every field is under the test's control. */
export function buildZip(entries: ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  const offsets: number[] = [];
  let offset = 0;
  const specs = entries.map((e) => {
    const raw = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data);
    const comp = e.store ? raw : deflateRawSync(raw);
    return { e, raw, comp, name: Buffer.from(e.name, 'utf8') };
  });
  for (const { e, raw, comp, name } of specs) {
    if (e.shareDataWith !== undefined) {
      offsets.push(offsets[e.shareDataWith]!);
      continue;
    }
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(20, 4);
    h.writeUInt16LE(0x800, 6);
    h.writeUInt16LE(e.store ? 0 : 8, 8);
    h.writeUInt32LE(crc32(raw), 14);
    h.writeUInt32LE(comp.length, 18);
    h.writeUInt32LE(e.declaredSize ?? raw.length, 22);
    h.writeUInt16LE(name.length, 26);
    offsets.push(offset);
    locals.push(h, name, comp);
    offset += h.length + name.length + comp.length;
  }
  specs.forEach(({ e, raw, comp, name }, i) => {
    const src = e.shareDataWith !== undefined ? specs[e.shareDataWith]! : { e, raw, comp };
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(0x800, 8);
    c.writeUInt16LE(src.e.store ? 0 : 8, 10);
    c.writeUInt32LE(crc32(src.raw), 16);
    c.writeUInt32LE(src.comp.length, 20);
    c.writeUInt32LE(src.e.declaredSize ?? src.raw.length, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE(offsets[i]!, 42);
    centrals.push(c, name);
  });
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
