// Requests for web-shell-like pages: .aspx/.ashx/.asmx/.asp files Exchange does not ship, under the
// folders attackers dropped them in (owa\auth and its Current\ and version subfolders, ecp\auth,
// inetpub\wwwroot\aspnet_client, the OAB virtual directory).
// Sources: MSRC Guidance for responders 2021-03-16 and CSS-Exchange Defender-MSERT-Guidance.md
// (the folders); Microsoft's per-build file baselines (CSS-Exchange Security/Baselines, builds
// 15.0.1497.2 … 15.2.858.5) for the pages that do belong there; HelseCERT 2021-03-11 incident
// (RedirSuiteServerProxy.aspx next to the genuine RedirSuiteServiceProxy.aspx).
import type { Detector, Hit } from '../types.js';
import { CALL_A_PROFESSIONAL, HUNT_WEB_SHELLS, PATCH_MARCH_2021, PRESERVE_FIRST, RESET_CREDENTIALS } from '../remediation.js';
import { isSuccess, pathOf, statusText } from '../web.js';

const SCRIPT_EXT = /\.(aspx|ashx|asmx|asp)$/;

// Pages Exchange ships directly in owa\auth and ecp\auth (every baseline build, lower-cased).
// TimeoutLogout.aspx ships in ecp\auth; it is accepted in owa\auth too because clients are
// redirected there on some builds.
const SHIPPED = new Set([
  'logon.aspx', 'logoff.aspx', 'errorfe.aspx', 'error.aspx', 'error2.aspx', 'expiredpassword.aspx', 'frowny.aspx',
  'outlookcn.aspx', 'redirsuiteserviceproxy.aspx', 'signout.aspx', 'timeoutlogout.aspx',
]);

interface Place {
  folder: string;
  /** True when only the top folder may hold shipped pages (sub-folders hold static resources). */
  allowShipped: boolean;
}

// Virtual directories of an Exchange server's web sites, and of the Microsoft applications most
// often hosted beside it, where pages are expected; a script page anywhere else on the site (the
// root, an invented folder such as /aspnet/) has nothing to do there.
const EXPECTED_ROOTS = new Set([
  'owa', 'ecp', 'ews', 'autodiscover', 'microsoft-server-activesync', 'mapi', 'rpc', 'rpcwithcert', 'oab', 'powershell', 'api',
  'exchange', 'exchweb', 'public', 'exadmin', 'rdweb', 'certsrv', 'adfs', 'reportserver', 'reports',
]);

function placeOf(path: string): Place | undefined {
  if (path.startsWith('/owa/auth/')) return { folder: 'owa/auth', allowShipped: path.indexOf('/', 10) === -1 };
  if (path.startsWith('/ecp/auth/')) return { folder: 'ecp/auth', allowShipped: path.indexOf('/', 10) === -1 };
  if (path.startsWith('/aspnet_client/')) return { folder: 'aspnet_client', allowShipped: false };
  if (path.startsWith('/oab/')) return { folder: 'OAB', allowShipped: false };
  const top = path.slice(1, path.indexOf('/', 1) === -1 ? undefined : path.indexOf('/', 1));
  if (path.indexOf('/', 1) === -1) return { folder: 'the site root', allowShipped: false };
  if (!EXPECTED_ROOTS.has(top)) return { folder: `/${top}/ (not an Exchange folder)`, allowShipped: false };
  return undefined;
}

export const webshellAccess: Detector = {
  id: 'exchange-webshell-access',
  title: 'Request for a web shell in an Exchange web folder',
  story: 'web shell used',
  appliesTo: ['iis', 'exchange-httpproxy'],
  needles: ['/owa/auth/', '/ecp/', '/aspnet_client/', '/oab/', '.asp', '.ashx'],
  cves: [],
  attack: ['T1505.003'],
  explanation:
    'A web shell is a small page an attacker places on the web server to run commands through the browser. Exchange ships only a handful of pages in these folders; a request for any other .aspx/.ashx page there is how web shells planted through ProxyLogon, ProxyShell or ProxyNotShell were used. Status 200 means the page exists and ran.',
  remediation: [HUNT_WEB_SHELLS, PRESERVE_FIRST, RESET_CREDENTIALS, CALL_A_PROFESSIONAL, PATCH_MARCH_2021],
  references: [
    'MSRC Guidance for responders, 2021-03-16',
    'microsoft/CSS-Exchange Security/Defender-MSERT-Guidance.md',
    'microsoft/CSS-Exchange Security/Baselines (pre-2022)',
    'helsecert/2021-march-exchange README.md',
  ],
  inspect(ev): Hit | undefined {
    const web = ev.web;
    if (!web) return undefined;
    const path = pathOf(web);
    if (!SCRIPT_EXT.test(path)) return undefined;
    const place = placeOf(path);
    if (!place) return undefined;
    if (place.allowShipped && SHIPPED.has(path.slice(path.lastIndexOf('/') + 1))) return undefined;
    const name = web.stem.slice(web.stem.lastIndexOf('/') + 1);
    const ip = web.clientIp;
    const status = statusText(web.status);
    const base = { key: path, clientIp: ip, facets: { status, method: web.method, userAgent: web.userAgent } };
    const what = `${ip}: ${web.method} ${web.stem} (status ${status})`;
    if (isSuccess(web.status)) {
      return {
        ...base,
        title: `Web shell used: ${web.stem}`,
        severity: 'critical',
        stage: 'compromise',
        summary: `${what}. ${name} is not an Exchange page; it answered, so the file exists on the server in ${place.folder}.`,
      };
    }
    if (web.status === 404) {
      return {
        ...base,
        title: `Probe for a web shell: ${web.stem}`,
        severity: 'low',
        stage: 'scan',
        summary: `${what}. The page does not exist; scanners look for web shells other attackers left.`,
      };
    }
    return {
      ...base,
      title: `Web shell request: ${web.stem}`,
      severity: 'medium',
      stage: 'attempt',
      summary: `${what}. ${name} is not an Exchange page; the request did not run it (yet), but someone expected a web shell there — check whether the file exists.`,
    };
  },
};
