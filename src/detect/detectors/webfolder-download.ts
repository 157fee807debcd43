// Downloads of memory dumps, archives and mailbox files from the web server's own folders: how
// HAFNIUM exfiltrated what it staged under inetpub\wwwroot (LSASS dumps packed with makecab into
// .dmp.zip, mailboxes exported as .pst, 7-Zip archives) — the web server is the way out.
// Sources: Sigma proc_creation_win_apt_hafnium.yml (rules-emerging-threats/2021/TA/HAFNIUM:
// comsvcs.dll MiniDump … \inetpub\wwwroot, makecab … inetpub\wwwroot\ … .dmp.zip, 7z -t7z
// C:\Programdata\pst); Microsoft HAFNIUM blog 2021-03-02 (procdump, 7-Zip, mailbox export).
import type { Detector, Hit } from '../types.js';
import { CALL_A_PROFESSIONAL, PRESERVE_FIRST, RESET_CREDENTIALS, REVIEW_MAILBOXES } from '../remediation.js';
import { isSuccess, pathOf, statusText } from '../web.js';

const DUMP = /\.dmp(\.(zip|7z|rar|cab|gz))?$/;
const STAGED = /\.(zip|7z|rar|cab|pst|ost|bak|tar|gz)$/;
// Folders Exchange serves directly from disk, where staged files can be fetched.
const WEB_FOLDERS = /^\/(aspnet_client|owa\/auth|ecp|oab)\//;

export const webfolderDownload: Detector = {
  id: 'webfolder-dump-or-archive-download',
  title: 'Memory dump or archive downloaded from a web folder',
  story: 'data downloaded from a web folder',
  appliesTo: ['iis', 'exchange-httpproxy'],
  // Dumps anywhere; archives only where Exchange serves files from disk (see WEB_FOLDERS).
  needles: ['.dmp', '/aspnet_client/', '/owa/auth/', '/ecp/', '/oab/'],
  cves: [],
  attack: ['T1041', 'T1003.001', 'T1560.001'],
  explanation:
    'A memory dump, archive or mailbox file was fetched from a folder the web server publishes. Exchange serves no such files there: attackers dump the LSASS process (which holds passwords) or pack mailboxes into the web root and download them through the web server.',
  remediation: [PRESERVE_FIRST, RESET_CREDENTIALS, REVIEW_MAILBOXES, CALL_A_PROFESSIONAL],
  references: [
    'SigmaHQ rules-emerging-threats/2021/TA/HAFNIUM/proc_creation_win_apt_hafnium.yml',
    'https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/',
  ],
  inspect(ev): Hit | undefined {
    const web = ev.web;
    if (!web) return undefined;
    const path = pathOf(web);
    const dump = DUMP.test(path);
    const staged = STAGED.test(path) && WEB_FOLDERS.test(path);
    if (!dump && !staged) return undefined;
    const ok = isSuccess(web.status);
    const ip = web.clientIp;
    return {
      key: path,
      clientIp: ip,
      facets: { status: statusText(web.status), method: web.method },
      title: dump ? `Memory dump downloaded: ${web.stem}` : `Archive downloaded from a web folder: ${web.stem}`,
      story: dump ? 'memory dump downloaded (credentials)' : 'data downloaded from a web folder',
      severity: ok ? (dump ? 'critical' : 'high') : 'medium',
      stage: ok ? 'compromise' : 'attempt',
      summary: `${ip}: ${web.method} ${web.stem} (status ${statusText(web.status)}).${ok ? ' The file was served: its contents left the server.' : ''}${dump ? ' A .dmp file is a process memory dump; from LSASS it contains credentials.' : ''}`,
    };
  },
};
