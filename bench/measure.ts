// Timing a command for the benchmarks: wall time and the peak resident memory read from /proc
// (polled every 10 ms; Linux only, 0 elsewhere), with its output.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, readdirSync } from 'node:fs';
import path from 'node:path';

export interface Timed {
  ms: number;
  rssKb: number;
  code: number;
  stdout: string;
  /** Captured standard error (first 64 KiB), when not passed through. */
  stderr: string;
}

export function timed(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; stderr?: 'inherit' | 'capture' } = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', opts.stderr === 'capture' ? 'pipe' : 'inherit'] });
    let stdout = '';
    let stderr = '';
    let rssKb = 0;
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += d.toString();
    });
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) rssKb = Math.max(rssKb, Number(m[1]));
      } catch {
        // process already gone
      }
    }, 10);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      resolve({ ms: performance.now() - t, rssKb, code: code ?? -1, stdout, stderr });
    });
  });
}

/** Every regular file under `dir`, recursively. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Reads every file once, so each tool timed afterwards works from the page cache. */
export function warm(files: string[]): void {
  const buf = Buffer.allocUnsafe(8 * 1024 * 1024);
  for (const f of files) {
    const fd = openSync(f, 'r');
    while (readSync(fd, buf, 0, buf.length, null) > 0);
    closeSync(fd);
  }
}
