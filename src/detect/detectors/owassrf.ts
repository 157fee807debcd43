// OWASSRF (CVE-2022-41080 OWA SSRF + CVE-2022-41082 PowerShell RCE), the ProxyNotShell mitigation
// bypass used by Play ransomware: POST /owa/<mailbox>@<domain>/powershell answered 200.
// Sources: CrowdStrike "OWASSRF" 2022-12-20 and CrowdStrike/OWASSRF; Sigma
// web_cve_2022_36804_exchange_owassrf_exploitation.yml (181f49fa-0b21-4665-a98c-a57025ebb8c7, with
// its user-agent exclusions ClientInfo / Microsoft WinRM Client / Exchange BackEnd Probes);
// Neo23x0/signature-base expl_proxynotshell_owassrf_dec22.yar.
import type { Detector, Hit } from '../types.js';
import { CALL_A_PROFESSIONAL, HUNT_WEB_SHELLS, PATCH_PROXYNOTSHELL, PRESERVE_FIRST, RESET_CREDENTIALS } from '../remediation.js';
import { isSuccess, pathOf, statusText, userAgentOf } from '../web.js';

// The first class excludes `@` so that a run of them cannot make the match backtrack.
const OWA_POWERSHELL = /^\/owa\/[^/@]*@[^/]*\/powershell/;
const BENIGN_CLIENTS = ['clientinfo', 'microsoft winrm client', 'exchange backend probes'];

export const owassrf: Detector = {
  id: 'exchange-owassrf',
  title: 'OWASSRF exploitation (CVE-2022-41080, CVE-2022-41082)',
  story: 'OWASSRF exploited (remote PowerShell)',
  appliesTo: ['iis', 'exchange-httpproxy'],
  needles: ['/powershell'],
  cves: ['CVE-2022-41080', 'CVE-2022-41082'],
  attack: ['T1190'],
  explanation:
    'OWASSRF (December 2022) reached Exchange remote PowerShell through Outlook on the web (/owa/<mailbox>/powershell) with a stolen mailbox password, bypassing the ProxyNotShell URL Rewrite mitigation, and ran commands on the server. A POST answered with 200 means the PowerShell request was accepted.',
  remediation: [PATCH_PROXYNOTSHELL, RESET_CREDENTIALS, HUNT_WEB_SHELLS, CALL_A_PROFESSIONAL, PRESERVE_FIRST],
  references: [
    'https://www.crowdstrike.com/blog/owassrf-exploit-analysis-and-recommendations/',
    'SigmaHQ rules-emerging-threats/2022/Exploits/CVE-2022-41082/web_cve_2022_36804_exchange_owassrf_exploitation.yml (181f49fa-0b21-4665-a98c-a57025ebb8c7)',
    'Neo23x0/signature-base yara/expl_proxynotshell_owassrf_dec22.yar',
  ],
  inspect(ev): Hit | undefined {
    const web = ev.web;
    if (!web) return undefined;
    const path = pathOf(web);
    if (!OWA_POWERSHELL.test(path)) return undefined;
    if (BENIGN_CLIENTS.includes(userAgentOf(web))) return undefined;
    const ok = web.method.toUpperCase() === 'POST' && isSuccess(web.status);
    const ip = web.clientIp;
    return {
      key: ip,
      clientIp: ip,
      facets: { user: web.user, status: statusText(web.status), userAgent: web.userAgent },
      title: ok ? 'OWASSRF: remote PowerShell reached through OWA' : 'OWASSRF attempt',
      severity: ok ? 'critical' : 'medium',
      stage: ok ? 'compromise' : 'attempt',
      summary: `${ip}${web.user ? ` as ${web.user}` : ''}: ${web.method} ${web.stem} (status ${statusText(web.status)}).`,
    };
  },
};
