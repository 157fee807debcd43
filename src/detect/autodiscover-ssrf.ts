// The Autodiscover path confusion behind ProxyShell (CVE-2021-34473) and, with authentication,
// ProxyNotShell (CVE-2022-41040): `/autodiscover/autodiscover.json?@evil.com/<backend path>` makes
// the front end strip the prefix and proxy the rest to the back end. Shared by the two detectors.
// Sources: Sigma web_exchange_proxyshell.yml (23eee45e-933b-49f9-ae1b-df706d2d52ef) and
// web_exchange_proxyshell_successful.yml (992be1eb-e5da-437e-9a54-6d13b57bb4d8); Azure-Sentinel
// Detections/W3CIISLog/ProxyShellPwn2Own.yaml; MSRC 2022-09-29 ProxyNotShell guidance
// (`powershell.*autodiscover\.json.*\@.*200`); EOMTv2 rewrite rule (?=.*autodiscover)(?=.*powershell).
import type { WebRequest } from '../core/types.js';
import { normalizedUrl } from './web.js';

export type AutodiscoverTarget = 'powershell' | 'ews' | 'mapi' | 'autodiscover' | 'owa' | 'other';

export interface AutodiscoverSsrf {
  target: AutodiscoverTarget;
  /** The back-end path the request was aimed at (lower-case), when one is visible. */
  backendPath: string;
  url: string;
}

// `@<anything but a separator>/<path>` after autodiscover.json: the part the front end forwards.
// The path needs a segment: `…/v1.0/user@contoso.com/` is a client's trailing slash.
const AT_PATH = /@[^?&/\s]*(\/[^\s?&/][^\s?&]*)/;

function classify(path: string, url: string): AutodiscoverTarget {
  if (path.startsWith('/powershell') || url.includes('x-rps-cat=')) return 'powershell';
  if (path.startsWith('/ews')) return 'ews';
  if (path.startsWith('/mapi')) return 'mapi';
  if (path.startsWith('/autodiscover')) return 'autodiscover';
  if (path.startsWith('/owa') || path.startsWith('/ecp')) return 'owa';
  return 'other';
}

/** The SSRF reading of an Autodiscover request, or undefined for ordinary Autodiscover traffic. */
export function autodiscoverSsrf(web: WebRequest): AutodiscoverSsrf | undefined {
  const url = normalizedUrl(web);
  const at = url.indexOf('autodiscover.json');
  if (at === -1) {
    // The back end's own view of a ProxyShell PowerShell session (IIS on port 444).
    if (url.startsWith('/powershell') && url.includes('x-rps-cat=')) return { target: 'powershell', backendPath: '/powershell', url };
    return undefined;
  }
  const rest = url.slice(at + 'autodiscover.json'.length);
  const m = AT_PATH.exec(rest);
  if (m) {
    const backendPath = m[1]!;
    return { target: classify(backendPath, url), backendPath, url };
  }
  // Forms without a visible "@host/path": the self-referencing Email parameter of the ProxyShell
  // exploit, a Rps token in the query, or "powershell" anywhere (no legitimate Autodiscover
  // request mentions it; the ProxyNotShell mitigation-bypass probes put it in a parameter).
  if (rest.includes('email=autodiscover/autodiscover.json') || rest.includes('x-rps-cat=') || rest.includes('powershell')) {
    return { target: rest.includes('powershell') || rest.includes('x-rps-cat=') ? 'powershell' : 'autodiscover', backendPath: '', url };
  }
  return undefined;
}
