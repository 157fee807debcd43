// Archiving for exfiltration: stolen mailboxes (.pst/.ost) and memory dumps (.dmp) packed with
// 7-Zip, RAR or makecab, or archives built under ProgramData or the web root (where HAFNIUM staged
// them before downloading them through the web server).
// Sources: SigmaHQ rules-emerging-threats/2021/TA/HAFNIUM/proc_creation_win_apt_hafnium.yml (7z -t7z
// C:\Programdata\pst, makecab inetpub\wwwroot .dmp.zip); Microsoft HAFNIUM post-exploitation summary
// (7-Zip for exfiltration); Test-ProxyLogon suspicious archives in %ProgramData%.
import { CALL_A_PROFESSIONAL, PRESERVE_FIRST, REVIEW_MAILBOXES } from '../remediation.js';
import type { Detector, Hit } from '../types.js';
import { clip } from '../web.js';
import { processStart } from '../windows.js';

const ARCHIVERS = new Set(['7z.exe', '7za.exe', '7zr.exe', '7zg.exe', 'rar.exe', 'winrar.exe', 'makecab.exe']);
const LOOT = /\.(pst|ost|dmp|ntds|dit)\b/i;
const STAGING = /\\programdata\\|\\inetpub\\|\\aspnet_client\\|\\frontend\\httpproxy\\/i;

export const exfiltrationStaging: Detector = {
  id: 'exfiltration-staging',
  title: 'Mailboxes or dumps archived for exfiltration',
  story: 'data packed for theft',
  appliesTo: ['evtx'],
  needles: null,
  cves: [],
  attack: ['T1560.001', 'T1074.001'],
  explanation:
    'Before taking data away, intruders pack it: exported mailboxes (.pst) and memory dumps (.dmp) compressed with 7-Zip, RAR or makecab, often in ProgramData or in a web folder from which they then download the archive.',
  remediation: [PRESERVE_FIRST, REVIEW_MAILBOXES, CALL_A_PROFESSIONAL],
  references: ['SigmaHQ rules-emerging-threats/2021/TA/HAFNIUM/proc_creation_win_apt_hafnium.yml', 'microsoft/CSS-Exchange Test-ProxyLogon.ps1 (Get-SuspiciousFile)'],
  inspect(ev): Hit | undefined {
    const p = processStart(ev);
    if (!p) return undefined;
    const cmd = p.commandLine;
    const archiver = ARCHIVERS.has(p.imageName) || /(^|[\\\s"])(7za?|rar|makecab)(\.exe)?\s+(a\b|-t7z|\/f\b|\S+\.(dmp|pst))/i.test(cmd);
    if (!archiver) return undefined;
    const loot = LOOT.test(cmd);
    const staged = STAGING.test(cmd);
    if (!loot && !staged) return undefined;
    const command = clip(cmd || p.image, 240);
    return {
      // The shell and the archiver it starts are one action: grouped by what was packed.
      key: `${p.computer.toLowerCase()}|${loot ? 'loot' : 'staged'}`,
      title: loot ? 'Mailboxes or memory dumps archived' : 'Archive built in a staging folder',
      severity: loot ? 'critical' : 'high',
      stage: 'compromise',
      summary: `${p.computer || 'The server'}: "${command}" (${p.via}${p.user ? `, as ${p.user}` : ''}).`,
      facets: { command, server: p.computer, user: p.user },
    };
  },
};
