// `exhunt report REPORT.json`: render a saved JSON report again, in any format (an HTML report for
// the people who must act, a timeline for the analyst) without hunting the logs again.
import { writeFile } from 'node:fs/promises';
import { UsageError } from '../../core/errors.js';
import { readSavedReport } from '../../pipeline/saved-report.js';
import { WRITERS, writerById } from '../../report/registry.js';
import { terminalSafe } from '../../report/sanitize.js';
import { parseCommandLine } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { type Io, colorWanted } from '../io.js';

export const REPORT_HELP = `Usage: exhunt report REPORT.json [options]

Renders a JSON report written by "exhunt hunt --format json" again, in another format: the HTML
report for the people who must act on it, the timeline for Timesketch, CSV for a spreadsheet.

Options:
  -f, --format FORMAT   ${WRITERS.map((w) => w.id).join('|')} (default: html)
  -o, --output FILE     write to FILE instead of standard output
      --color / --no-color
  -v, --verbose         console: every kept evidence line
  -h, --help            this help

Example:
  exhunt hunt ./triage --format json -o report.json
  exhunt report report.json --format html -o report.html

Exit codes: 0 rendered, 2 usage error or a file that is not an exhunt report.
`;

export async function reportCommand(argv: string[], io: Io): Promise<number> {
  const { values: o, positionals } = parseCommandLine(argv, {
    format: { type: 'string', short: 'f', default: 'html' },
    output: { type: 'string', short: 'o' },
    color: { type: 'boolean' },
    'no-color': { type: 'boolean' },
    verbose: { type: 'boolean', short: 'v', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (o.help) {
    io.stdout.write(REPORT_HELP);
    return EXIT.clean;
  }
  if (positionals.length !== 1) throw new UsageError('report: give exactly one JSON report (exhunt hunt … --format json -o report.json)');
  const writer = writerById(o.format!);
  if (!writer) throw new UsageError(`--format: expected one of ${WRITERS.map((w) => w.id).join(', ')}, got "${o.format}"`);
  const report = await readSavedReport(positionals[0]!);
  const color = o.output ? false : colorWanted(io.stdout, io.env, o.color ?? (o['no-color'] === true ? false : undefined));
  const text = writer.render(report, { color, width: io.stdout.columns ?? 100, verbose: o.verbose });
  if (o.output) {
    await writeFile(o.output, text);
    io.stderr.write(`exhunt: ${writer.id} written to ${terminalSafe(o.output)}\n`);
  } else {
    io.stdout.write(text);
  }
  return EXIT.clean;
}
