// `exhunt evtx FILE…`: options in, dumpEvtx (pipeline/evtx-dump.ts) does the work.
import { createWriteStream } from 'node:fs';
import { UsageError } from '../../core/errors.js';
import { DUMP_FORMATS, type DumpFormat, dumpEvtx } from '../../pipeline/evtx-dump.js';
import { terminalSafe } from '../../report/sanitize.js';
import { parseCommandLine } from '../args.js';
import { EXIT } from '../exit-codes.js';
import type { Io } from '../io.js';

export const EVTX_HELP = `Usage: exhunt evtx PATH… [options]

Dumps the records of Windows event logs (.evtx) — also dirty, damaged or carved ones — as JSON
lines in the shape evtx_dump writes, as a JSON array, or as XML. PATH may be a file, a folder
(every EVTX file in it, found by content) or a .zip archive.

Options:
  -f, --format FORMAT   jsonl (default) | json | xml
  -o, --output FILE     write to FILE instead of standard output
      --event-id LIST   only events with these ids, comma-separated (e.g. 4688,1)
      --no-recovered    leave out records recovered from slack space or damaged chunks
  -q, --quiet           no warnings on standard error
  -h, --help            this help

JSON records are {"Event": …, "exhunt": {"file", "chunk", "offset", "record", "written",
"recovered"}}; "record" is the record header's id and "offset" its byte offset in the file.
Problems (bad chunk headers, checksum mismatches, corrupt records) are reported on standard error
with the file and offset, and reading goes on with the next record or chunk.

Exit codes: 0 every file read cleanly, 1 some file was damaged (its readable records were still
written), 2 usage error or no EVTX file in the input.
`;

export async function evtxCommand(argv: string[], io: Io): Promise<number> {
  const { values: o, positionals } = parseCommandLine(argv, {
    format: { type: 'string', short: 'f', default: 'jsonl' },
    output: { type: 'string', short: 'o' },
    'event-id': { type: 'string' },
    'no-recovered': { type: 'boolean', default: false },
    quiet: { type: 'boolean', short: 'q', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (o.help) {
    io.stdout.write(EVTX_HELP);
    return EXIT.clean;
  }
  if (!(DUMP_FORMATS as readonly string[]).includes(o.format!)) throw new UsageError(`--format: expected one of ${DUMP_FORMATS.join(', ')}, got "${o.format}"`);
  const format = o.format as DumpFormat;
  if (positionals.length === 0) throw new UsageError('evtx: give at least one EVTX file, folder or .zip');
  let ids: Set<number> | undefined;
  if (o['event-id'] !== undefined) {
    const list = o['event-id'].split(',').map((s) => s.trim());
    if (list.some((s) => !/^\d{1,5}$/.test(s))) throw new UsageError(`--event-id: expected event ids such as 4688,1, got "${o['event-id']}"`);
    ids = new Set(list.map(Number));
  }

  const fileStream = o.output ? createWriteStream(o.output) : undefined;
  let result;
  try {
    result = await dumpEvtx({
      paths: positionals,
      format,
      ids,
      skipRecovered: o['no-recovered'] === true,
      out: fileStream ?? io.stdout,
      warn: (msg) => {
        if (!o.quiet) io.stderr.write(`exhunt: warning: ${terminalSafe(msg)}\n`);
      },
    });
  } finally {
    if (fileStream) await new Promise<void>((resolve, reject) => fileStream.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
  const { files: evtxFiles, records, recovered, unreadable, problems } = result;
  if (evtxFiles === 0) {
    if (!o.quiet) io.stderr.write('exhunt: error: no EVTX file found in the input\n');
    return EXIT.error;
  }
  if (!o.quiet) {
    const notes = [recovered > 0 ? `${recovered} recovered from slack or damaged chunks` : '', unreadable > 0 ? `${unreadable} remnants in slack too overwritten to read` : ''].filter(Boolean);
    const where = o.output ? ` written to ${terminalSafe(o.output)}` : '';
    io.stderr.write(`exhunt: ${records} records from ${evtxFiles} file(s)${where}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}\n`);
  }
  return problems > 0 ? EXIT.findings : EXIT.clean;
}
