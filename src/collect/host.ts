// Every operating-system call the collector makes, behind one small interface: the collection
// logic runs against a fake host in the tests, and against `nodeCollectHost` on the Exchange
// server. External programs (reg.exe, wevtutil.exe) are started by full path with an argument
// array, never through a shell.
import { execFile } from 'node:child_process';
import { lstat, mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';

export type EntryKind = 'file' | 'dir' | 'link' | 'other';

export interface EntryStat {
  /** `link`: a symbolic link or a junction (never followed). */
  kind: EntryKind;
  size: number;
  mtimeMs: number;
}

export type ExportOutcome = { ok: true } | { ok: false; missing: boolean; message: string };

export interface CollectHost {
  /** `process.platform` of the machine collected. */
  readonly platform: string;
  /** An environment variable, looked up case-insensitively as Windows does. */
  env(name: string): string | undefined;
  hostName(): string;
  /** A registry value as text, or undefined when the key or value does not exist. */
  readRegistryValue(key: string, name: string): Promise<string | undefined>;
  /** The names in a folder; rejects with a Node-style error (`code`: ENOENT, EACCES…). */
  listDir(dir: string): Promise<string[]>;
  /** Never follows links. */
  lstat(p: string): Promise<EntryStat>;
  /** Opens the file now (so that a denied, locked or vanished file fails here) and reads its first `length` bytes. */
  openRead(p: string, length: number): Promise<Readable>;
  /** `wevtutil epl <channel> <dest>`. */
  exportEventLog(channel: string, dest: string): Promise<ExportOutcome>;
  /** A new private folder for event-log exports. */
  makeTempDir(): Promise<string>;
  /** Removes a file or folder created under makeTempDir. */
  removeTemp(p: string): Promise<void>;
  /** The absolute form of a path given on the command line. */
  absolutePath(p: string): string;
}

/** The value of `name` in `reg query KEY /v NAME` output (`    NAME    REG_SZ    value`). */
export function parseRegQueryValue(output: string, name: string): string | undefined {
  for (const line of output.split(/\r?\n/)) {
    const m = /^\s+(.+?)\s{2,}REG_[A-Z_]+(?:\s+(.*))?$/.exec(line);
    if (m && m[1]!.toLowerCase() === name.toLowerCase()) return (m[2] ?? '').trim();
  }
  return undefined;
}

// wevtutil exits with the Windows error code: ERROR_EVT_CHANNEL_NOT_FOUND (15007) for a channel
// this server does not have (Sysmon not installed). The message text is localised, the code is not.
const ERROR_EVT_CHANNEL_NOT_FOUND = 15007;

export function classifyWevtutilFailure(exitCode: unknown, output: string): ExportOutcome {
  const message = output.replace(/\s+/g, ' ').trim() || `wevtutil exited with code ${String(exitCode)}`;
  return { ok: false, missing: exitCode === ERROR_EVT_CHANNEL_NOT_FOUND, message };
}

function systemTool(exe: string): string {
  const root = process.env['SystemRoot'] ?? process.env['windir'] ?? 'C:\\Windows';
  return path.win32.join(root, 'System32', exe);
}

interface RunResult {
  code: unknown;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { windowsHide: true, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? ((err as NodeJS.ErrnoException & { code?: unknown }).code ?? 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: err && !stderr ? err.message : String(stderr) });
    });
  });
}

function kindOf(s: { isSymbolicLink(): boolean; isDirectory(): boolean; isFile(): boolean }): EntryKind {
  // libuv reports junctions (mount points) as symbolic links too.
  if (s.isSymbolicLink()) return 'link';
  if (s.isDirectory()) return 'dir';
  return s.isFile() ? 'file' : 'other';
}

/** The real host: node:fs, reg.exe and wevtutil.exe. */
export const nodeCollectHost: CollectHost = {
  platform: process.platform,
  env: (name) => {
    const hit = Object.keys(process.env).find((k) => k.toLowerCase() === name.toLowerCase());
    return hit === undefined ? undefined : process.env[hit];
  },
  hostName: () => hostname(),
  async readRegistryValue(key, name) {
    // /reg:64: the 64-bit view even from a 32-bit Node, where Exchange registers itself.
    const r = await run(systemTool('reg.exe'), ['query', key, '/v', name, '/reg:64']);
    return r.code === 0 ? parseRegQueryValue(r.stdout, name) : undefined;
  },
  listDir: (dir) => readdir(dir),
  async lstat(p) {
    const s = await lstat(p);
    return { kind: kindOf(s), size: s.size, mtimeMs: s.mtimeMs };
  },
  async openRead(p, length) {
    const fh = await open(p, 'r');
    if (length === 0) {
      await fh.close();
      return Readable.from(Buffer.alloc(0));
    }
    // `end` is inclusive: a log still being written is read up to its size when it was listed.
    return fh.createReadStream({ start: 0, end: length - 1 });
  },
  async exportEventLog(channel, dest) {
    const r = await run(systemTool('wevtutil.exe'), ['epl', channel, dest]);
    return r.code === 0 ? { ok: true } : classifyWevtutilFailure(r.code, `${r.stderr} ${r.stdout}`);
  },
  makeTempDir: () => mkdtemp(path.join(tmpdir(), 'exhunt-collect-')),
  removeTemp: (p) => rm(p, { recursive: true, force: true }),
  absolutePath: (p) => path.resolve(p),
};
