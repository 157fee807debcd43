// `exhunt evtx FILE…`: dumps the records of Windows event logs as JSON lines (evtx_dump's shape),
// a JSON array or XML, including damaged, dirty and carved files. Output is streamed: memory stays
// flat however large the log, and a slow reader of standard output slows the dump down.
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError, errorMessage } from '../../core/errors.js';
import { jsonText } from '../../parsers/evtx/render-json.js';
import { type EvtxRecord, isEvtx, readEvtx } from '../../parsers/evtx/reader.js';
import { discoverInputs } from '../../sources/discover.js';
import { openSource } from '../../sources/open.js';
import { type ByteSource, DEFAULT_LIMITS } from '../../sources/types.js';
import { ZipReaderCache } from '../../sources/zip.js';
import { terminalSafe } from '../../report/sanitize.js';
import { EXIT } from '../exit-codes.js';
import type { Io, OutStream } from '../io.js';

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

const FORMATS = ['jsonl', 'json', 'xml'] as const;
type Format = (typeof FORMATS)[number];

/** Buffers output and hands it to the stream in large pieces, waiting when the stream asks to. */
class Output {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly stream: OutStream) {}

  push(s: string): void {
    this.parts.push(s);
    this.size += s.length;
  }

  async flush(force = false): Promise<void> {
    if (this.size === 0 || (!force && this.size < 1 << 20)) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    const ok = this.stream.write(text);
    if (ok === false && this.stream.once) await new Promise<void>((resolve) => this.stream.once!('drain', resolve));
  }
}

function meta(file: string, r: EvtxRecord): string {
  return `{"file":${JSON.stringify(file)},"chunk":${r.chunk},"offset":${r.offset},"record":${r.id},"written":"${r.written}","recovered":${r.recovered}}`;
}

/** The JSON line of a record: its evtx_dump object with the provenance added under "exhunt". */
function jsonRecord(file: string, r: EvtxRecord): string {
  const body = jsonText(r.event!);
  return body === '{}' ? `{"exhunt":${meta(file, r)}}` : `${body.slice(0, -1)},"exhunt":${meta(file, r)}}`;
}

function xmlComment(s: string): string {
  // A comment may not contain "--"; file names come from the evidence.
  return s.replace(/-(?=-)/g, '- ').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '\ufffd');
}

function eventIdOf(r: EvtxRecord): number {
  const sys = (r.event?.['Event'] as { System?: { EventID?: unknown } } | undefined)?.System;
  const id = sys?.EventID;
  if (typeof id === 'number') return id;
  if (id && typeof id === 'object' && '#text' in id) return Number((id as { '#text': unknown })['#text']);
  return NaN;
}

async function readHead(src: ByteSource, n: number): Promise<Buffer> {
  const buf = Buffer.alloc(n);
  let got = 0;
  while (got < n) {
    const r = await src.read(buf, got, n - got);
    if (r === 0) break;
    got += r;
  }
  return buf.subarray(0, got);
}

/** Replays bytes already read, then continues with the source. */
function replay(prefix: Buffer, src: ByteSource): ByteSource {
  let pos = 0;
  return {
    async read(buf, offset, length) {
      if (pos < prefix.length) {
        const n = Math.min(length, prefix.length - pos);
        prefix.copy(buf, offset, pos, pos + n);
        pos += n;
        return n;
      }
      return src.read(buf, offset, length);
    },
    close: () => src.close(),
  };
}

export async function evtxCommand(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        format: { type: 'string', short: 'f', default: 'jsonl' },
        output: { type: 'string', short: 'o' },
        'event-id': { type: 'string' },
        'no-recovered': { type: 'boolean', default: false },
        quiet: { type: 'boolean', short: 'q', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values: o, positionals } = parsed;
  if (o.help) {
    io.stdout.write(EVTX_HELP);
    return EXIT.clean;
  }
  if (!(FORMATS as readonly string[]).includes(o.format!)) throw new UsageError(`--format: expected one of ${FORMATS.join(', ')}, got "${o.format}"`);
  const format = o.format as Format;
  if (positionals.length === 0) throw new UsageError('evtx: give at least one EVTX file, folder or .zip');
  let ids: Set<number> | undefined;
  if (o['event-id'] !== undefined) {
    const list = o['event-id'].split(',').map((s) => s.trim());
    if (list.some((s) => !/^\d{1,5}$/.test(s))) throw new UsageError(`--event-id: expected event ids such as 4688,1, got "${o['event-id']}"`);
    ids = new Set(list.map(Number));
  }
  const skipRecovered = o['no-recovered'] === true;

  const discovery = await discoverInputs(positionals, DEFAULT_LIMITS);
  let problems = 0;
  const warn = (msg: string) => {
    problems++;
    if (!o.quiet) io.stderr.write(`exhunt: warning: ${terminalSafe(msg)}\n`);
  };
  for (const e of discovery.errors) warn(`${e.file}: ${e.message}`);

  const fileStream = o.output ? createWriteStream(o.output) : undefined;
  const out = new Output(fileStream ?? io.stdout);
  const zips = new ZipReaderCache();
  let evtxFiles = 0;
  let records = 0;
  let recovered = 0;
  let unreadable = 0;
  let first = true;
  if (format === 'json') out.push('[');
  if (format === 'xml') out.push('<?xml version="1.0" encoding="utf-8"?>\n<Events>\n');
  try {
    for (const ref of discovery.files) {
      const input = discovery.inputs[ref.input]!;
      const file = input.kind === 'file' ? input.path : `${input.path.replace(/[\\/]+$/, '')}/${ref.rel}`;
      let src: ByteSource;
      try {
        src = await openSource(ref, zips);
      } catch (err) {
        warn(`${file}: cannot read: ${errorMessage(err)}`);
        continue;
      }
      try {
        const head = await readHead(src, 8);
        if (!isEvtx(head)) {
          // In a folder, other files are simply not event logs; a file named on the command line should be one.
          if (input.kind === 'file') warn(`${file}: not an EVTX file (no ElfFile signature)`);
          continue;
        }
        evtxFiles++;
        if (format === 'xml') out.push(`<!-- ${xmlComment(file)} -->\n`);
        const info = await readEvtx(
          replay(head, src),
          {
            record(r) {
              if (skipRecovered && r.recovered) return;
              if (ids && !ids.has(eventIdOf(r))) return;
              records++;
              if (format === 'xml') {
                out.push(`<!-- record ${r.id}, chunk ${r.chunk}, offset ${r.offset}${r.recovered ? ', recovered' : ''} -->\n${r.xml}\n`);
              } else {
                out.push(format === 'json' ? `${first ? '' : ','}\n${jsonRecord(file, r)}` : `${jsonRecord(file, r)}\n`);
                first = false;
              }
            },
            issue(_code, message, offset) {
              warn(`${file}@${offset}: ${message}`);
            },
            flush: () => out.flush(),
          },
          { render: format === 'xml' ? (ids ? 'both' : 'xml') : 'json' },
        );
        recovered += info.recovered;
        unreadable += info.unreadable;
      } catch (err) {
        warn(`${file}: read failed: ${errorMessage(err)}`);
      } finally {
        await src.close().catch(() => undefined);
      }
    }
    if (format === 'json') out.push(first ? ']\n' : '\n]\n');
    if (format === 'xml') out.push('</Events>\n');
    await out.flush(true);
  } finally {
    await zips.close();
    if (fileStream) await new Promise<void>((resolve, reject) => fileStream.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
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
