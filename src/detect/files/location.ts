// Where a file sits on an Exchange server, judged from its path inside the collection. Collections
// keep Windows paths in many shapes (`C/Program Files/Microsoft/Exchange Server/V15/...`,
// `V15/FrontEnd/...`, `FrontEnd/...` alone), so folders are recognised by their own names, never
// by a fixed prefix.

/**
 * `exchange-web`: FrontEnd\HttpProxy and ClientAccess, the folders IIS serves Exchange from;
 * `aspnet-client`: inetpub\wwwroot\aspnet_client (empty on a clean server, the 2021 drop zone);
 * `aspnet-temp`: Temporary ASP.NET Files (compiled copies of every page that ran, shells included);
 * `vdir`: a folder configured as a virtual directory in applicationHost.config;
 * `wwwroot`, `inetpub`, `programdata`: other places attackers staged files; `other`: the rest.
 */
export type Area = 'exchange-web' | 'aspnet-client' | 'aspnet-temp' | 'vdir' | 'wwwroot' | 'inetpub' | 'programdata' | 'other';

export interface Location {
  area: Area;
  /** Lower-case name without the folders. */
  name: string;
  /** Lower-case extension without the dot ('' when none). */
  extension: string;
  /** For `exchange-web`: the path from FrontEnd/ClientAccess on, lower case, build folders as `version`. */
  installRel?: string;
}

/** Extensions IIS runs as code (ASP.NET handlers, classic ASP, and config that can add handlers). */
export const SCRIPT_EXTENSIONS: ReadonlySet<string> = new Set([
  'aspx', 'ashx', 'asmx', 'asax', 'ascx', 'asp', 'asa', 'cer', 'cshtml', 'vbhtml', 'master', 'svc', 'soap', 'rem', 'xamlx', 'shtml', 'stm', 'config', 'php', 'jsp',
]);

const BUILD_FOLDER = /^\d+\.\d+\.\d+(\.\d+)?$/;

/** Exchange's per-build resource folders (`owa/auth/15.2.858`, `Current`) in the form Microsoft's baselines use. */
export function normaliseInstallRel(parts: readonly string[]): string {
  return parts.map((p) => (BUILD_FOLDER.test(p) || p === 'current' ? 'version' : p)).join('/');
}

/** Lower-case path folders of a virtual directory's physical path, for matching collection paths. */
export type VdirPaths = readonly (readonly string[])[];

function containsRun(parts: readonly string[], run: readonly string[]): boolean {
  outer: for (let i = 0; i + run.length <= parts.length; i++) {
    for (let j = 0; j < run.length; j++) if (parts[i + j] !== run[j]) continue outer;
    return true;
  }
  return false;
}

export function locate(rel: string, vdirs: VdirPaths = []): Location {
  const parts = rel.toLowerCase().split('/');
  const name = parts[parts.length - 1] ?? '';
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? name.slice(dot + 1) : '';
  const dirs = parts.slice(0, -1);
  const base = { name, extension };
  for (let i = 0; i < dirs.length; i++) {
    const d = dirs[i]!;
    if ((d === 'frontend' && dirs[i + 1] === 'httpproxy') || d === 'clientaccess') {
      return { ...base, area: 'exchange-web', installRel: normaliseInstallRel(parts.slice(i)) };
    }
  }
  if (dirs.includes('aspnet_client')) return { ...base, area: 'aspnet-client' };
  if (dirs.includes('temporary asp.net files')) return { ...base, area: 'aspnet-temp' };
  // The last two folders of a configured physical path must appear in order (one alone is too common a name).
  if (vdirs.some((v) => containsRun(dirs, v.slice(-2)))) return { ...base, area: 'vdir' };
  if (dirs.includes('wwwroot')) return { ...base, area: 'wwwroot' };
  if (dirs.includes('inetpub')) return { ...base, area: 'inetpub' };
  if (dirs.includes('programdata')) return { ...base, area: 'programdata' };
  return { ...base, area: 'other' };
}

/** Areas IIS serves: a script there runs when requested. */
export function isWebArea(area: Area): boolean {
  return area === 'exchange-web' || area === 'aspnet-client' || area === 'vdir' || area === 'wwwroot';
}

/**
 * Physical paths of the virtual directories in an applicationHost.config, as lower-case folder
 * lists (environment variables like %SystemDrive% dropped with the drive).
 */
export function vdirPathsFromConfig(xml: string): string[][] {
  const out: string[][] = [];
  for (const m of xml.matchAll(/<virtualDirectory\b[^>]*\bphysicalPath\s*=\s*"([^"]*)"/gi)) {
    const parts = m[1]!
      .toLowerCase()
      .split(/[\\/]+/)
      .filter((p) => p && !/^[a-z]:$/.test(p) && !/^%[^%]+%$/.test(p));
    if (parts.length >= 2) out.push(parts);
  }
  return out;
}
