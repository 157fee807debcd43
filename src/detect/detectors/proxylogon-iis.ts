// CVE-2021-26855 (ProxyLogon) traffic as IIS sees it: the SSRF cookie rides on requests for static
// files that accept no POST — /ecp/<1-3 chars>.js, /ecp/main.css, /ecp/default.flt,
// /owa/auth/Current/themes/resources/* — often with crawler or exploit-kit user agents.
// Sources: Volexity "Operation Exchange Marauder" 2021-03-02 via Sigma
// web_exchange_exploitation_hafnium.yml (67bce556-312f-4c81-9162-c3c9ff2599b2) and
// Neo23x0/signature-base apt_hafnium_log_sigs.yar; Microsoft's nmap check
// (CSS-Exchange http-vuln-cve2021-26855.nse: GET /owa/auth/x.js).
import type { Detector, Hit } from '../types.js';
import { PATCH_MARCH_2021, PRESERVE_FIRST, REVIEW_PROXIED_PROTOCOL } from '../remediation.js';
import { isSuccess, statusText, userAgentOf } from '../web.js';

const SSRF_STEMS = [
  /^\/ecp\/[0-9a-z]{1,3}\.js$/i,
  /^\/ecp\/(main\.css|default\.flt)$/i,
  /^\/(ecp|owa)\/auth\/[wx]\.js$/i,
  /^\/owa\/auth\/current\/themes\/resources\//i,
];

// User agents seen on the exploit requests (Microsoft / Volexity, 2021-03-02), normalised.
const EXPLOIT_UAS = ['exchangeservicesclient/0.0.0.0', 'python-requests/'];
const CRAWLER_UAS = [
  'duckduckbot/1.0',
  'facebookexternalhit/1.1',
  'baiduspider/2.0',
  'bingbot/2.0',
  'googlebot/2.1',
  'exabot-thumbnails',
  'yahoo! slurp',
  'yandexbot/3.0',
  'chrome/51.0.2704.103 safari/537.36',
];

export const proxylogonIis: Detector = {
  id: 'exchange-proxylogon-iis',
  title: 'ProxyLogon request pattern in IIS logs (CVE-2021-26855)',
  story: 'ProxyLogon exploited (CVE-2021-26855)',
  appliesTo: ['iis'],
  needles: ['/ecp/', '/owa/auth/'],
  cves: ['CVE-2021-26855'],
  attack: ['T1190'],
  explanation:
    'Exchange never receives POST requests for these static files (a script, a stylesheet, theme images) from real users. In March 2021 they carried the ProxyLogon SSRF cookie that lets an attacker act as the server without a password. A success status means the request was processed.',
  remediation: [PATCH_MARCH_2021, REVIEW_PROXIED_PROTOCOL, PRESERVE_FIRST],
  references: [
    'SigmaHQ rules-emerging-threats/2021/TA/HAFNIUM/web_exchange_exploitation_hafnium.yml (67bce556-312f-4c81-9162-c3c9ff2599b2)',
    'https://www.volexity.com/blog/2021/03/02/active-exploitation-of-microsoft-exchange-zero-day-vulnerabilities/',
    'Neo23x0/signature-base yara/apt_hafnium_log_sigs.yar',
  ],
  inspect(ev): Hit | undefined {
    const web = ev.web;
    if (!web) return undefined;
    const stem = web.stem;
    const method = web.method.toUpperCase();
    const ua = userAgentOf(web);
    const ip = web.clientIp;
    const facets = { target: stem.toLowerCase(), status: statusText(web.status), userAgent: web.userAgent, method };
    const ssrfStem = SSRF_STEMS.some((r) => r.test(stem));
    const lowerStem = stem.toLowerCase();
    const exploitUa = lowerStem.startsWith('/ecp/') && EXPLOIT_UAS.some((u) => ua.startsWith(u));
    const crawlerUa = lowerStem.startsWith('/owa/auth/current/') && CRAWLER_UAS.some((u) => ua.includes(u));
    if (method !== 'POST') {
      if (ssrfStem && /\/[wx]\.js$/i.test(stem)) {
        return {
          key: ip,
          clientIp: ip,
          facets,
          title: 'Probe for the ProxyLogon SSRF (CVE-2021-26855)',
          severity: 'low',
          stage: 'scan',
          summary: `${ip}: ${method} ${stem} (status ${statusText(web.status)}), the request vulnerability scanners use to test for CVE-2021-26855.`,
        };
      }
      return undefined;
    }
    if (!ssrfStem && !exploitUa && !crawlerUa) return undefined;
    const ok = isSuccess(web.status);
    const why = [
      ssrfStem ? `POST to a static file (${stem})` : `POST ${stem}`,
      exploitUa || crawlerUa ? `with the exploit user agent "${web.userAgent}"` : '',
    ]
      .filter(Boolean)
      .join(' ');
    return {
      key: ip,
      clientIp: ip,
      facets,
      title: ok ? 'ProxyLogon request processed by the server (CVE-2021-26855)' : 'ProxyLogon exploitation attempt (CVE-2021-26855)',
      severity: ok ? 'high' : 'medium',
      stage: ok ? 'compromise' : 'attempt',
      summary: `${ip}: ${why}, status ${statusText(web.status)}.${ok ? ' The server answered with success, so the SSRF request reached the back end.' : ''}`,
    };
  },
};
