// CVE-2021-26858 (ProxyLogon arbitrary file write) in the OAB generator log: "Download failed and
// temporary file <path> needs to be removed" where <path> is outside Exchange's
// ClientAccess\OAB\Temp folder means the OAB generator was made to write a file elsewhere.
// Sources: Microsoft HAFNIUM blog 2021-03-02 ("files should only be downloaded to
// …\V15\ClientAccess\OAB\Temp"); microsoft/CSS-Exchange Test-ProxyLogon.ps1 Get-Cve26858 (regex
// 'Download failed and temporary file (.*?) needs to be removed', flagged unless it starts with
// "'<install>ClientAccess\OAB"); MSRC Guidance for responders 2021-03-16.
import path from 'node:path';
import type { Detector, Hit } from '../types.js';
import { HUNT_WEB_SHELLS, PATCH_MARCH_2021, PRESERVE_FIRST } from '../remediation.js';

const DOWNLOAD_FAILED = /Download failed and temporary file (.*?) needs to be removed/i;

/**
 * Whether a Windows path is inside the OAB generator's own temp folder, `<install>\ClientAccess\OAB\Temp`,
 * after resolving `..`. Without the install path, a local path whose `ClientAccess\OAB\Temp` sits
 * in an Exchange installation (not under a web folder) is accepted.
 */
export function isOabTempPath(winPath: string, exchangePath?: string): boolean {
  const p = path.win32.normalize(winPath.trim().replace(/^['"]+|['"]+$/g, ''));
  if (p.startsWith('\\\\')) return false; // UNC: never where the OAB generator works
  const lower = p.toLowerCase();
  if (exchangePath) {
    const base = path.win32.join(exchangePath, 'ClientAccess', 'OAB', 'Temp').toLowerCase();
    return lower.startsWith(`${base}\\`);
  }
  const at = lower.indexOf('\\clientaccess\\oab\\temp\\');
  if (at === -1 || !/^[a-z]:\\/.test(lower)) return false;
  const install = lower.slice(0, at);
  return !/\\(inetpub|wwwroot|aspnet_client|frontend|httpproxy)(\\|$)/.test(install);
}

export const proxylogonOabFileWrite: Detector = {
  id: 'exchange-proxylogon-oab-file-write',
  title: 'OAB generator wrote a file outside its folder (CVE-2021-26858)',
  story: 'file written by the OAB generator (CVE-2021-26858)',
  appliesTo: ['exchange-oab-generator'],
  needles: ['download failed'],
  cves: ['CVE-2021-26858'],
  attack: ['T1190', 'T1505.003'],
  explanation:
    'The offline address book (OAB) generator only ever downloads to Exchange\'s ClientAccess\\OAB\\Temp folder. A "Download failed and temporary file … needs to be removed" line naming any other path shows CVE-2021-26858 being used to write a file of the attacker\'s choosing, typically a web shell.',
  remediation: [HUNT_WEB_SHELLS, PRESERVE_FIRST, PATCH_MARCH_2021],
  references: [
    'https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/',
    'microsoft/CSS-Exchange Security/src/Test-ProxyLogon.ps1 (Get-Cve26858)',
  ],
  inspect(ev, ctx): Hit | undefined {
    const m = DOWNLOAD_FAILED.exec(ev.raw.slice(0, 16 * 1024));
    if (!m) return undefined;
    const target = m[1]!.trim().replace(/^['"]+|['"]+$/g, '');
    if (isOabTempPath(target, ctx.exchangePath)) return undefined;
    return {
      key: target.toLowerCase(),
      title: 'File written outside the OAB folder (CVE-2021-26858)',
      severity: 'critical',
      stage: 'compromise',
      summary: `The OAB generator downloaded to ${target}, outside ClientAccess\\OAB\\Temp: a file was written where the attacker chose.`,
      facets: { path: target },
    };
  },
};
