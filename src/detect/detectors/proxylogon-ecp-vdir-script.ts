// CVE-2021-27065 in the ECP Server log: a Set-<X>VirtualDirectory (or New-) cmdlet whose URL
// parameter carries markup or script. "All Set-<AppName>VirtualDirectory properties should never
// contain script. InternalUrl and ExternalUrl should only be valid Uris." (Microsoft HAFNIUM blog).
// Test-ProxyLogon only names the *file* (Select-String … -List); we report every line.
// Sources: Microsoft HAFNIUM blog 2021-03-02; microsoft/CSS-Exchange Test-ProxyLogon.ps1
// Get-Cve27065 regex `Set-.+VirtualDirectory.+?(?=Url).+<\w+.*>(.*?)<\/\w+>.+?(?=VirtualDirectory)`;
// Neo23x0/signature-base apt_hafnium_log_sigs.yar (`S:CMD=Set-OabVirtualDirectory.ExternalUrl='`);
// a real line from HelseCERT's 2021-03-11 incident write-up (helsecert/2021-march-exchange).
import type { Detector, Hit } from '../types.js';
import { HUNT_WEB_SHELLS, PATCH_MARCH_2021, PRESERVE_FIRST } from '../remediation.js';
import { clip, decodeUrl } from '../web.js';

/** ECP lines longer than this are exception dumps; the cmdlet and its parameters come first. */
const MAX_TEXT = 64 * 1024;
const VDIR_CMDLET = /\b((?:Set|New)-\w*VirtualDirectory)\b/i;
const URL_PARAM = /\b(\w*Url)\s*=/i;
// Characters and constructs that cannot appear in a valid URI but do in a script payload.
const MARKUP = /<\/?[a-z!%?]|&lt;|&#x?0*3c|\brunat\s*=|\beval\s*\(|\brequest\s*(?:\[|\(|\.(?:item|form|querystring|params)\b)|javascript:/i;

export const proxylogonEcpVdirScript: Detector = {
  id: 'exchange-proxylogon-ecp-vdir-script',
  title: 'Script planted in a virtual directory URL (CVE-2021-27065)',
  story: 'web shell planted in a virtual directory (CVE-2021-27065)',
  appliesTo: ['exchange-ecp-server', 'exchange-ecp-activity'],
  needles: ['virtualdirectory'],
  cves: ['CVE-2021-27065'],
  attack: ['T1505.003'],
  explanation:
    'The ECP Server log shows a virtual directory being configured with a URL that contains script code. That is the first half of the CVE-2021-27065 web-shell write: Exchange later saves these settings to a file of the attacker\'s choosing, and the script in the URL makes that file a backdoor page. A legitimate URL never contains markup.',
  remediation: [HUNT_WEB_SHELLS, PRESERVE_FIRST, PATCH_MARCH_2021],
  references: [
    'https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/',
    'microsoft/CSS-Exchange Security/src/Test-ProxyLogon.ps1 (Get-Cve27065)',
    'Neo23x0/signature-base yara/apt_hafnium_log_sigs.yar',
    'helsecert/2021-march-exchange README.md',
  ],
  inspect(ev): Hit | undefined {
    const raw = ev.raw.slice(0, MAX_TEXT);
    const cmd = VDIR_CMDLET.exec(raw);
    if (!cmd) return undefined;
    // Only the text after the cmdlet, up to the next ECP field (`;S:`), belongs to its parameters.
    const from = cmd.index + cmd[0].length;
    const endField = raw.indexOf(';S:', from);
    const params = raw.slice(from, endField === -1 ? raw.length : endField);
    // The first URL parameter; markup anywhere after it in the cmdlet's parameters counts (one
    // linear pass, whatever the attacker wrote).
    const m = URL_PARAM.exec(params);
    if (!m) return undefined;
    const value = params.slice(m.index + m[0].length);
    if (!MARKUP.test(decodeUrl(value))) return undefined;
    const cmdlet = cmd[1]!;
    const param = m[1]!;
    // ECP doubles quotes inside values; show the payload as it was typed.
    const shown = clip(value.replace(/^['"]+/, '').replace(/''/g, "'").replace(/""/g, '"'), 200);
    return {
      // The same payload planted again (or through another directory) is one finding.
      key: `${cmdlet.toLowerCase()}|${param.toLowerCase()}|${value.slice(0, 120)}`,
      title: `Script planted in ${cmdlet} ${param} (CVE-2021-27065)`,
      severity: 'critical',
      stage: 'compromise',
      summary: `${cmdlet} set ${param} to a value containing script: ${shown}`,
      facets: { cmdlet, parameter: param },
    };
  },
};
