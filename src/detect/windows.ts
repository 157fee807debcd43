// Views of Windows events shared by the EVTX detectors: a process start (Security 4688 or Sysmon 1)
// and a file creation (Sysmon 11) with the fields each detector compares, normalised once. Event
// data paths are Windows paths from the evidence: compared with path.win32, never resolved.
import path from 'node:path';
import type { LogEvent } from '../core/types.js';

export const SYSMON = 'Microsoft-Windows-Sysmon';
export const SECURITY_AUDITING = 'Microsoft-Windows-Security-Auditing';
export const EVENTLOG = 'Microsoft-Windows-Eventlog';
export const DEFENDER = 'Microsoft-Windows-Windows Defender';
export const EXCHANGE_CMDLET_LOGS = 'MSExchange CmdletLogs';
export const EXCHANGE_UM = 'MSExchange Unified Messaging';

/** EVTX data fields that carry a remote address (logons, Sysmon network events, RDP). */
export const EVTX_ADDRESS_FIELDS = ['IpAddress', 'SourceAddress', 'SourceIp', 'ClientIP', 'DestinationIp', 'Address'];

/** Lower-case file name of a Windows path (`C:\Windows\System32\cmd.exe` → `cmd.exe`). */
export function exeName(p: string): string {
  return path.win32.basename(p.trim().replace(/^"|"$/g, '')).toLowerCase();
}

export interface ProcessStart {
  /** Where it came from, for summaries: "Sysmon 1" or "Security 4688". */
  via: string;
  image: string;
  imageName: string;
  parentImage: string;
  parentName: string;
  commandLine: string;
  /** Sysmon only; '' for 4688. */
  parentCommandLine: string;
  user: string;
  computer: string;
}

export function processStart(ev: LogEvent): ProcessStart | undefined {
  const w = ev.win;
  if (!w) return undefined;
  if (w.eventId === 1 && w.provider === SYSMON) {
    const d = w.data;
    const image = d['Image'] ?? '';
    const parentImage = d['ParentImage'] ?? '';
    return {
      via: 'Sysmon 1',
      image,
      imageName: exeName(image),
      parentImage,
      parentName: exeName(parentImage),
      commandLine: d['CommandLine'] ?? '',
      parentCommandLine: d['ParentCommandLine'] ?? '',
      user: d['User'] ?? '',
      computer: w.computer,
    };
  }
  if (w.eventId === 4688 && w.provider === SECURITY_AUDITING) {
    const d = w.data;
    const image = d['NewProcessName'] ?? '';
    const parentImage = d['ParentProcessName'] ?? '';
    const domain = d['SubjectDomainName'] ?? '';
    const user = d['SubjectUserName'] ?? '';
    return {
      via: 'Security 4688',
      image,
      imageName: exeName(image),
      parentImage,
      parentName: exeName(parentImage),
      commandLine: d['CommandLine'] ?? '',
      parentCommandLine: '',
      user: domain && user ? `${domain}\\${user}` : user,
      computer: w.computer,
    };
  }
  return undefined;
}

export interface FileCreate {
  image: string;
  imageName: string;
  target: string;
  user: string;
  computer: string;
}

export function fileCreate(ev: LogEvent): FileCreate | undefined {
  const w = ev.win;
  if (!w || w.eventId !== 11 || w.provider !== SYSMON) return undefined;
  const d = w.data;
  const image = d['Image'] ?? '';
  return { image, imageName: exeName(image), target: d['TargetFilename'] ?? '', user: d['User'] ?? '', computer: w.computer };
}

/** The command line, or the image when the log has no command line (4688 without the policy). */
export function commandOf(p: ProcessStart): string {
  return p.commandLine || p.image;
}
