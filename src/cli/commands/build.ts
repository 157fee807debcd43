// `exhunt build VERSION…`: an Exchange build → product, CU, SU, support and the open CVEs, offline.
import type { BuildAssessment, OpenCve } from '../../exposure/assess.js';
import { assessBuild } from '../../exposure/assess.js';
import { paint } from '../../report/paint.js';
import { jsonSafe, terminalSafe } from '../../report/sanitize.js';
import { parseCommandLine } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { type Io, colorWanted } from '../io.js';
import { UsageError } from '../../core/errors.js';
import { parseTime } from './hunt.js';

export const BUILD_HELP = `Usage: exhunt build VERSION… [options]

Looks an Exchange Server build up in exhunt's build table (no network): product, cumulative
update (CU), security update (SU), release date, whether the product is still supported, and
every open CVE among ProxyLogon, ProxyShell, ProxyToken, ProxyNotShell, OWASSRF, CVE-2021-42321,
CVE-2023-21529 and CVE-2024-21410 with the update and KB that fix it for this build.

VERSION is any of:
  15.1.2176.9                    ExSetup.exe FileVersion (the exact build; on the server:
                                 (Get-Command ExSetup.exe).FileVersionInfo.FileVersion)
  15.01.2176.009                 the long form of Microsoft's build table
  "Version 15.1 (Build 2176.2)"  Get-ExchangeServer's AdminDisplayVersion (quote it); it names
                                 the CU only (its revision is the CU's, whatever SU is installed)
  15.1.2176                      three parts, as an OWA page shows: the CU only. exhunt lists the
                                 known SUs of that CU and says which CVEs are open whatever the SU
                                 and which depend on it.

Options:
  -f, --format FORMAT   console|json|jsonl (default: console). json prints one object, or an array
                        when several versions are given; jsonl one object per line.
      --as-of DATE      judge support as of DATE (default: today)
      --color/--no-color
  -h, --help            this help

The JSON object: { build, product, cu, su, releaseDate, supported, cves: [{ id, name, fixedIn, kb,
condition? }], verdict, summary, … } where cves lists the open CVEs and verdict is patched,
vulnerable, outdated-unsupported or unknown (a three-part build whose CVEs depend on the SU).
docs/exposure.md describes every field and how the table is refreshed.

Exit codes: 0 every build patched, 1 some build vulnerable, unsupported or unknown,
2 malformed or unknown version.
`;

/** The JSON shape: the fields the issue promises first, then the rest. */
export function assessmentJson(a: BuildAssessment): Record<string, unknown> {
  return {
    build: a.build,
    product: a.product,
    cu: a.cu,
    su: a.su,
    releaseDate: a.releaseDate,
    supported: a.supported,
    cves: a.cves,
    verdict: a.verdict,
    summary: a.summary,
    input: a.input,
    buildLong: a.buildLong,
    exact: a.exact,
    kb: a.kb,
    supportEnds: a.supportEnds,
    suDependent: a.suDependent,
    candidates: a.candidates,
    latest: a.latest,
    notes: a.notes,
  };
}

function cveLines(cves: readonly OpenCve[]): string[] {
  const nameWidth = Math.min(28, Math.max(...cves.map((c) => c.name.length)));
  return cves.map((c) => {
    const name = c.name.length > nameWidth ? `${c.name.slice(0, nameWidth - 1)}…` : c.name.padEnd(nameWidth);
    return `  ${c.id.padEnd(15)} ${name}  fix: ${c.fixedIn}${c.kb ? `  ${c.kb}` : ''}${c.condition ? `\n  ${''.padEnd(15)} (${c.condition})` : ''}`;
  });
}

const VERDICT_STYLE = { vulnerable: ['red', 'bold'], 'outdated-unsupported': ['yellow', 'bold'], unknown: ['yellow'], patched: ['green', 'bold'] } as const;

export function renderAssessment(a: BuildAssessment, color: boolean): string {
  const lines = [paint(color, ['bold'], `${a.product} ${a.cu}${a.su ? ` ${a.su}` : ''}  ${a.build} (${a.buildLong})`)];
  if (a.releaseDate) lines.push(`Released   ${a.releaseDate}${a.kb ? `  ${a.kb}` : ''}`);
  lines.push(`Support    ${a.supported ? (a.supportEnds ? `until ${a.supportEnds}` : 'supported') : `ended ${a.supportEnds}`}`);
  lines.push(`Latest     ${a.latest.update} ${a.latest.build} (${a.latest.releaseDate})`);
  lines.push('', a.cves.length === 0 ? 'Open CVEs: none' : `Open CVEs (${a.cves.length})${a.exact ? '' : ', whatever the SU'}:`, ...cveLines(a.cves));
  if (!a.exact) {
    if (a.suDependent.length > 0) lines.push('', 'Open on some SUs of this CU:', ...cveLines(a.suDependent));
    lines.push('', 'Known builds of this CU:');
    for (const c of a.candidates) lines.push(`  ${c.build.padEnd(15)} ${(c.su ?? 'no SU').padEnd(14)} ${c.releaseDate.padEnd(10)}  ${c.cves.length} open`);
  }
  for (const n of a.notes) lines.push('', `Note: ${n}`);
  lines.push('', paint(color, VERDICT_STYLE[a.verdict], a.summary));
  return `${lines.map(terminalSafe).join('\n')}\n`;
}

export async function buildCommand(argv: string[], io: Io): Promise<number> {
  const { values: o, positionals } = parseCommandLine(argv, {
    format: { type: 'string', short: 'f', default: 'console' },
    'as-of': { type: 'string' },
    color: { type: 'boolean' },
    'no-color': { type: 'boolean' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (o.help) {
    io.stdout.write(BUILD_HELP);
    return EXIT.clean;
  }
  if (positionals.length === 0) throw new UsageError('build: give a version such as 15.1.2176.9');
  if (!['console', 'json', 'jsonl'].includes(o.format)) throw new UsageError(`--format: expected console, json or jsonl, got "${o.format}"`);
  const now = o['as-of'] === undefined ? Date.now() : parseTime('--as-of', o['as-of'], false);
  const results = positionals.map((v) => assessBuild(v, { now }));
  if (o.format === 'json') {
    const body = results.length === 1 ? assessmentJson(results[0]!) : results.map(assessmentJson);
    io.stdout.write(`${jsonSafe(JSON.stringify(body, null, 2))}\n`);
  } else if (o.format === 'jsonl') {
    for (const r of results) io.stdout.write(`${jsonSafe(JSON.stringify(assessmentJson(r)))}\n`);
  } else {
    const color = colorWanted(io.stdout, io.env, o['no-color'] ? false : o.color);
    io.stdout.write(results.map((r) => renderAssessment(r, color)).join('\n'));
  }
  return results.every((r) => r.verdict === 'patched') ? EXIT.clean : EXIT.findings;
}
