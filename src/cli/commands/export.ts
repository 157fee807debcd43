// `exhunt export --stix REPORT.json`: what a hunt observed — attacker addresses, web-shell files and
// hashes, user agents — as a STIX 2.1 bundle of observed data, indicators and sightings that a CERT
// can share and other tools import.
import { writeFile } from 'node:fs/promises';
import { UsageError } from '../../core/errors.js';
import { readSavedReport } from '../../pipeline/saved-report.js';
import { writerById } from '../../report/registry.js';
import { terminalSafe } from '../../report/sanitize.js';
import { parseCommandLine } from '../args.js';
import { EXIT } from '../exit-codes.js';
import type { Io } from '../io.js';

export const EXPORT_HELP = `Usage: exhunt export --stix REPORT.json [-o FILE]

Exports what a hunt observed as a STIX 2.1 bundle: the attacker addresses, web-shell files with
their SHA-256 hashes and paths, and user agents, as observed-data, indicators (STIX patterns) and
sightings of those indicators, ready to share with a CERT or load into MISP or OpenCTI.

Options:
      --stix          STIX 2.1 JSON bundle (the only export format so far)
  -o, --output FILE   write to FILE instead of standard output
  -h, --help          this help

Example:
  exhunt hunt ./triage --format json -o report.json
  exhunt export --stix report.json -o observed.stix.json

Exit codes: 0 written, 2 usage error or a file that is not an exhunt report.
`;

export async function exportCommand(argv: string[], io: Io): Promise<number> {
  const { values: o, positionals } = parseCommandLine(argv, {
    stix: { type: 'boolean', default: false },
    output: { type: 'string', short: 'o' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (o.help) {
    io.stdout.write(EXPORT_HELP);
    return EXIT.clean;
  }
  if (!o.stix) throw new UsageError('export: choose a format: --stix');
  if (positionals.length !== 1) throw new UsageError('export: give exactly one JSON report (exhunt hunt … --format json -o report.json)');
  const writer = writerById('stix');
  if (!writer) throw new UsageError('export: the STIX writer is not available in this build');
  const report = await readSavedReport(positionals[0]!);
  const text = writer.render(report, { color: false, width: 100 });
  if (o.output) {
    await writeFile(o.output, text);
    io.stderr.write(`exhunt: STIX 2.1 bundle written to ${terminalSafe(o.output)}\n`);
  } else {
    io.stdout.write(text);
  }
  return EXIT.clean;
}
