// ProxyShell (CVE-2021-34473 pre-auth path confusion + CVE-2021-34523 PowerShell elevation +
// CVE-2021-31207 post-auth file write): anonymous Autodiscover requests that reach a back-end path,
// and the back end's PowerShell requests carrying the forged X-Rps-CAT identity. A PowerShell request
// the back end answered (2xx or a redirect) is the complete chain; 401/403 is refusal.
// Sources: see ../autodiscover-ssrf.ts; Orange Tsai, "ProxyShell" (Black Hat USA 2021);
// GossiTheDog http-vuln-exchange-proxyshell.nse (302 on the /owa/ probe = vulnerable).
import type { Detector, Hit } from '../types.js';
import { autodiscoverRung, autodiscoverSsrf } from '../autodiscover-ssrf.js';
import { CALL_A_PROFESSIONAL, HUNT_WEB_SHELLS, PATCH_PROXYNOTSHELL, PATCH_PROXYSHELL, PRESERVE_FIRST, REVIEW_MAILBOXES } from '../remediation.js';
import { clip, reachedBackend, statusText } from '../web.js';

const PROXYNOTSHELL_CVES = ['CVE-2022-41040', 'CVE-2022-41082'];

export const proxyshell: Detector = {
  id: 'exchange-proxyshell',
  title: 'ProxyShell exploitation (CVE-2021-34473, CVE-2021-34523, CVE-2021-31207)',
  story: 'ProxyShell exploited',
  appliesTo: ['iis', 'exchange-httpproxy'],
  needles: ['autodiscover.json', 'x-rps-cat', '@localhost'],
  cves: ['CVE-2021-34473', 'CVE-2021-34523', 'CVE-2021-31207'],
  attack: ['T1190'],
  explanation:
    'ProxyShell abuses a flaw in how Exchange handles Autodiscover URLs: a request to /autodiscover/autodiscover.json with "@something/<path>" in it is forwarded to the back end without a password. Attackers used it to reach remote PowerShell as an administrator, export a mailbox as an .aspx file (a web shell) and run commands. A success or redirect answer to a PowerShell request means the chain worked; 401 means it was refused.',
  remediation: [PATCH_PROXYSHELL, HUNT_WEB_SHELLS, PRESERVE_FIRST],
  references: [
    'SigmaHQ rules-emerging-threats/2021/Exploits/ProxyShell-Exploit/web_exchange_proxyshell.yml (23eee45e-933b-49f9-ae1b-df706d2d52ef)',
    'SigmaHQ rules-emerging-threats/2021/Exploits/ProxyShell-Exploit/web_exchange_proxyshell_successful.yml (992be1eb-e5da-437e-9a54-6d13b57bb4d8)',
    'Azure/Azure-Sentinel Detections/W3CIISLog/ProxyShellPwn2Own.yaml',
  ],
  inspect(ev): Hit | undefined {
    const web = ev.web;
    if (!web) return undefined;
    const ssrf = autodiscoverSsrf(web);
    // With a user and no forged token it is ProxyNotShell's detector's (it needs a login).
    if (!ssrf || (web.user !== '' && !ssrf.rpsToken)) return undefined;
    const reached = reachedBackend(web.status);
    const rung = autodiscoverRung(ssrf.target, reached);
    const ip = web.clientIp;
    const status = statusText(web.status);
    const target = ssrf.backendPath || ssrf.target;
    const base = { key: ip, clientIp: ip, facets: { target, status, userAgent: web.userAgent }, ...rung };
    const what = `${ip}: ${web.method} ${clip(web.stem + (web.query ? `?${web.query}` : ''), 200)} → ${target} (status ${status})`;
    switch (ssrf.target) {
      case 'powershell':
        if (reached) {
          return {
            ...base,
            title: 'ProxyShell: remote PowerShell reached without a password',
            summary: `${what}. The back end accepted the PowerShell request: the attacker could run Exchange cmdlets as an administrator.`,
            story: 'ProxyShell exploited (remote PowerShell)',
            remediation: [PATCH_PROXYSHELL, HUNT_WEB_SHELLS, REVIEW_MAILBOXES, CALL_A_PROFESSIONAL, PRESERVE_FIRST],
          };
        }
        // Refused before authentication: a blocked ProxyShell attempt, or the first, challenged
        // leg of a ProxyNotShell login; the log cannot tell them apart.
        return {
          ...base,
          title: 'ProxyShell or ProxyNotShell attempt on remote PowerShell (refused)',
          summary: `${what}. The request was refused; check the same address for later answered requests.`,
          cves: [...proxyshell.cves, ...PROXYNOTSHELL_CVES],
          remediation: [PATCH_PROXYSHELL, PATCH_PROXYNOTSHELL],
        };
      case 'ews':
        return {
          ...base,
          title: reached ? 'ProxyShell: mailbox access through EWS' : 'ProxyShell attempt on EWS',
          summary: `${what}.${reached ? ' EWS answered: mail could be read or sent without a password.' : ''}`,
          story: 'mailboxes read through EWS',
          remediation: reached ? [PATCH_PROXYSHELL, REVIEW_MAILBOXES, PRESERVE_FIRST] : [PATCH_PROXYSHELL],
        };
      case 'mapi':
        return {
          ...base,
          title: reached ? 'ProxyShell: back-end MAPI reached (address book / user lookup)' : 'ProxyShell attempt on MAPI',
          summary: `${what}.${reached ? ' The attacker read directory data used to impersonate an administrator.' : ''}`,
        };
      case 'owa':
        return {
          ...base,
          title: 'Probe for ProxyShell (CVE-2021-34473)',
          summary: `${what}. This is the shape of public ProxyShell vulnerability checks${web.status === 302 ? '; the 302 answer means the server was vulnerable at that time' : ''}.`,
          remediation: [PATCH_PROXYSHELL],
        };
      default:
        return {
          ...base,
          title: 'ProxyShell attempt (CVE-2021-34473)',
          summary: `${what}.${reached ? ' The back end answered: the server was vulnerable.' : ''}`,
          remediation: [PATCH_PROXYSHELL],
        };
    }
  },
};
