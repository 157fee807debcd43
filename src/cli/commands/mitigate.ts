// `exhunt mitigate`: prints Microsoft's interim IIS URL Rewrite mitigation for a CVE, ready to apply
// by hand. It never touches the server: the administrator reviews and runs the steps.
import { UsageError } from '../../core/errors.js';
import { MITIGATIONS, type Mitigation, mitigationsForCve, renderMitigation, siteNameProblem } from '../../exposure/mitigations.js';
import { jsonSafe, terminalSafe } from '../../report/sanitize.js';
import { parseCommandLine } from '../args.js';
import { EXIT } from '../exit-codes.js';
import type { Io } from '../io.js';

export const MITIGATE_HELP = `Usage: exhunt mitigate --cve CVE-ID [--site NAME] [--format FORMAT]
       exhunt mitigate --list [--format text|json]

Prints the interim IIS URL Rewrite mitigation Microsoft published for a CVE (EOMT for ProxyLogon
CVE-2021-26855/26857/26858/27065, EOMTv2 for ProxyNotShell CVE-2022-41040/41082): the web.config
fragment, the appcmd and PowerShell commands that add the rules, how to verify them and how to roll
them back. A mitigation is interim: install the Security Update it names as soon as possible.
exhunt never changes the server itself; review the steps and run them yourself, elevated.

Options:
      --cve CVE-ID     the vulnerability (case-insensitive, e.g. CVE-2021-26855)
      --site NAME      the IIS site that receives the rules (default: Default Web Site)
  -f, --format FORMAT  text (default): everything, explained
                       xml: the <rewrite> fragment for the site's web.config
                       appcmd: a cmd.exe script (rollback as rem lines)
                       powershell: a PowerShell script (rollback as comments)
                       json: {"cve", "site", "mitigations": [mitigation + "rendered"]}
      --list           the mitigations exhunt knows and the CVEs they block
  -h, --help           this help

Exit codes: 0 mitigation printed (or --list), 1 no interim rewrite mitigation exists for that CVE
(one line says so; patch instead), 2 usage error (missing or malformed --cve, bad --site or --format).
`;

const FORMATS = ['text', 'xml', 'appcmd', 'powershell', 'json'] as const;
type Format = (typeof FORMATS)[number];

const lines = (ls: readonly string[]): string => `${ls.map(terminalSafe).join('\n')}\n`;

function listText(): string[] {
  return MITIGATIONS.flatMap((m) => [
    `${m.id.padEnd(7)} ${m.title}`,
    `        blocks ${m.cves.join(', ')} (chain: ${m.chainCves.join(', ')}); superseded by the ${m.supersededBy}`,
  ]);
}

function explainText(m: Mitigation, site: string): string[] {
  const r = renderMitigation(m, site);
  return [
    m.title,
    '',
    `Blocks: ${m.cves.join(', ')}, and with it the unauthenticated path to ${m.chainCves.join(', ')}.`,
    `Interim only: it does not fix the vulnerabilities. Install the ${m.supersededBy} as soon as possible.`,
    `Requires: ${m.requires}.`,
    ...(m.bypassNote === undefined ? [] : [`Limits: ${m.bypassNote}`]),
    `Site: ${site}. The rules go into that site's web.config (C:\\inetpub\\wwwroot\\web.config on a default install).`,
    '',
    '== web.config ==',
    '(inside <configuration><system.webServer>; if a <rewrite><rules> element exists, add only the <rule> elements)',
    ...r.webConfigXml.split('\n'),
    '',
    '== Apply with appcmd (elevated cmd.exe) ==',
    '(if a rule of the same name exists, appcmd refuses the duplicate: roll back first)',
    ...r.appcmdApply,
    '',
    '== Apply with PowerShell (elevated) ==',
    ...r.powershellApply.split('\n'),
    '',
    '== Verify ==',
    '(the rules are listed; each probe should end in an empty reply or a reset connection, not an HTTP status;',
    ' curl.exe ships with Windows Server 2019 and later; note the time, the probe may appear in the IIS log)',
    ...r.verify,
    '',
    '== Roll back (appcmd) ==',
    ...r.appcmdRollback,
    '',
    '== Roll back (PowerShell) ==',
    ...r.powershellRollback.split('\n'),
    '',
    `References: ${m.references.join(' ')}`,
    '',
    'exhunt never changes the server itself: it only prints these steps.',
  ];
}

