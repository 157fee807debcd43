// ProxyShell (CVE-2021-34473 pre-auth path confusion + CVE-2021-34523 PowerShell elevation +
// CVE-2021-31207 post-auth file write): anonymous Autodiscover requests that reach a back-end path.
// Successful (200) PowerShell access is the complete chain; 401 is the patched/blocked answer.
// Sources: see ../autodiscover-ssrf.ts; Orange Tsai, "ProxyShell" (Black Hat USA 2021);
// GossiTheDog http-vuln-exchange-proxyshell.nse (302 on the /owa/ probe = vulnerable).
import type { Detector, Hit } from '../types.js';
import { autodiscoverSsrf } from '../autodiscover-ssrf.js';
import { CALL_A_PROFESSIONAL, HUNT_WEB_SHELLS, PATCH_PROXYSHELL, PRESERVE_FIRST, REVIEW_MAILBOXES } from '../remediation.js';
import { clip, reachedBackend, statusText } from '../web.js';

export const proxyshell: Detector = {
  id: 'exchange-proxyshell',
  title: 'ProxyShell exploitation (CVE-2021-34473, CVE-2021-34523, CVE-2021-31207)',
  story: 'ProxyShell exploited',
  appliesTo: ['iis', 'exchange-httpproxy'],
  needles: ['autodiscover.json', 'x-rps-cat'],
  cves: ['CVE-2021-34473', 'CVE-2021-34523', 'CVE-2021-31207'],
  attack: ['T1190'],
  explanation:
    'ProxyShell abuses a flaw in how Exchange handles Autodiscover URLs: a request to /autodiscover/autodiscover.json with "@something/<path>" in it is forwarded to the back end without a password. Attackers used it to reach remote PowerShell as an administrator, export a mailbox as an .aspx file (a web shell) and run commands. A 200 answer to a PowerShell request means the chain worked; 401 means it was refused.',
  remediation: [PATCH_PROXYSHELL, HUNT_WEB_SHELLS, PRESERVE_FIRST],
  references: [
    'SigmaHQ rules-emerging-threats/2021/Exploits/ProxyShell-Exploit/web_exchange_proxyshell.yml (23eee45e-933b-49f9-ae1b-df706d2d52ef)',
    'SigmaHQ rules-emerging-threats/2021/Exploits/ProxyShell-Exploit/web_exchange_proxyshell_successful.yml (992be1eb-e5da-437e-9a54-6d13b57bb4d8)',
    'Azure/Azure-Sentinel Detections/W3CIISLog/ProxyShellPwn2Own.yaml',
  ],
  inspect(ev): Hit | undefined {
    const web = ev.web;
    if (!web || web.user !== '') return undefined; // authenticated: ProxyNotShell's detector
    const ssrf = autodiscoverSsrf(web);
    if (!ssrf) return undefined;
    const ok = reachedBackend(web.status);
    const ip = web.clientIp;
    const status = statusText(web.status);
    const base = {
      key: ip,
      clientIp: ip,
      facets: { target: ssrf.backendPath || ssrf.target, status, userAgent: web.userAgent },
    };
    const what = `${ip}: ${web.method} ${clip(web.stem + (web.query ? `?${web.query}` : ''), 200)} → ${ssrf.backendPath || ssrf.target} (status ${status})`;
    switch (ssrf.target) {
      case 'powershell':
        return {
          ...base,
          title: ok ? 'ProxyShell: remote PowerShell reached without a password' : 'ProxyShell attempt on remote PowerShell',
          severity: ok ? 'critical' : 'medium',
          stage: ok ? 'compromise' : 'attempt',
          summary: `${what}.${ok ? ' The back end accepted the PowerShell session: the attacker could run Exchange cmdlets as an administrator.' : ''}`,
          story: 'ProxyShell exploited (remote PowerShell)',
          remediation: ok ? [PATCH_PROXYSHELL, HUNT_WEB_SHELLS, REVIEW_MAILBOXES, CALL_A_PROFESSIONAL, PRESERVE_FIRST] : [PATCH_PROXYSHELL],
        };
      case 'ews':
        return {
          ...base,
          title: ok ? 'ProxyShell: mailbox access through EWS' : 'ProxyShell attempt on EWS',
          severity: ok ? 'critical' : 'medium',
          stage: ok ? 'compromise' : 'attempt',
          summary: `${what}.${ok ? ' EWS answered: mail could be read or sent without a password.' : ''}`,
          story: 'mailboxes read through EWS',
          remediation: ok ? [PATCH_PROXYSHELL, REVIEW_MAILBOXES, PRESERVE_FIRST] : [PATCH_PROXYSHELL],
        };
      case 'mapi':
        return {
          ...base,
          title: ok ? 'ProxyShell: back-end MAPI reached (address book / user lookup)' : 'ProxyShell attempt on MAPI',
          severity: ok ? 'high' : 'medium',
          stage: ok ? 'compromise' : 'attempt',
          summary: `${what}.${ok ? ' The attacker read directory data used to impersonate an administrator.' : ''}`,
        };
      case 'autodiscover':
      case 'other':
        return {
          ...base,
          title: 'ProxyShell attempt (CVE-2021-34473)',
          severity: 'medium',
          stage: 'attempt',
          summary: `${what}.${ok ? ' The success status shows the server was vulnerable.' : ''}`,
          remediation: [PATCH_PROXYSHELL],
        };
      case 'owa':
        return {
          ...base,
          title: 'Probe for ProxyShell (CVE-2021-34473)',
          severity: 'low',
          stage: 'scan',
          summary: `${what}. This is the shape of public ProxyShell vulnerability checks${web.status === 302 ? '; the 302 answer means the server was vulnerable at that time' : ''}.`,
          remediation: [PATCH_PROXYSHELL],
        };
    }
  },
};
