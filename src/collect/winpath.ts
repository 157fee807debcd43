// Windows paths as the collector sees them on the server, handled with path.win32 so that the
// logic runs (and is tested) the same on any machine.
import path from 'node:path';

const win = path.win32;

/** Case-insensitive identity of a Windows path, for de-duplication and containment checks. */
export function pathKey(p: string): string {
  return win.normalize(p).replace(/[\\/]+$/, '').toLowerCase();
}

export function isInsideOrEqual(folder: string, p: string): boolean {
  const f = pathKey(folder);
  const k = pathKey(p);
  return k === f || k.startsWith(`${f}\\`);
}

/** `%Name%` expanded from `lookup` (Windows variable names are case-insensitive); unknown names stay. */
export function expandEnvVars(s: string, lookup: (name: string) => string | undefined): string {
  return s.replace(/%([^%\\/:]+)%/g, (whole, name: string) => lookup(name) ?? whole);
}

/** An absolute drive or UNC path with nothing left to expand. */
export function isUsableAbsolute(p: string): boolean {
  return win.isAbsolute(p) && /^([A-Za-z]:\\|\\\\[^\\]+\\[^\\]+)/.test(win.normalize(p)) && !/%[^%]+%/.test(p);
}

/**
 * Where a Windows file goes in the zip: the drive letter becomes the first folder, so that
 * `C:\inetpub\logs\LogFiles\W3SVC1\u_ex210302.log` is `C/inetpub/logs/LogFiles/W3SVC1/u_ex210302.log`;
 * a UNC path `\\srv\share\x` is `UNC/srv/share/x`.
 */
export function zipPathFor(winPath: string): string {
  const n = win.normalize(winPath.replace(/^\\\\\?\\/, ''));
  const unc = /^\\\\([^\\]+)\\(.*)$/.exec(n);
  const drive = /^([A-Za-z]):\\?(.*)$/.exec(n);
  let rel: string;
  if (unc) rel = `UNC/${unc[1]}/${unc[2]}`;
  else if (drive) rel = `${drive[1]!.toUpperCase()}/${drive[2]}`;
  else throw new Error(`not an absolute Windows path: ${winPath}`);
  return rel.replace(/\\/g, '/').replace(/\/+/g, '/').replace(/\/$/, '');
}

/** `Microsoft-Windows-Sysmon/Operational` → `EventLogs/Microsoft-Windows-Sysmon%4Operational.evtx`, as Windows names the files. */
export function eventLogZipPath(channel: string): string {
  return `EventLogs/${eventLogFileName(channel)}`;
}

export function eventLogFileName(channel: string): string {
  return `${channel.replace(/\//g, '%4')}.evtx`;
}
