// CVE-2021-26855 (ProxyLogon SSRF) in Exchange HttpProxy logs: anonymous requests whose
// AnchorMailbox is `ServerInfo~<backend>/<path>` were proxied by the X-BEResource cookie to a
// back-end URL of the attacker's choice.
// Sources: Microsoft HAFNIUM blog 2021-03-02 (AuthenticatedUser empty and AnchorMailbox like
// 'ServerInfo~*/*'); microsoft/CSS-Exchange Security/src/Test-ProxyLogon.ps1 Get-Cve26855 (which
// dropped the empty-user condition on 2021-03-11 — once proxyLogon.ecp hands the attacker a
// session, later rows carry a user — and *hides* autodiscover and localhost rows, which we classify
// instead, cf. CSS-Exchange issues #310, #312); MSRC "Guidance for responders" 2021-03-16
// (autodiscover.xml only = scanning, /ews/exchange.asmx = mail exfiltration).
import type { Hit } from '../types.js';
import type { Detector } from '../types.js';
import { PATCH_MARCH_2021, PRESERVE_FIRST, REVIEW_MAILBOXES, REVIEW_PROXIED_PROTOCOL } from '../remediation.js';
import { isSsrfBackend, parseServerInfoAnchor } from '../serverinfo-anchor.js';
import { clip, isSuccess, statusText } from '../web.js';


const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[?::1\]?)$/i;
const STATIC_RESOURCE = /^\/(owa|ecp)\/(auth\/)?\d+\.\d+\.\d+(\.\d+)?\/.+\.(css|js|gif|png|jpg|ico|svg|woff2?|ttf|eot|htm|html|xap|manifest)$/;

function backendHost(backend: string): string {
  const afterAt = backend.slice(backend.lastIndexOf('@') + 1);
  return afterAt.replace(/:\d+$/, '');
}

export const proxylogonSsrfHttpProxy: Detector = {
  id: 'exchange-proxylogon-ssrf',
  title: 'ProxyLogon SSRF (CVE-2021-26855) in HttpProxy logs',
  story: 'ProxyLogon exploited (CVE-2021-26855)',
  appliesTo: ['exchange-httpproxy'],
  needles: ['serverinfo~'],
  cves: ['CVE-2021-26855'],
  attack: ['T1190'],
  explanation:
    'CVE-2021-26855 lets anyone on the internet make the Exchange front end send requests to its own back end as the server itself, with no password. The HttpProxy log records such requests with an empty user and an AnchorMailbox of "ServerInfo~…". Requests that reached ECP, EWS or MAPI with a success status mean the attacker got past authentication.',
  remediation: [PATCH_MARCH_2021, REVIEW_PROXIED_PROTOCOL, PRESERVE_FIRST],
  references: [
    'https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/',
    'microsoft/CSS-Exchange Security/src/Test-ProxyLogon.ps1 (Get-Cve26855)',
    'MSRC Guidance for responders, 2021-03-16',
  ],
  inspect(ev): Hit | undefined {
    const web = ev.web;
    const anchor = ev.fields['AnchorMailbox'] ?? '';
    const parsed = parseServerInfoAnchor(anchor);
    if (!parsed || !web) return undefined;
    const { backend, path } = parsed;
    const cookieShaped = isSsrfBackend(backend);
    if (web.user !== '' && !cookieShaped) return undefined;
    const target = path.split('?')[0]!.replace(/#$/, '').toLowerCase();
    // Exchange's own anonymous proxying of a static resource to a server of another version
    // (`ServerInfo~exch2013/owa/auth/15.0.1497/themes/…`) is not the attack.
    if (!cookieShaped && STATIC_RESOURCE.test(target)) return undefined;
    const ok = isSuccess(web.status);
    const ip = web.clientIp;
    const facets = { target, status: statusText(web.status), userAgent: web.userAgent, backend };
    // One finding per attacker and kind of target: probes, autodiscover tests, mail theft and
    // control-panel exploitation call for different actions.
    const base = (kind: string) => ({ key: `${ip}|${kind}`, clientIp: ip, facets });
    const what = `${web.method || 'request'} ${web.stem} from ${ip || 'unknown IP'} proxied to ${clip(backend + path, 160)} (status ${statusText(web.status)})`;
    // The probe vulnerability scanners send (Microsoft's nmap check: localhost/ecp/default.flt,
    // answered 500). The host is what follows the cookie's last `@`, without a port; an attacker's
    // success through "localhost]@…" is not a probe.
    if (LOOPBACK.test(backendHost(backend)) && (target.endsWith('/default.flt') || !ok)) {
      return {
        ...base('probe'),
        title: 'Probe for the ProxyLogon SSRF (CVE-2021-26855)',
        severity: 'low',
        stage: 'scan',
        summary: `Vulnerability probe: ${what}. This is the request vulnerability scanners send (Microsoft's own nmap check uses localhost/ecp/default.flt).`,
      };
    }
    if (target.startsWith('/autodiscover')) {
      return {
        ...base('autodiscover'),
        title: 'ProxyLogon SSRF attempt (CVE-2021-26855), autodiscover stage',
        severity: 'medium',
        stage: 'attempt',
        summary: `${what}. Autodiscover requests are how the attack looks for a valid mailbox; on their own they mean scanning, ${ok ? 'and the success status shows the server was vulnerable' : 'and it did not succeed'}.`,
      };
    }
    if (target.includes('/ews/')) {
      return {
        ...base('ews'),
        title: ok ? 'Mail theft through ProxyLogon (CVE-2021-26855 to EWS)' : 'ProxyLogon SSRF attempt against EWS (CVE-2021-26855)',
        severity: ok ? 'critical' : 'medium',
        stage: ok ? 'compromise' : 'attempt',
        summary: `${what}. Requests to /ews/exchange.asmx through the SSRF read mailboxes without a password.`,
        story: 'mailboxes read through EWS',
        remediation: [PATCH_MARCH_2021, REVIEW_MAILBOXES, PRESERVE_FIRST],
      };
    }
    if (ok) {
      const ecp = target.includes('/ecp/');
      return {
        ...base('backend'),
        title: 'ProxyLogon exploitation succeeded (CVE-2021-26855)',
        severity: ecp ? 'critical' : 'high',
        stage: 'compromise',
        summary: `${what}. The back end answered with success: the attacker acted as the Exchange server${ecp ? ' in the control panel (ECP), the step used to write web shells' : ''}.`,
      };
    }
    return {
      ...base('backend'),
      title: 'ProxyLogon SSRF attempt (CVE-2021-26855)',
      severity: 'medium',
      stage: 'attempt',
      summary: `${what}. The request did not succeed.`,
    };
  },
};
