// ProxyNotShell (CVE-2022-41040 SSRF + CVE-2022-41082 PowerShell remote code execution): the
// ProxyShell path confusion again, but it needs any valid mailbox login, so the request carries an
// authenticated user. Microsoft's detection: IIS lines matching
// `powershell.*autodiscover\.json.*\@.*200`; its mitigation (EOMTv2) blocks URLs containing both
// "autodiscover" and "powershell".
// Sources: MSRC "Customer guidance for reported zero-day vulnerabilities in Microsoft Exchange
// Server" 2022-09-29 (as reproduced in JimmyW93/0day-rce-september-2022); microsoft/CSS-Exchange
// Security/src/EOMTv2.ps1; Neo23x0/signature-base expl_cve_2022_41040_proxynoshell.yar and
// vuln_proxynotshell_cve_2022_41040.yar.
import type { Detector, Hit } from '../types.js';
import { autodiscoverRung, autodiscoverSsrf } from '../autodiscover-ssrf.js';
import { CALL_A_PROFESSIONAL, HUNT_WEB_SHELLS, PATCH_PROXYNOTSHELL, PRESERVE_FIRST, RESET_CREDENTIALS, REVIEW_MAILBOXES } from '../remediation.js';
import { clip, reachedBackend, statusText } from '../web.js';

export const proxynotshell: Detector = {
  id: 'exchange-proxynotshell',
  title: 'ProxyNotShell exploitation (CVE-2022-41040, CVE-2022-41082)',
  story: 'ProxyNotShell exploited',
  appliesTo: ['iis', 'exchange-httpproxy'],
  needles: ['autodiscover.json', '@localhost'],
  cves: ['CVE-2022-41040', 'CVE-2022-41082'],
  attack: ['T1190', 'T1078'],
  explanation:
    'ProxyNotShell (2022) reuses the ProxyShell Autodiscover trick with the password of any mailbox to reach the back end — remote PowerShell, where CVE-2022-41082 runs code on the server, or EWS and MAPI. The request is logged with the user whose password the attacker had. A success or redirect answer means the back end processed it.',
  remediation: [PATCH_PROXYNOTSHELL, RESET_CREDENTIALS, HUNT_WEB_SHELLS, PRESERVE_FIRST],
  references: [
    'MSRC Customer guidance for reported zero-day vulnerabilities in Microsoft Exchange Server, 2022-09-29',
    'microsoft/CSS-Exchange Security/src/EOMTv2.ps1',
    'Neo23x0/signature-base yara/expl_cve_2022_41040_proxynoshell.yar',
  ],
  inspect(ev): Hit | undefined {
    const web = ev.web;
    if (!web || web.user === '') return undefined; // anonymous: ProxyShell's detector
    const ssrf = autodiscoverSsrf(web);
    if (!ssrf || ssrf.rpsToken) return undefined;
    const reached = reachedBackend(web.status);
    const rung = autodiscoverRung(ssrf.target, reached);
    const ip = web.clientIp;
    const status = statusText(web.status);
    const target = ssrf.backendPath || ssrf.target;
    const what = `${ip} as ${web.user}: ${web.method} ${clip(web.stem + (web.query ? `?${web.query}` : ''), 200)} → ${target} (status ${status})`;
    const powershell = ssrf.target === 'powershell';
    return {
      key: ip,
      clientIp: ip,
      facets: { user: web.user, target, status, userAgent: web.userAgent },
      ...rung,
      title:
        rung.stage === 'scan'
          ? 'Probe for ProxyNotShell (CVE-2022-41040)'
          : reached && rung.stage === 'compromise'
            ? `ProxyNotShell: ${powershell ? 'remote PowerShell' : ssrf.target.toUpperCase()} reached through Autodiscover`
            : 'ProxyNotShell attempt',
      summary: `${what}.${reached && rung.stage === 'compromise' ? ` The back end answered; the password of ${web.user} is in the attacker's hands.` : ''}`,
      story: ssrf.target === 'ews' ? 'mailboxes read through EWS' : powershell ? 'ProxyNotShell exploited (remote PowerShell)' : 'ProxyNotShell exploited',
      remediation:
        rung.stage === 'compromise'
          ? [PATCH_PROXYNOTSHELL, RESET_CREDENTIALS, ...(ssrf.target === 'ews' ? [REVIEW_MAILBOXES] : [HUNT_WEB_SHELLS, CALL_A_PROFESSIONAL]), PRESERVE_FIRST]
          : [PATCH_PROXYNOTSHELL, RESET_CREDENTIALS],
    };
  },
};
