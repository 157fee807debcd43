// Remote PowerShell sessions that did not come from a PowerShell client, in the Rps_Http log
// (Logging\CmdletInfra\Powershell-Proxy\Http). Legitimate sessions carry ClientInfo
// "Microsoft WinRM Client" or "Exchange BackEnd Probes" (or nothing); ProxyNotShell and OWASSRF
// sessions carry the attacker's HTTP client instead. 200 means the request was served.
// Source: CrowdStrike/OWASSRF Rps_Http-IOC.ps1 (December 2022).
import type { Detector, Hit } from '../types.js';
import { CALL_A_PROFESSIONAL, HUNT_WEB_SHELLS, PATCH_PROXYNOTSHELL, PRESERVE_FIRST, RESET_CREDENTIALS } from '../remediation.js';
import { clip, isSuccess, normalizeUserAgent, statusText } from '../web.js';

const BENIGN_CLIENTS = ['', 'clientinfo', 'microsoft winrm client', 'exchange backend probes'];

export const rpsHttpProxiedPowershell: Detector = {
  id: 'exchange-rps-http-anomalous-client',
  title: 'Remote PowerShell used from a non-PowerShell client (ProxyNotShell / OWASSRF)',
  story: 'remote PowerShell abused',
  appliesTo: ['exchange-rps-http'],
  needles: null,
  cves: ['CVE-2022-41040', 'CVE-2022-41080', 'CVE-2022-41082'],
  attack: ['T1190', 'T1059.001'],
  explanation:
    'Exchange remote PowerShell is used by administrators\' PowerShell (WinRM) and by Exchange\'s own health probes. A session whose client is a web browser or a scripting library is what ProxyNotShell and OWASSRF exploitation leaves in the Rps_Http log; with status 200 the attacker\'s PowerShell requests were executed.',
  remediation: [PATCH_PROXYNOTSHELL, RESET_CREDENTIALS, HUNT_WEB_SHELLS, CALL_A_PROFESSIONAL, PRESERVE_FIRST],
  references: ['CrowdStrike/OWASSRF Rps_Http-IOC.ps1', 'https://www.crowdstrike.com/blog/owassrf-exploit-analysis-and-recommendations/'],
  inspect(ev): Hit | undefined {
    const web = ev.web;
    if (!web) return undefined;
    const client = ev.fields['ClientInfo'] ?? '';
    if (BENIGN_CLIENTS.includes(normalizeUserAgent(client))) return undefined;
    const ok = isSuccess(web.status);
    const ip = web.clientIp;
    return {
      key: `${ip}|${client}`,
      clientIp: ip,
      facets: { user: web.user, status: statusText(web.status), command: ev.fields['CommandName'] ?? '' },
      title: ok ? 'Remote PowerShell executed for a non-PowerShell client' : 'Remote PowerShell attempt from a non-PowerShell client',
      severity: ok ? 'critical' : 'medium',
      stage: ok ? 'compromise' : 'attempt',
      summary: `${ip}${web.user ? ` as ${web.user}` : ''}: PowerShell request from client "${clip(client, 120)}" (status ${statusText(web.status)}${ev.fields['CommandName'] ? `, command ${ev.fields['CommandName']}` : ''}).`,
    };
  },
};
