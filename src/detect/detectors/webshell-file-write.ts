// Web shells being written, as Sysmon sees it (event 11, file created): the IIS worker or Unified
// Messaging writing a script page under FrontEnd\HttpProxy or aspnet_client (ProxyLogon's
// CVE-2021-26858/27065), Unified Messaging writing anything outside its own working files
// (CVE-2021-26858), and the Mailbox Replication service writing an .aspx "mailbox export" (ProxyShell).
// Sources: SigmaHQ file_event_win_exchange_webshell_drop.yml (bd1212e5-…),
// file_event_win_cve_2021_26858_msexchange.yml (b06335b3-…), file_event_win_susp_exchange_aspx_write.yml (7280c9f3-…).
import { CALL_A_PROFESSIONAL, HUNT_WEB_SHELLS, PATCH_MARCH_2021, PATCH_PROXYSHELL, PRESERVE_FIRST } from '../remediation.js';
import type { Detector, Hit } from '../types.js';
import { clip } from '../web.js';
import { fileCreate } from '../windows.js';

const SCRIPT_PAGE = /\.(aspx|ashx|asmx|asp)$/i;
const WEB_FOLDER = /\\frontend\\httpproxy\\|\\inetpub\\wwwroot\\aspnet_client\\|\\clientaccess\\oab\\|\\inetpub\\wwwroot\\/i;
// What Unified Messaging writes in normal operation (Sigma's exclusions).
const UM_OWN = /(cachecleanup\.bin|cleanup\.bin|\.txt|\.log|\.cfg)$/i;

export const webshellFileWrite: Detector = {
  id: 'webshell-file-write',
  title: 'Web shell written by an Exchange process',
  story: 'web shell written',
  appliesTo: ['evtx'],
  needles: null,
  cves: ['CVE-2021-26858', 'CVE-2021-27065'],
  attack: ['T1505.003'],
  explanation:
    'Exchange\'s own processes do not create web pages. When the IIS worker, Unified Messaging or the Mailbox Replication service writes an .aspx file into a web folder, an exploit made it write a web shell — a page the attacker can call to run commands.',
  remediation: [HUNT_WEB_SHELLS, PRESERVE_FIRST, PATCH_MARCH_2021, PATCH_PROXYSHELL, CALL_A_PROFESSIONAL],
  references: [
    'SigmaHQ rules/windows/file/file_event/file_event_win_exchange_webshell_drop.yml',
    'SigmaHQ rules-emerging-threats/2021/Exploits/CVE-2021-26858/file_event_win_cve_2021_26858_msexchange.yml',
    'SigmaHQ rules/windows/file/file_event/file_event_win_susp_exchange_aspx_write.yml',
  ],
  inspect(ev): Hit | undefined {
    const f = fileCreate(ev);
    if (!f) return undefined;
    const target = f.target;
    const page = SCRIPT_PAGE.test(target);
    let why = '';
    let cves: string[] | undefined;
    if ((f.imageName === 'w3wp.exe' || f.imageName === 'umworkerprocess.exe') && page && WEB_FOLDER.test(target)) {
      why = 'wrote a script page into a web folder';
      cves = ['CVE-2021-26858', 'CVE-2021-27065'];
    } else if (f.imageName === 'msexchangemailboxreplication.exe' && page) {
      why = 'wrote a mailbox export as a script page (ProxyShell)';
      cves = ['CVE-2021-34473', 'CVE-2021-34523', 'CVE-2021-31207'];
    } else if (f.imageName === 'umworkerprocess.exe' && !UM_OWN.test(target)) {
      why = 'wrote a file it never writes in normal operation';
      cves = ['CVE-2021-26858'];
    }
    if (!why) return undefined;
    return {
      key: `${f.computer.toLowerCase()}|${target.toLowerCase()}`,
      title: page ? `Script page written by ${f.imageName}` : `Unexpected file written by ${f.imageName} (CVE-2021-26858)`,
      severity: page ? 'critical' : 'high',
      stage: page ? 'compromise' : 'attempt',
      summary: `${f.computer || 'The server'}: ${f.imageName} ${why}: ${clip(target, 200)}.`,
      cves,
      facets: { file: target, process: f.image, server: f.computer },
    };
  },
};
