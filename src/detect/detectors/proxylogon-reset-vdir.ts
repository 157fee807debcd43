// CVE-2021-27065 (ProxyLogon file write) as seen in request logs: the attacker, through the
// CVE-2021-26855 SSRF, calls ECP's DDIService SetObject with schema=Reset<X>VirtualDirectory, which
// makes Exchange write the virtual directory's settings — carrying the attacker's script in
// ExternalUrl — to a file path the attacker chose: the web shell.
// Sources: microsoft/CSS-Exchange Security/src/Test-ProxyLogon.ps1 Get-Cve27065 (HttpProxy\Ecp
// AnchorMailbox like 'ServerInfo~*/*Reset*VirtualDirectory#' and HttpStatus 200); Sigma
// web_cve_2021_26858_iis_rce.yml (effee1f6-a932-4297-a81f-acb44064fa3a: IIS POST
// /ecp/DDI/DDIService.svc/SetObject, schema=Reset…VirtualDirectory, 200, cs-username ending in `$`,
// i.e. the back end saw the machine account — the SSRF, not an administrator).
import type { Detector, Hit } from '../types.js';
import { HUNT_WEB_SHELLS, PATCH_MARCH_2021, PRESERVE_FIRST } from '../remediation.js';
import { isSsrfBackend, parseServerInfoAnchor } from '../serverinfo-anchor.js';
import { queryOf, statusText } from '../web.js';

const RESET_PATH = /Reset\w*VirtualDirectory#/i;
const RESET_SCHEMA = /schema=Reset\w*VirtualDirectory/i;

export const proxylogonResetVdir: Detector = {
  id: 'exchange-proxylogon-reset-vdir',
  title: 'Virtual directory reset used to write a file (CVE-2021-27065)',
  story: 'web shell written to disk (CVE-2021-27065)',
  appliesTo: ['exchange-httpproxy', 'iis'],
  needles: ['virtualdirectory'],
  cves: ['CVE-2021-27065', 'CVE-2021-26855'],
  attack: ['T1190', 'T1505.003'],
  explanation:
    'After CVE-2021-26855 gave the attacker administrator access to the control panel, CVE-2021-27065 let them "reset" a virtual directory, which makes Exchange save its settings to a file path of their choosing. With a script planted in the directory\'s ExternalUrl first, that file is a working web shell (a backdoor page).',
  remediation: [HUNT_WEB_SHELLS, PRESERVE_FIRST, PATCH_MARCH_2021],
  references: [
    'microsoft/CSS-Exchange Security/src/Test-ProxyLogon.ps1 (Get-Cve27065)',
    'SigmaHQ rules-emerging-threats/2021/Exploits/CVE-2021-26858/web_cve_2021_26858_iis_rce.yml (effee1f6-a932-4297-a81f-acb44064fa3a)',
  ],
  inspect(ev): Hit | undefined {
    const web = ev.web;
    if (!web) return undefined;
    let via: string;
    if (ev.source === 'exchange-httpproxy') {
      const anchor = ev.fields['AnchorMailbox'] ?? '';
      const parsed = parseServerInfoAnchor(anchor);
      if (!parsed || !RESET_PATH.test(parsed.path)) return undefined;
      if (web.user !== '' && !isSsrfBackend(parsed.backend)) return undefined;
      via = `AnchorMailbox ${anchor}`;
    } else {
      if (!/\/ecp\/DDI\/DDIService\.svc\/SetObject$/i.test(web.stem) || !RESET_SCHEMA.test(queryOf(web))) return undefined;
      // An administrator resetting a directory in the control panel is logged with their name;
      // the SSRF arrives at the back end as the machine account (DOMAIN\SERVER$).
      if (!web.user.endsWith('$')) return undefined;
      via = `POST ${web.stem} as ${web.user}`;
    }
    const ok = web.status === 200;
    return {
      key: web.clientIp,
      clientIp: web.clientIp,
      title: ok ? 'Web shell written by a virtual directory reset (CVE-2021-27065)' : 'Virtual directory reset attempt (CVE-2021-27065)',
      severity: ok ? 'critical' : 'medium',
      stage: ok ? 'compromise' : 'attempt',
      summary: `${web.clientIp || 'Unknown IP'}: ${via} (status ${statusText(web.status)}).${ok ? ' The reset succeeded, which writes a file with the attacker\'s script to disk.' : ''}`,
      facets: { status: statusText(web.status), userAgent: web.userAgent },
    };
  },
};

