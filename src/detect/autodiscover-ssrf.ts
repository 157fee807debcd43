// The Autodiscover path confusion behind ProxyShell (CVE-2021-34473) and, with authentication,
// ProxyNotShell (CVE-2022-41040): `/autodiscover/autodiscover.json?@evil.com/<backend path>` makes
// the front end strip the prefix and proxy the rest to the back end. Shared by the two detectors.
// Sources: Sigma web_exchange_proxyshell.yml (23eee45e-933b-49f9-ae1b-df706d2d52ef) and
// web_exchange_proxyshell_successful.yml (992be1eb-e5da-437e-9a54-6d13b57bb4d8); Azure-Sentinel
// Detections/W3CIISLog/ProxyShellPwn2Own.yaml; MSRC 2022-09-29 ProxyNotShell guidance
// (`powershell.*autodiscover\.json.*\@.*200`); EOMTv2 rewrite rule (?=.*autodiscover)(?=.*powershell);
// Neo23x0/signature-base vuln_proxynotshell_cve_2022_41040.yar (`/autodiscover/admin@localhost/`).
// Everything here scans attacker-controlled URLs in linear time (no backtracking regexes).
import type { Severity, Stage, WebRequest } from '../core/types.js';
import { normalizedUrl, pathOf } from './web.js';

export type AutodiscoverTarget = 'powershell' | 'ews' | 'mapi' | 'autodiscover' | 'owa' | 'other';

export interface AutodiscoverSsrf {
  target: AutodiscoverTarget;
  /** The back-end path the request was aimed at (lower-case), when one is visible. */
  backendPath: string;
  /** The request carries an X-Rps-CAT token: ProxyShell's forged PowerShell identity. */
  rpsToken: boolean;
}

/** Longest URL looked at: IIS refuses longer ones by default (maxUrl 4096, maxQueryString 2048). */
const MAX_URL = 16 * 1024;

function isSeparator(c: number): boolean {
  return c === 47 /* / */ || c === 63 /* ? */ || c === 38 /* & */ || c === 64 /* @ */ || c <= 32;
}

/** The `/path` right after an `@host`, when there is one with at least one segment. */
export function pathAfterAt(s: string): string | undefined {
  let at = s.indexOf('@');
  while (at !== -1) {
    let i = at + 1;
    while (i < s.length && !isSeparator(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) === 47 && i + 1 < s.length && !isSeparator(s.charCodeAt(i + 1))) {
      let j = i + 1;
      while (j < s.length && s.charCodeAt(j) !== 63 && s.charCodeAt(j) !== 38 && s.charCodeAt(j) > 32) j++;
      return s.slice(i, j);
    }
    at = s.indexOf('@', i > at + 1 ? i : at + 1);
  }
  return undefined;
}

/** The text with every `local@domain` token removed (so an address like powershell.admin@… says nothing). */
export function withoutAddresses(s: string): string {
  let out = '';
  let from = 0;
  let at = s.indexOf('@');
  while (at !== -1) {
    let start = at;
    while (start > from && !isSeparator(s.charCodeAt(start - 1)) && s.charCodeAt(start - 1) !== 61 /* = */) start--;
    let end = at + 1;
    while (end < s.length && !isSeparator(s.charCodeAt(end))) end++;
    out += s.slice(from, start);
    from = end;
    at = s.indexOf('@', end);
  }
  return out + s.slice(from);
}

function classify(path: string): AutodiscoverTarget {
  if (path.startsWith('/powershell')) return 'powershell';
  if (path.startsWith('/ews')) return 'ews';
  if (path.startsWith('/mapi')) return 'mapi';
  if (path.startsWith('/autodiscover')) return 'autodiscover';
  if (path.startsWith('/owa') || path.startsWith('/ecp')) return 'owa';
  return 'other';
}

/** The SSRF reading of an Autodiscover (or back-end PowerShell) request, or undefined for ordinary traffic. */
export function autodiscoverSsrf(web: WebRequest): AutodiscoverSsrf | undefined {
  const url = normalizedUrl(web).slice(0, MAX_URL);
  const stem = pathOf(web);
  const rpsToken = url.includes('x-rps-cat=');
  // The back end's own view of a ProxyShell PowerShell session (IIS on port 444), whatever its query says.
  if (stem.startsWith('/powershell') && rpsToken) return { target: 'powershell', backendPath: '/powershell', rpsToken };
  let rest: string;
  const json = url.indexOf('autodiscover.json');
  if (json !== -1) rest = url.slice(json + 'autodiscover.json'.length);
  else if (stem.startsWith('/autodiscover/') && stem.includes('@')) rest = url.slice('/autodiscover'.length);
  else return undefined;
  const path = pathAfterAt(rest);
  // "powershell" outside e-mail addresses: no legitimate Autodiscover request names it; the
  // ProxyNotShell mitigation-bypass forms put it in a parameter (FooProtocol=Powershell).
  if (rpsToken || withoutAddresses(rest).includes('powershell')) return { target: 'powershell', backendPath: path ?? '', rpsToken };
  if (path) return { target: classify(path), backendPath: path, rpsToken };
  // The self-referencing Email parameter of the ProxyShell exploit, with no path visible.
  if (rest.includes('email=autodiscover/autodiscover.json')) return { target: 'autodiscover', backendPath: '', rpsToken };
  return undefined;
}

export interface Rung {
  severity: Severity;
  stage: Stage;
}

/**
 * How serious an Autodiscover SSRF is, by what it reached and whether the back end answered
 * (2xx or a redirect; 401/403 is refusal).
 */
export function autodiscoverRung(target: AutodiscoverTarget, reached: boolean): Rung {
  switch (target) {
    case 'powershell':
    case 'ews':
      return reached ? { severity: 'critical', stage: 'compromise' } : { severity: 'medium', stage: 'attempt' };
    case 'mapi':
      return reached ? { severity: 'high', stage: 'compromise' } : { severity: 'medium', stage: 'attempt' };
    case 'owa':
      return { severity: 'low', stage: 'scan' };
    default:
      return { severity: 'medium', stage: 'attempt' };
  }
}
