// Programs started by Exchange's own worker processes: an IIS worker (w3wp.exe, the MSExchange*
// application pools) or Unified Messaging (UMWorkerProcess.exe, UMService.exe) starting a shell or
// a reconnaissance tool means code ran inside Exchange — a web shell or an exploit.
// Sources: SigmaHQ proc_creation_win_exploit_cve_2021_26857_msexchange.yml (any child of
// UMWorkerProcess except wermgr/WerFault), proc_creation_win_webshell_recon_commands_and_processes.yml,
// proc_creation_win_webshell_susp_process_spawned_from_webserver.yml, proc_creation_win_webshell_chopper.yml.
import { CALL_A_PROFESSIONAL, HUNT_WEB_SHELLS, PRESERVE_FIRST, RESET_CREDENTIALS } from '../remediation.js';
import type { Detector, Hit } from '../types.js';
import { clip } from '../web.js';
import { commandOf, processStart } from '../windows.js';

const UM = new Set(['umworkerprocess.exe', 'umservice.exe']);
// Children of w3wp that are never part of serving a page.
const SHELLS_AND_TOOLS = new Set([
  'cmd.exe', 'powershell.exe', 'pwsh.exe', 'powershell_ise.exe', 'whoami.exe', 'net.exe', 'net1.exe', 'ipconfig.exe', 'systeminfo.exe',
  'tasklist.exe', 'nltest.exe', 'quser.exe', 'query.exe', 'qwinsta.exe', 'netstat.exe', 'reg.exe', 'rundll32.exe', 'regsvr32.exe',
  'certutil.exe', 'bitsadmin.exe', 'wmic.exe', 'mshta.exe', 'cscript.exe', 'wscript.exe', 'ping.exe', 'nslookup.exe', 'hostname.exe',
  'dsquery.exe', 'arp.exe', 'route.exe', 'sc.exe', 'schtasks.exe', 'at.exe', 'vssadmin.exe', 'procdump.exe', 'procdump64.exe',
  '7z.exe', '7za.exe', 'rar.exe', 'winrar.exe', 'makecab.exe', 'curl.exe', 'wget.exe', 'attrib.exe', 'findstr.exe', 'ntdsutil.exe',
  'adfind.exe', 'plink.exe', 'psexec.exe', 'psexec64.exe', 'wevtutil.exe', 'dnscmd.exe', 'net.exe',
]);
// Children Windows starts for any crashing or compiling process.
const BENIGN_CHILDREN = new Set(['wermgr.exe', 'werfault.exe', 'conhost.exe', 'csc.exe', 'cvtres.exe', 'vbc.exe']);

export const exchangeWorkerChildProcess: Detector = {
  id: 'exchange-worker-child-process',
  title: 'Exchange worker process started a shell or tool',
  story: 'commands run through Exchange',
  appliesTo: ['evtx'],
  needles: null,
  cves: [],
  attack: ['T1505.003', 'T1059.003', 'T1190'],
  explanation:
    'Exchange\'s web front end (w3wp.exe) and its Unified Messaging service never start command shells or tools such as whoami or net while doing their job. When they do, code sent by an attacker is running inside Exchange — through a web shell, or through an exploit such as CVE-2021-26857 — with the server\'s own privileges.',
  remediation: [PRESERVE_FIRST, HUNT_WEB_SHELLS, RESET_CREDENTIALS, CALL_A_PROFESSIONAL],
  references: [
    'SigmaHQ rules-emerging-threats/2021/Exploits/CVE-2021-26857/proc_creation_win_exploit_cve_2021_26857_msexchange.yml',
    'SigmaHQ rules/windows/process_creation/proc_creation_win_webshell_recon_commands_and_processes.yml',
    'SigmaHQ rules/windows/process_creation/proc_creation_win_webshell_susp_process_spawned_from_webserver.yml',
  ],
  inspect(ev): Hit | undefined {
    const p = processStart(ev);
    if (!p || BENIGN_CHILDREN.has(p.imageName)) return undefined;
    const fromUm = UM.has(p.parentName);
    const fromWeb = p.parentName === 'w3wp.exe' && SHELLS_AND_TOOLS.has(p.imageName);
    if (!fromUm && !fromWeb) return undefined;
    // Sysmon names the application pool; MSExchange pools make it certain the web shell is in Exchange.
    const pool = /-ap\s+"?([^"\s]+)/i.exec(p.parentCommandLine)?.[1] ?? '';
    const command = clip(commandOf(p), 240);
    const parent = fromUm ? p.parentName : pool ? `w3wp.exe (${pool})` : 'w3wp.exe';
    return {
      key: `${p.computer.toLowerCase()}|${p.parentName}|${p.imageName}`,
      title: `${fromUm ? p.parentName : 'IIS worker process'} started ${p.imageName}`,
      severity: 'critical',
      stage: 'compromise',
      summary: `${p.computer || 'The server'}: ${parent} started "${command}" (${p.via}${p.user ? `, as ${p.user}` : ''}).`,
      cves: fromUm ? ['CVE-2021-26857'] : undefined,
      facets: { command, parent, server: p.computer, user: p.user },
    };
  },
};
