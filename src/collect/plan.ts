// What to collect and in which order: find the Exchange install and the IIS log folders, walk
// them without following links, and order the files so that the --max-total-size cap keeps
// what matters most (web folders and config before logs, the newest logs before older ones).
import path from 'node:path';
import { InputError, errorMessage } from '../core/errors.js';
import type { CollectHost, EntryStat } from './host.js';
import { isIisSiteLogFolder, iisLogDirectories } from './iis-config.js';
import { expandEnvVars, isUsableAbsolute, pathKey, zipPathFor } from './winpath.js';

const win = path.win32;

export const DEFAULT_EXCHANGE_PATH = 'C:\\Program Files\\Microsoft\\Exchange Server\\V15';
export const EXCHANGE_SETUP_KEY = 'HKLM\\SOFTWARE\\Microsoft\\ExchangeServer\\v15\\Setup';
/** applicationHost.config is a few hundred KiB; anything far bigger is not read for log folders. */
const MAX_CONFIG_BYTES = 64 * 1024 * 1024;

export type ExchangePathFrom = 'option' | 'environment' | 'registry' | 'default';
export type Phase = 'web' | 'log';

export interface NotCollected {
  sourcePath: string;
  reason: string;
}

export interface PlannedFile {
  sourcePath: string;
  zipPath: string;
  size: number;
  mtimeMs: number;
  phase: Phase;
}

export interface SearchedRoot {
  path: string;
  phase: Phase;
}

export interface Plan {
  exchangePath: string;
  exchangePathFrom: ExchangePathFrom;
  searched: SearchedRoot[];
  /** Folders the output must not be written into: the install and IIS folders, the log folders. */
  evidenceFolders: string[];
  /** Web folders and config first, then logs newest first. */
  files: PlannedFile[];
  notCollected: NotCollected[];
  /** Log files left out by --since (not counted as "not collected"). */
  olderThanSince: number;
}

export interface PlanOptions {
  exchangePath?: string | undefined;
  since?: number | undefined;
  maxFileSize: number;
}

