// `exhunt timeline PATH…`: the attack timeline for Timesketch — a hunt whose output is every event
// that matters, in time order, as CSV (default) or JSONL. PATH may also be a saved JSON report.
import { open, writeFile } from 'node:fs/promises';
import { UsageError } from '../../core/errors.js';
import { looksLikeReport, readSavedReport } from '../../pipeline/saved-report.js';
import { writerById } from '../../report/registry.js';
import { terminalSafe } from '../../report/sanitize.js';
import { EXIT } from '../exit-codes.js';
import type { Io } from '../io.js';
import { HUNT_HELP, huntCommand } from './hunt.js';

export const TIMELINE_HELP = `Usage: exhunt timeline PATH… [-o FILE] [--format csv|jsonl] [hunt options]

Writes the attack timeline: every evidence record of every finding, every other record of the
attacker addresses (the pivot), and file times (web shells, archives, mitigation configuration),
in time order, in Timesketch's format (message, datetime, timestamp_desc, timestamp, plus fields).
PATH is a triage collection (as for exhunt hunt) or a JSON report saved by exhunt hunt.

Options:
  -f, --format csv|jsonl   default: jsonl when FILE ends in .jsonl, else csv
  -o, --output FILE        write to FILE instead of standard output
  and every option of exhunt hunt (--since, --until, --sigma, --ioc, --demo…).

Examples:
  exhunt timeline ./triage -o timeline.csv
  exhunt timeline report.json -o timeline.jsonl

Exit codes: as exhunt hunt (0 nothing found, 1 findings, 2 usage or input error); 0 for a saved report.
`;

async function isSavedReport(file: string): Promise<boolean> {
  if (!file.toLowerCase().endsWith('.json')) return false;
  try {
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.alloc(256);
      const { bytesRead } = await fh.read(buf, 0, 256, 0);
      return looksLikeReport(buf.subarray(0, bytesRead).toString('utf8'));
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}

export async function timelineCommand(argv: string[], io: Io): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    io.stdout.write(TIMELINE_HELP);
    return EXIT.clean;
  }
  // The format is the only option of our own; the rest go to hunt.
  const rest: string[] = [];
  let format: string | undefined;
  let output: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = /^--(format|output)=(.*)$/.exec(a);
    if (a === '-f' || a === '--format') format = argv[++i];
    else if (eq?.[1] === 'format') format = eq[2];
    else {
      if (a === '-o' || a === '--output') output = argv[i + 1];
      else if (eq?.[1] === 'output') output = eq[2];
      rest.push(a);
    }
  }
  format ??= output?.toLowerCase().endsWith('.jsonl') ? 'jsonl' : 'csv';
  if (format !== 'csv' && format !== 'jsonl') throw new UsageError(`--format: expected csv or jsonl, got "${format}"`);
  const writerId = format === 'csv' ? 'timeline' : 'timeline-jsonl';
  // A saved report is given alone (with -o); hunt options make no sense for it.
  const first = rest.find((a, i) => !a.startsWith('-') && !(i > 0 && /^(-o|--output)$/.test(rest[i - 1]!)));
  if (first !== undefined && (await isSavedReport(first))) {
    const others = rest.filter((a, i) => a !== first && !/^(-o|--output)(=|$)/.test(a) && !(i > 0 && /^(-o|--output)$/.test(rest[i - 1]!)));
    if (others.length > 0) throw new UsageError(`timeline: ${others[0]} applies to a hunt, not to a saved report`);
    const report = await readSavedReport(first);
    const text = writerById(writerId)!.render(report, { color: false, width: 100 });
    if (output) {
      await writeFile(output, text);
      io.stderr.write(`exhunt: timeline written to ${terminalSafe(output)}\n`);
    } else {
      io.stdout.write(text);
    }
    return EXIT.clean;
  }
  if (rest.length === 0) throw new UsageError(`timeline: give a collection or a saved report\n\n${HUNT_HELP.split('\n')[0]}`);
  return huntCommand(['--format', writerId, ...rest], io);
}
