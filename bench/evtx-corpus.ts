// The EVTX benchmark corpus, shared by bench:evtx and bench:sigma: one file of at least N MB built
// from the valid chunks of every shared sample, repeated (a valid file header with the chunk count
// set; chunks keep their own checksums), cached under bench/.corpus.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from '../src/core/crc32.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const MB = 1e6;
const CHUNK = 65536;

/** The shared reference folder next to the checkout (or EXHUNT_SHARED). */
export function sharedRoot(): string {
  const roots = [process.env['EXHUNT_SHARED'], path.join(repo, '..', 'shared')].filter((x): x is string => !!x);
  const root = roots.find((r) => existsSync(path.join(r, 'samples')));
  if (!root) throw new Error('shared/samples not found next to the checkout; set EXHUNT_SHARED');
  return root;
}

export function sharedSamples(): string[] {
  const root = sharedRoot();
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith('.evtx') ? [path.join(d, e.name)] : []));
  return [...walk(path.join(root, 'samples', 'evtx')), ...walk(path.join(root, 'samples', 'sigma-regression'))].sort();
}

/** The reference tools read the whole file without failing (where they are installed). */
function referencesRead(file: string): boolean {
  const ok = (cmd: string, args: string[]) => {
    const probe = spawnSync(cmd, ['--help'], { stdio: 'ignore' });
    if (probe.error) return true; // not installed: no constraint
    return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
  };
  return ok('evtxexport', ['-f', 'xml', file]) && ok('/usr/bin/python3', [path.join(repo, 'test', 'tools', 'pyevtx_records.py'), file]);
}

/**
 * Valid chunks (signature and both checksums right) of every sample that evtxexport and
 * python-evtx can read too (the WEC-forwarded samples break both), in order.
 */
export function sampleChunks(): Buffer[] {
  const out: Buffer[] = [];
  for (const f of sharedSamples()) {
    if (!referencesRead(f)) {
      process.stderr.write(`bench: ${path.basename(f)} left out (a reference tool cannot read it)\n`);
      continue;
    }
    const b = readFileSync(f);
    for (let o = 4096; o + CHUNK <= b.length; o += CHUNK) {
      const c = b.subarray(o, o + CHUNK);
      if (c.toString('latin1', 0, 8) !== 'ElfChnk\0') continue;
      const free = c.readUInt32LE(48);
      if (free < 512 || free > CHUNK) continue;
      if (crc32(c, 128, 512, crc32(c, 0, 120)) !== c.readUInt32LE(124) || crc32(c, 512, free) !== c.readUInt32LE(52)) continue;
      out.push(Buffer.from(c));
    }
  }
  return out;
}


let chunks: Buffer[] | undefined;

/** The corpus file of at least `mb` MB, built on first use. */
export function ensureEvtxCorpus(mb: number): string {
  const dir = path.join(repo, 'bench', '.corpus');
  mkdirSync(dir, { recursive: true });
  const target = path.join(dir, `evtx-${mb}mb.evtx`);
  if (existsSync(target)) return target;
  chunks ??= sampleChunks();
  const n = Math.ceil((mb * MB - 4096) / CHUNK);
  const header = Buffer.from(readFileSync(sharedSamples().find((f) => f.endsWith('security.evtx'))!).subarray(0, 4096));
  header.writeBigUInt64LE(0n, 8);
  header.writeBigUInt64LE(BigInt(n - 1), 16);
  header.writeUInt16LE(n & 0xffff, 42); // wraps above 65535 chunks (4 GiB), as in real files
  header.writeUInt32LE(0, 120);
  header.writeUInt32LE(crc32(header, 0, 120), 124);
  const fd = openSync(target, 'w');
  writeSync(fd, header);
  for (let i = 0; i < n; i++) writeSync(fd, chunks[i % chunks.length]!);
  closeSync(fd);
  process.stderr.write(`bench: wrote ${target} (${n} chunks from ${chunks.length} distinct sample chunks)\n`);
  return target;
}
