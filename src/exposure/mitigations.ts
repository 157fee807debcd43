// The interim IIS URL Rewrite mitigations Microsoft published before the fixing Security Updates,
// as data, and rendered as ready-to-apply configuration (mitigation-config.ts recognises them in
// collected IIS configuration). Sources: CSS-Exchange Security/src/EOMT.ps1 (March 2021) and
// Security/src/EOMTv2.ps1 (2022). exhunt only prints the steps: it never changes a server.

export interface RewriteRule {
  name: string;
  matchUrl: string;
  conditionInput: string;
  conditionPattern: string;
  action: 'AbortRequest';
  /** Other action types that block the request just as well (HealthChecker accepts CustomResponse). */
  alsoBlocking: readonly string[];
  stopProcessing: boolean;
  patternSyntax: 'ECMAScript' | 'Wildcard' | 'ExactMatch';
  /** Patterns Microsoft published earlier for this rule and replaced because they could be bypassed. */
  weakPatterns: readonly string[];
}

export interface Mitigation {
  id: 'eomt' | 'eomtv2';
  title: string;
  /** CVEs whose exploitation the rules block directly. */
  cves: readonly string[];
  /** CVEs reached, without credentials, only through those: the rest of the exploit chain. */
  chainCves: readonly string[];
  rules: readonly RewriteRule[];
  requires: string;
  /** The IIS site the rules belong to unless told otherwise. */
  site: string;
  /** The Security Update that fixes the vulnerabilities and makes the rules unnecessary. */
  supersededBy: string;
  bypassNote?: string;
  references: readonly string[];
}

export interface ConfigMitigation {
  id: Mitigation['id'];
  /** Every rule of the mitigation is present and effective. */
  complete: boolean;
  /** The names the matching rules carry in the file (they may differ from Microsoft's). */
  rulesFound: string[];
  problems: string[];
  /** The `<location path>` of applicationHost.config the rules sit in. */
  location?: string;
}

export interface RenderedMitigation {
  webConfigXml: string;
  appcmdApply: string[];
  appcmdRollback: string[];
  powershellApply: string;
  powershellRollback: string;
  verify: string[];
}

const COOKIE_RULE = { matchUrl: '.*', conditionInput: '{HTTP_COOKIE}', action: 'AbortRequest', alsoBlocking: [], patternSyntax: 'ECMAScript', weakPatterns: [] } as const;

export const MITIGATIONS: readonly Mitigation[] = [
  {
    id: 'eomt',
    title: 'ProxyLogon interim mitigation (EOMT): abort requests carrying an X-AnonResource-Backend or a malformed X-BEResource cookie',
    cves: ['CVE-2021-26855'],
    chainCves: ['CVE-2021-26857', 'CVE-2021-26858', 'CVE-2021-27065'],
    rules: [
      { ...COOKIE_RULE, name: 'X-AnonResource-Backend Abort - inbound', conditionPattern: '(.*)X-AnonResource-Backend(.*)', stopProcessing: false },
      { ...COOKIE_RULE, name: 'X-BEResource Abort - inbound', conditionPattern: '(.*)X-BEResource=(.+)/(.+)~(.+)', stopProcessing: true },
    ],
    requires: 'IIS URL Rewrite Module 2.1 (7.2.1993) on IIS 10, 2.0 (7.2.2) on IIS 8.5 and older',
    site: 'Default Web Site',
    supersededBy: 'March 2021 SU KB5000871',
    bypassNote:
      'Microsoft: the rules filter the known malicious cookies, not the CVE-2021-26855 SSRF as a whole. CVE-2021-26857, 26858 and 27065 need ' +
      'authentication, which the SSRF provided; an attacker with stolen credentials can still exploit them until the SU is installed.',
    references: [
      'https://aka.ms/exchangevulns',
      'https://github.com/microsoft/CSS-Exchange/blob/main/Security/src/EOMT.ps1',
      'https://microsoft.github.io/CSS-Exchange/Security/EOMT/',
    ],
  },
  {
    id: 'eomtv2',
    title: 'ProxyNotShell interim mitigation (EOMTv2): abort requests whose decoded URI mentions both autodiscover and powershell',
    cves: ['CVE-2022-41040'],
    chainCves: ['CVE-2022-41082'],
    rules: [
      {
        name: 'PowerShell - inbound',
        matchUrl: '.*',
        conditionInput: '{UrlDecode:{REQUEST_URI}}',
        conditionPattern: '(?=.*autodiscover)(?=.*powershell)',
        action: 'AbortRequest',
        alsoBlocking: ['CustomResponse'],
        stopProcessing: true,
        patternSyntax: 'ECMAScript',
        // MSRC 2022-09-29 guidance, then early EOMTv2 versions (on {REQUEST_URI}, later decoded).
        weakPatterns: ['.*autodiscover\\.json.*\\@.*Powershell.*', '.*autodiscover\\.json.*Powershell.*'],
      },
    ],
    requires: 'IIS URL Rewrite Module 2.1 (7.2.1993)',
    site: 'Default Web Site',
    supersededBy: 'November 2022 SU KB5019758',
    bypassNote:
      'Microsoft\'s first pattern .*autodiscover\\.json.*\\@.*Powershell.* (on the undecoded URL) was shown to be bypassable; only this form on ' +
      '{UrlDecode:{REQUEST_URI}} is the final one. No rule stops OWASSRF (CVE-2022-41080 + CVE-2022-41082 through /owa/…/powershell) or an ' +
      'authenticated user reaching CVE-2022-41082 over Remote PowerShell; Microsoft also advised disabling Remote PowerShell for non-administrators.',
    references: [
      'https://aka.ms/EOMTv2',
      'https://github.com/microsoft/CSS-Exchange/blob/main/Security/src/EOMTv2.ps1',
      'https://msrc-blog.microsoft.com/2022/09/29/customer-guidance-for-reported-zero-day-vulnerabilities-in-microsoft-exchange-server/',
    ],
  },
];

