// Traffic of web-shell tooling, wherever the page lives: HTTP tunnels (Tunna, reGeorg) that relay
// RDP/SMB through a web shell, and web-shell managers with tell-tale user agents (AntSword; the
// crawler user agents HAFNIUM used on POSTs to aspnet_client and OWA).
// Sources: sbousseaden/EVTX-ATTACK-SAMPLES "Tunna_rdp_tunnel_IIS.log" (Tunna: query
// `proxy&port=<n>&ip=<host>` then `proxy`); reGeorg tunnel.aspx protocol (cmd=connect&target=&port=,
// cmd=read, cmd=forward, cmd=disconnect); Sigma web_exchange_exploitation_hafnium.yml selection_4
// (67bce556-312f-4c81-9162-c3c9ff2599b2); Volexity 2021-03-02.
import type { Detector, Hit } from '../types.js';
import { CALL_A_PROFESSIONAL, HUNT_WEB_SHELLS, PRESERVE_FIRST, RESET_CREDENTIALS } from '../remediation.js';
import { isScriptPage, isSuccess, queryOf, statusText, userAgentOf } from '../web.js';

const TUNNA_CONNECT = /^proxy&port=(\d{1,5})&ip=([^&]+)/i;
const REGEORG = /(?:^|&)cmd=(connect|read|forward|disconnect)(?:&|$)/i;
const SHELL_MANAGER_UAS = ['antsword'];
// On a POST to aspnet_client or OWA, these crawler names are impersonations (HAFNIUM, 2021).
const FAKE_CRAWLER_UAS = ['googlebot/', 'baiduspider/'];

export const webshellTunnelAndTools: Detector = {
  id: 'webshell-tunnel-or-tool',
  title: 'Web shell tunnel or web-shell manager traffic',
  story: 'tunnel or web-shell tool used',
  appliesTo: ['iis', 'exchange-httpproxy'],
  // Tunnels and web-shell managers talk to script pages; fake crawlers were seen on the web folders.
  needles: ['.asp', '.ashx', '/aspnet_client/', '/owa/auth/'],
  cves: [],
  attack: ['T1505.003', 'T1572', 'T1090'],
  explanation:
    'These requests come from tools that drive a web shell: tunnels such as Tunna and reGeorg carry remote desktop or file-share traffic through the web server into the internal network, and web-shell managers such as AntSword send commands. They mean an attacker had a working foothold on the server.',
  remediation: [HUNT_WEB_SHELLS, PRESERVE_FIRST, RESET_CREDENTIALS, CALL_A_PROFESSIONAL],
  references: [
    'sbousseaden/EVTX-ATTACK-SAMPLES Command and Control/Tunna_rdp_tunnel_IIS.log',
    'https://github.com/sensepost/reGeorg',
    'SigmaHQ rules-emerging-threats/2021/TA/HAFNIUM/web_exchange_exploitation_hafnium.yml (67bce556-312f-4c81-9162-c3c9ff2599b2)',
  ],
  inspect(ev): Hit | undefined {
    const web = ev.web;
    if (!web) return undefined;
    const query = queryOf(web);
    const ip = web.clientIp;
    const ok = isSuccess(web.status);
    const status = statusText(web.status);
    const key = `${ip}|${web.stem.toLowerCase()}`;
    const facets = { status, method: web.method, page: web.stem };
    if (!isScriptPage(web.stem) && !/^\/(aspnet_client|owa\/auth)\//i.test(web.stem)) return undefined;
    const tunna = TUNNA_CONNECT.exec(query);
    if (tunna || query.toLowerCase() === 'proxy') {
      return {
        key,
        clientIp: ip,
        facets: tunna ? { ...facets, tunnelTarget: `${tunna[2]}:${tunna[1]}` } : facets,
        title: `HTTP tunnel (Tunna) through ${web.stem}`,
        severity: ok ? 'critical' : 'high',
        stage: ok ? 'compromise' : 'attempt',
        summary: tunna
          ? `${ip}: ${web.method} ${web.stem}?${web.query} (status ${status}) opens a Tunna tunnel to ${tunna[2]}:${tunna[1]}${tunna[1] === '3389' ? ' (remote desktop)' : ''}.`
          : `${ip}: ${web.method} ${web.stem}?proxy (status ${status}) relays data through a Tunna tunnel.`,
      };
    }
    const regeorg = REGEORG.exec(query);
    if (regeorg) {
      const target = /(?:^|&)target=([^&]+)/i.exec(query)?.[1];
      const port = /(?:^|&)port=(\d+)/i.exec(query)?.[1];
      return {
        key,
        clientIp: ip,
        facets: target ? { ...facets, tunnelTarget: `${target}:${port ?? '?'}` } : facets,
        title: `HTTP tunnel (reGeorg) through ${web.stem}`,
        severity: ok ? 'critical' : 'high',
        stage: ok ? 'compromise' : 'attempt',
        summary: `${ip}: ${web.method} ${web.stem} cmd=${regeorg[1]}${target ? ` to ${target}:${port ?? '?'}` : ''} (status ${status}).`,
      };
    }
    if (web.method.toUpperCase() !== 'POST') return undefined;
    const ua = userAgentOf(web);
    const stem = web.stem.toLowerCase();
    const manager = isScriptPage(stem) && SHELL_MANAGER_UAS.some((u) => ua.includes(u));
    const fake = (stem.startsWith('/aspnet_client/') || stem.startsWith('/owa/auth/') || isScriptPage(stem)) && FAKE_CRAWLER_UAS.some((u) => ua.includes(u));
    if (!manager && !fake) return undefined;
    return {
      key,
      clientIp: ip,
      facets: { ...facets, userAgent: web.userAgent },
      title: `Web-shell manager traffic to ${web.stem}`,
      severity: ok ? 'critical' : 'high',
      stage: ok ? 'compromise' : 'attempt',
      summary: `${ip}: POST ${web.stem} with user agent "${web.userAgent}" (status ${status})${manager ? ', the signature of the AntSword web-shell manager' : ', a crawler name HAFNIUM used to disguise web-shell commands'}.`,
    };
  },
};