export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${v.toFixed(1)} ${units[i]}`;
}

export function fileCapReason(size: number, maxFileSize: number): string | undefined {
  return size > maxFileSize ? `${formatBytes(size)}, over the --max-file-size cap of ${formatBytes(maxFileSize)}` : undefined;
}

export function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** Why a file or folder could not be read, in the words the manifest uses. */
export function describeFsError(err: unknown): string {
  switch ((err as NodeJS.ErrnoException | undefined)?.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'vanished while collecting (deleted or rotated)';
    case 'EBUSY':
      return 'locked by another process';
    default:
      return errorMessage(err);
  }
}

function trimSlash(p: string): string {
  const n = win.normalize(p);
  return /^[A-Za-z]:\\$/.test(n) ? n : n.replace(/\\+$/, '');
}

/** --exchange-path, else %ExchangeInstallPath%, else the registry's MsiInstallPath, else the default. */
export async function resolveExchangePath(host: CollectHost, option?: string): Promise<{ path: string; from: ExchangePathFrom }> {
  if (option) return { path: trimSlash(host.absolutePath(option)), from: 'option' };
  // A value that is not an absolute path is not trusted to say where Exchange is.
  const env = host.env('ExchangeInstallPath')?.trim();
  if (env && isUsableAbsolute(env)) return { path: trimSlash(env), from: 'environment' };
  const reg = (await host.readRegistryValue(EXCHANGE_SETUP_KEY, 'MsiInstallPath'))?.trim();
  if (reg && isUsableAbsolute(reg)) return { path: trimSlash(reg), from: 'registry' };
  return { path: DEFAULT_EXCHANGE_PATH, from: 'default' };
}

interface Found {
  path: string;
  stat: EntryStat;
}

async function lstatOrNote(host: CollectHost, p: string, notCollected: NotCollected[], missing?: string): Promise<EntryStat | undefined> {
  try {
    return await host.lstat(p);
  } catch (err) {
    notCollected.push({ sourcePath: p, reason: missing !== undefined && isNotFound(err) ? missing : describeFsError(err) });
    return undefined;
  }
}

/** Every regular file under `root` (or `root` itself), in sorted depth-first order; links are listed, not followed. */
async function walk(host: CollectHost, root: string, notCollected: NotCollected[]): Promise<Found[]> {
  const rootStat = await lstatOrNote(host, root, notCollected, 'not found on this server');
  if (!rootStat) return [];
  const found: Found[] = [];
  const stack: Found[] = [{ path: root, stat: rootStat }];
  while (stack.length > 0) {
    const e = stack.pop()!;
    if (e.stat.kind === 'file') found.push(e);
    else if (e.stat.kind === 'link') notCollected.push({ sourcePath: e.path, reason: 'symbolic link or junction: not followed' });
    else if (e.stat.kind === 'other') notCollected.push({ sourcePath: e.path, reason: 'not a regular file' });
    else {
      let names: string[];
      try {
        names = await host.listDir(e.path);
      } catch (err) {
        notCollected.push({ sourcePath: e.path, reason: `cannot list folder: ${describeFsError(err)}` });
        continue;
      }
      const children: Found[] = [];
      for (const name of [...names].sort()) {
        const p = win.join(e.path, name);
        const stat = await lstatOrNote(host, p, notCollected);
        if (stat) children.push({ path: p, stat });
      }
      stack.push(...children.reverse());
    }
  }
  return found;
}

async function readSmallText(host: CollectHost, p: string): Promise<string | undefined> {
  try {
    const st = await host.lstat(p);
    if (st.kind !== 'file' || st.size > MAX_CONFIG_BYTES) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of await host.openRead(p, st.size)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').replace(/^\uFEFF/, '');
  } catch {
    // The config file's own entry in the manifest says why it could not be read.
    return undefined;
  }
}

/** The W3SVC* folders under the default IIS log folder and every log directory applicationHost.config names. */
async function iisSiteLogFolders(host: CollectHost, configPath: string, defaultDir: string, notCollected: NotCollected[]): Promise<{ dirs: string[]; folders: string[] }> {
  const expand = (s: string) => expandEnvVars(s, (n) => host.env(n));
  const configured: string[] = [];
  for (const raw of iisLogDirectories((await readSmallText(host, configPath)) ?? '')) {
    const dir = expand(raw);
    if (isUsableAbsolute(dir)) configured.push(trimSlash(dir));
    else notCollected.push({ sourcePath: raw, reason: 'IIS log directory in applicationHost.config is not an absolute path after expanding variables' });
  }
  // The default folder is searched even when the config names another: older logs stay behind.
  const defaultNamed = configured.some((d) => pathKey(d) === pathKey(defaultDir));
  const dirs = uniqueByKey([defaultDir, ...configured]);
  const folders: string[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await host.listDir(dir);
    } catch (err) {
      const quiet = isNotFound(err) && dir === defaultDir && !defaultNamed && configured.length > 0;
      if (!quiet) notCollected.push({ sourcePath: dir, reason: `IIS log folder: ${isNotFound(err) ? 'not found on this server' : describeFsError(err)}` });
      continue;
    }
    folders.push(...[...names].sort().filter(isIisSiteLogFolder).map((n) => win.join(dir, n)));
  }
  return { dirs, folders };
}

function uniqueByKey(paths: string[]): string[] {
  const seen = new Set<string>();
  return paths.filter((p) => {
    const k = pathKey(p);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export async function planCollection(host: CollectHost, opts: PlanOptions): Promise<Plan> {
  const { path: exchangePath, from } = await resolveExchangePath(host, opts.exchangePath);
  if (from === 'option' && (await host.lstat(exchangePath).catch(() => undefined))?.kind !== 'dir') {
    throw new InputError(`--exchange-path ${exchangePath}: no such folder on this server`);
  }
  const systemDrive = (host.env('SystemDrive') ?? 'C:').trim().replace(/\\+$/, '');
  const windir = trimSlash(host.env('windir') ?? host.env('SystemRoot') ?? `${systemDrive}\\Windows`);
  const inetpub = win.join(systemDrive, '\\inetpub');
  const inetsrv = win.join(windir, 'System32', 'inetsrv');
  const configPath = win.join(inetsrv, 'config', 'applicationHost.config');
  const notCollected: NotCollected[] = [];
  const iis = await iisSiteLogFolders(host, configPath, win.join(inetpub, 'logs', 'LogFiles'), notCollected);

  const searched: SearchedRoot[] = [
    ...[win.join(exchangePath, 'FrontEnd', 'HttpProxy'), win.join(exchangePath, 'ClientAccess'), win.join(inetpub, 'wwwroot'), configPath].map((p) => ({ path: p, phase: 'web' as const })),
    ...[win.join(exchangePath, 'Logging'), ...iis.folders].map((p) => ({ path: p, phase: 'log' as const })),
  ];
  const seen = new Set<string>();
  const web: PlannedFile[] = [];
  const logs: PlannedFile[] = [];
  let olderThanSince = 0;
  for (const root of searched) {
    for (const f of await walk(host, root.path, notCollected)) {
      const key = pathKey(f.path);
      if (seen.has(key)) continue;
      seen.add(key);
      if (root.phase === 'log' && opts.since !== undefined && f.stat.mtimeMs < opts.since) {
        olderThanSince++;
        continue;
      }
      const overCap = fileCapReason(f.stat.size, opts.maxFileSize);
      if (overCap) {
        notCollected.push({ sourcePath: f.path, reason: overCap });
        continue;
      }
      const planned = { sourcePath: f.path, zipPath: zipPathFor(f.path), size: f.stat.size, mtimeMs: f.stat.mtimeMs, phase: root.phase };
      (root.phase === 'web' ? web : logs).push(planned);
    }
  }
  logs.sort((a, b) => b.mtimeMs - a.mtimeMs || (a.sourcePath < b.sourcePath ? -1 : a.sourcePath > b.sourcePath ? 1 : 0));
  return {
    exchangePath,
    exchangePathFrom: from,
    searched,
    evidenceFolders: uniqueByKey([exchangePath, inetpub, inetsrv, ...iis.dirs]),
    files: [...web, ...logs],
    notCollected,
    olderThanSince,
  };
}
