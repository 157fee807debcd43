// LSASS memory dumps: the credentials of everyone logged on to the server, taken with tools every
// Windows has (rundll32 comsvcs.dll MiniDump, Task Manager) or Sysinternals procdump — HAFNIUM's
// routine after a web shell. Seen as a process start (4688 / Sysmon 1) or as a dump file written
// (Sysmon 11).
// Sources: SigmaHQ proc_creation_win_rundll32_process_dump_via_comsvcs.yml (comsvcs + MiniDump/#24 +
// full), proc_creation_win_sysinternals_procdump_lsass.yml, file_event_win_lsass_default_dump_file_names.yml,
// rules-emerging-threats/2021/TA/HAFNIUM/proc_creation_win_apt_hafnium.yml; Test-ProxyLogon (lsass.*dmp).
import { CALL_A_PROFESSIONAL, PRESERVE_FIRST, RESET_CREDENTIALS } from '../remediation.js';
import type { Detector, Hit } from '../types.js';
import { clip } from '../web.js';
import { commandOf, fileCreate, processStart } from '../windows.js';

const COMSVCS = /comsvcs(\.dll)?[\s,"']+[^\n]*?(minidump|#\s*\+?0*24\b|#-)/i;
const PROCDUMP_LSASS = /\bprocdump(64)?(\.exe)?\b[^\n]*\s[-/]m[ap]\b[^\n]*\blsass\b|\bprocdump(64)?(\.exe)?\b[^\n]*\blsass\b[^\n]*\s[-/]m[ap]\b/i;
const DUMP_FILE = /\\lsass[^\\]*\.(dmp|zip|7z|rar)$/i;

export const lsassDump: Detector = {
  id: 'lsass-dump',
  title: 'LSASS memory dumped (credential theft)',
  story: 'passwords taken from memory',
  appliesTo: ['evtx'],
  needles: null,
  cves: [],
  attack: ['T1003.001'],
  explanation:
    'The LSASS process holds the passwords and password hashes of everyone logged on to the server. Dumping its memory to a file — with comsvcs.dll MiniDump, procdump or Task Manager — lets the attacker take those credentials away and use them elsewhere in the network.',
  remediation: [PRESERVE_FIRST, RESET_CREDENTIALS, CALL_A_PROFESSIONAL],
  references: [
    'SigmaHQ rules/windows/process_creation/proc_creation_win_rundll32_process_dump_via_comsvcs.yml',
    'SigmaHQ rules/windows/process_creation/proc_creation_win_sysinternals_procdump_lsass.yml',
    'SigmaHQ rules/windows/file/file_event/file_event_win_lsass_default_dump_file_names.yml',
  ],
  inspect(ev): Hit | undefined {
    const p = processStart(ev);
    if (p) {
      const cmd = p.commandLine;
      const how = COMSVCS.test(cmd) ? 'comsvcs.dll MiniDump' : PROCDUMP_LSASS.test(cmd) ? 'procdump' : '';
      if (!how) return undefined;
      const command = clip(commandOf(p), 240);
      return {
        key: `${p.computer.toLowerCase()}|${how}`,
        title: `LSASS memory dumped with ${how}`,
        severity: 'critical',
        stage: 'compromise',
        summary: `${p.computer || 'The server'}: "${command}" (${p.via}${p.user ? `, as ${p.user}` : ''}${p.parentName ? `, started by ${p.parentName}` : ''}).`,
        facets: { command, server: p.computer, user: p.user, parent: p.parentName },
      };
    }
    const f = fileCreate(ev);
    if (!f || !DUMP_FILE.test(f.target)) return undefined;
    return {
      key: `${f.computer.toLowerCase()}|file`,
      title: 'LSASS dump file written',
      severity: 'critical',
      stage: 'compromise',
      summary: `${f.computer || 'The server'}: ${f.imageName || 'a process'} wrote ${clip(f.target, 200)}.`,
      facets: { file: f.target, process: f.image, server: f.computer },
    };
  },
};