function scriptText(m: Mitigation, site: string, format: 'appcmd' | 'powershell'): string[] {
  const r = renderMitigation(m, site);
  const note = format === 'appcmd' ? '@rem' : '#';
  const header = [`${note} exhunt mitigate: ${m.title}`, `${note} interim only: install the ${m.supersededBy} as soon as possible`];
  if (format === 'appcmd') {
    return [...header, ...r.appcmdApply, `${note} verify:`, r.verify[0]!, `${note} roll back:`, ...r.appcmdRollback.map((l) => `${note} ${l}`)];
  }
  return [...header, ...r.powershellApply.split('\n'), `${note} roll back:`, ...r.powershellRollback.split('\n').map((l) => `${note} ${l}`)];
}

export async function mitigateCommand(argv: string[], io: Io): Promise<number> {
  const { values: o, positionals } = parseCommandLine(argv, {
    cve: { type: 'string' },
    site: { type: 'string' },
    format: { type: 'string', short: 'f', default: 'text' },
    list: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (o.help) {
    io.stdout.write(MITIGATE_HELP);
    return EXIT.clean;
  }
  if (positionals.length > 0) throw new UsageError(`mitigate: unexpected argument "${positionals[0]}"`);
  const format = o.format as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`--format: expected ${FORMATS.join(', ')}; got "${o.format}"`);

  if (o.list) {
    if (o.cve !== undefined) throw new UsageError('mitigate: give either --list or --cve, not both');
    if (format === 'json') io.stdout.write(`${jsonSafe(JSON.stringify(MITIGATIONS, null, 2))}\n`);
    else if (format === 'text') io.stdout.write(lines(listText()));
    else throw new UsageError('--list: the format is text or json');
    return EXIT.clean;
  }

  if (o.cve === undefined) throw new UsageError('mitigate: give --cve CVE-ID (or --list)');
  const cve = o.cve.trim().toUpperCase();
  if (!/^CVE-\d{4}-\d{4,7}$/.test(cve)) throw new UsageError(`--cve: expected an id like CVE-2021-26855; got "${o.cve}"`);
  const site = o.site ?? 'Default Web Site';
  const siteProblem = siteNameProblem(site);
  if (siteProblem !== undefined) throw new UsageError(`--site: ${siteProblem}`);

  const found = mitigationsForCve(cve);
  if (found.length === 0) {
    const message = `${cve}: exhunt knows no interim URL Rewrite mitigation for it; install the Exchange Security Update that fixes it.`;
    if (format === 'json') io.stdout.write(`${jsonSafe(JSON.stringify({ cve, site, mitigations: [] }, null, 2))}\n`);
    (format === 'text' ? io.stdout : io.stderr).write(lines([message]));
    return EXIT.findings;
  }
  if (format === 'json') {
    const mitigations = found.map((m) => ({ ...m, rendered: renderMitigation(m, site) }));
    io.stdout.write(`${jsonSafe(JSON.stringify({ cve, site, mitigations }, null, 2))}\n`);
  } else {
    const blocks = found.map((m) => {
      if (format === 'xml') return renderMitigation(m, site).webConfigXml.split('\n');
      if (format === 'text') return explainText(m, site);
      return scriptText(m, site, format);
    });
    io.stdout.write(lines(blocks.flatMap((b, k) => (k === 0 ? b : ['', ...b]))));
  }
  return EXIT.clean;
}
