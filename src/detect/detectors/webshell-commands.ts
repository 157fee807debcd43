// Operating-system commands in a request's query string: how simple web shells receive their
// commands (…/shell.aspx?cmd=whoami).
// Source: Sigma web_win_webshells_in_access_logs.yml (7ff9db12-1b94-4a79-ba68-a2402c5d6729), whose
// keywords all start with "=" (a parameter value): =whoami, =net user, =cmd /c, =powershell,
// =ipconfig, =tasklist, =wmic, =certutil, =nltest, =dsquery, =curl, =wget …; we match the decoded
// value so %20 / + / %2B spellings are one case.
import type { Detector, Hit } from '../types.js';
import { CALL_A_PROFESSIONAL, HUNT_WEB_SHELLS, PRESERVE_FIRST, RESET_CREDENTIALS } from '../remediation.js';
import { clip, decodeUrl, isScriptPage, isSuccess, statusText } from '../web.js';

const MAX_QUERY = 16 * 1024;
// A program may come with its folder (C:\Windows\System32\cmd.exe). Each folder step consumes up
// to one backslash, so the match cannot backtrack across more than the path's own depth.
const COMMAND =
  /(?:^|[=&])\s*((?:"?[a-z]:\\(?:[^\\&\s]*\\)*)?(?:cmd(?:\.exe)?\s+\/[ckr]\b|powershell(?:\.exe)?\s|pwsh\s|whoami\b|net1?(?:\.exe)?\s+(?:user|group|localgroup|view|use)\b|ipconfig\b|tasklist\b|systeminfo\b|wmic\s|certutil\b|nltest\b|dsquery\b|curl\s|wget\s|bitsadmin\b|rundll32\b|reg(?:\.exe)?\s+(?:query|add|save)\b|vssadmin\b|copy\s+\\\\)[^&]*)/i;


export const webshellCommands: Detector = {
  id: 'webshell-command-in-query',
  title: 'Operating-system command sent in a request',
  story: 'commands run through a web shell',
  appliesTo: ['iis', 'exchange-httpproxy'],
  // A command only runs if a script page receives it, so the prefilter is the page type.
  needles: ['.asp', '.ashx'],
  cves: [],
  attack: ['T1505.003', 'T1059.003'],
  explanation:
    'A request carried a Windows command (such as whoami, ipconfig or net user) as a parameter. That is how web shells receive commands; with status 200 the command was most likely executed on the server.',
  remediation: [HUNT_WEB_SHELLS, PRESERVE_FIRST, RESET_CREDENTIALS, CALL_A_PROFESSIONAL],
  references: ['SigmaHQ rules/web/webserver_generic/web_win_webshells_in_access_logs.yml (7ff9db12-1b94-4a79-ba68-a2402c5d6729)'],
  inspect(ev): Hit | undefined {
    const web = ev.web;
    if (!web || !web.query || !isScriptPage(web.stem)) return undefined;
    const query = decodeUrl(web.query.slice(0, MAX_QUERY).replace(/\+/g, ' '));
    const m = COMMAND.exec(query);
    if (!m) return undefined;
    const ok = isSuccess(web.status);
    const ip = web.clientIp;
    const command = clip(m[1]!.trim(), 160);
    return {
      key: `${ip}|${web.stem.toLowerCase()}`,
      clientIp: ip,
      facets: { command, status: statusText(web.status), page: web.stem },
      title: `Command sent to ${web.stem}`,
      severity: ok ? 'high' : 'medium',
      stage: ok ? 'compromise' : 'attempt',
      summary: `${ip}: ${web.method} ${web.stem} with the command "${command}" (status ${statusText(web.status)}).`,
    };
  },
};