export function mitigationsForCve(cve: string): Mitigation[] {
  const id = cve.trim().toUpperCase();
  return MITIGATIONS.filter((m) => m.cves.includes(id) || m.chainCves.includes(id));
}

// ---- rendering -------------------------------------------------------------------------------

const APPCMD = '%windir%\\system32\\inetsrv\\appcmd.exe';
const SECTION = 'system.webServer/rewrite/rules';

/**
 * Why a site name cannot be put into the commands, if it cannot: cmd.exe has no escape for `"` or
 * `%` inside a quoted argument, and the PowerShell provider path treats `* ? [ ]` as wildcards.
 */
export function siteNameProblem(site: string): string | undefined {
  if (site.trim() === '') return 'the site name is empty';
  if (/[\u0000-\u001f\u007f-\u009f"%*?[\]/\\]/.test(site)) {
    return 'the site name contains a character that cannot be quoted safely for cmd.exe and PowerShell (" % * ? [ ] / \\ or a control character)';
  }
  return undefined;
}

function xmlAttr(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);
}

// PowerShell treats the typographic single quotes as quotes too; doubling escapes each kind.
function psQuote(s: string): string {
  return `'${s.replace(/['\u2018\u2019\u201a\u201b]/g, (c) => c + c)}'`;
}

function ruleXml(r: RewriteRule): string {
  return [
    `    <rule name="${xmlAttr(r.name)}" patternSyntax="${r.patternSyntax}" stopProcessing="${r.stopProcessing}">`,
    `      <match url="${xmlAttr(r.matchUrl)}" />`,
    '      <conditions>',
    `        <add input="${xmlAttr(r.conditionInput)}" pattern="${xmlAttr(r.conditionPattern)}" />`,
    '      </conditions>',
    `      <action type="${r.action}" />`,
    '    </rule>',
  ].join('\n');
}

/** Rule names and patterns go between single quotes in appcmd; the test suite checks none contains `'`, `"` or `%`. */
export function renderMitigation(m: Mitigation, site: string): RenderedMitigation {
  const problem = siteNameProblem(site);
  if (problem !== undefined) throw new RangeError(problem);
  const set = `${APPCMD} set config "${site}" -section:${SECTION}`;
  const ps = ["$ErrorActionPreference = 'Stop'", 'Import-Module WebAdministration', `$site = ${psQuote(`IIS:\\Sites\\${site}`)}`];
  const psApply = [...ps];
  for (const r of m.rules) {
    const filter = `${SECTION}/rule[@name='${r.name}']`;
    psApply.push(
      `Add-WebConfigurationProperty -PSPath $site -Filter ${psQuote(SECTION)} -Name '.' -Value @{ name = ${psQuote(r.name)}; patternSyntax = ${psQuote(r.patternSyntax)}; stopProcessing = ${psQuote(r.stopProcessing ? 'True' : 'False')} }`,
      `Set-WebConfigurationProperty -PSPath $site -Filter ${psQuote(`${filter}/match`)} -Name 'url' -Value ${psQuote(r.matchUrl)}`,
      `Add-WebConfigurationProperty -PSPath $site -Filter ${psQuote(`${filter}/conditions`)} -Name '.' -Value @{ input = ${psQuote(r.conditionInput)}; pattern = ${psQuote(r.conditionPattern)} }`,
      `Set-WebConfigurationProperty -PSPath $site -Filter ${psQuote(`${filter}/action`)} -Name 'type' -Value ${psQuote(r.action)}`,
    );
  }
  return {
    webConfigXml: ['<rewrite>', '  <rules>', ...m.rules.map(ruleXml), '  </rules>', '</rewrite>'].join('\n'),
    appcmdApply: m.rules.flatMap((r) => [
      `${set} /+"[name='${r.name}',patternSyntax='${r.patternSyntax}',stopProcessing='${r.stopProcessing ? 'True' : 'False'}']"`,
      `${set} /"[name='${r.name}'].match.url:${r.matchUrl}"`,
      `${set} /+"[name='${r.name}'].conditions.[input='${r.conditionInput}',pattern='${r.conditionPattern}']"`,
      `${set} /"[name='${r.name}'].action.type:${r.action}"`,
    ]),
    appcmdRollback: [...m.rules].reverse().map((r) => `${set} /-"[name='${r.name}']"`),
    powershellApply: psApply.join('\n'),
    powershellRollback: [
      ...ps,
      ...[...m.rules].reverse().map((r) => `Remove-WebConfigurationProperty -PSPath $site -Filter ${psQuote(SECTION)} -Name '.' -AtElement @{ name = ${psQuote(r.name)} }`),
    ].join('\n'),
    verify: [`${APPCMD} list config "${site}" -section:${SECTION}`, ...probes(m)],
  };
}

// Harmless requests that match the rules without the shape of an exploit: with the rules in place
// IIS drops the connection, so curl reports an empty reply or a reset instead of an HTTP status.
function probes(m: Mitigation): string[] {
  if (m.id === 'eomt') return ['curl.exe -k -s -i -H "Cookie: X-AnonResource-Backend=exhunt-probe" https://localhost/owa/'];
  return ['curl.exe -k -s -i https://localhost/autodiscover/exhunt-probe-powershell'];
}
