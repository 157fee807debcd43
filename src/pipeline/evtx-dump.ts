// `exhunt evtx`: the records of every EVTX file in the inputs as JSON lines (evtx_dump's shape), a
// JSON array or XML. Output is handed over in large pieces and the read waits whenever the output
// stream asks it to, so memory stays flat however large the log and however slow the reader.
import { errorMessage } from '../core/errors.js';
import { jsonText } from '../parsers/evtx/render-json.js';
import { type EvtxRecord, isEvtx, readEvtx } from '../parsers/evtx/reader.js';
import { readHead, withPrefix } from '../sources/bytes.js';
import { discoverInputs } from '../sources/discover.js';
import { openSource } from '../sources/open.js';
import { type ByteSource, DEFAULT_LIMITS } from '../sources/types.js';
import { ZipReaderCache } from '../sources/zip.js';

/** Where the dump goes: a Node stream or anything with the same write/drain contract. */
export interface DumpStream {
  write(s: string): boolean | void;
  once?(event: 'drain', cb: () => void): unknown;
}

export interface DumpOptions {
  paths: readonly string[];
  format: DumpFormat;
  /** Only these event ids. */
  ids?: ReadonlySet<number>;
  skipRecovered?: boolean;
  out: DumpStream;
  /** One line per problem: file, offset and what is wrong. */
  warn(message: string): void;
}

export interface DumpResult {
  files: number;
  records: number;
  recovered: number;
  unreadable: number;
  problems: number;
}

export const DUMP_FORMATS = ['jsonl', 'json', 'xml'] as const;
export type DumpFormat = (typeof DUMP_FORMATS)[number];

/** Buffers output and hands it to the stream in large pieces, waiting when the stream asks to. */
class Output {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly stream: DumpStream) {}

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
  let body: string;
  try {
    // The native serialiser, except for the rare record with a 64-bit value beyond 2^53.
    body = JSON.stringify(r.event);
  } catch {
    body = jsonText(r.event);
  }
  return body === '{}' ? `{"exhunt":${meta(file, r)}}` : `${body.slice(0, -1)},"exhunt":${meta(file, r)}}`;
}

function xmlComment(s: string): string {
  // A comment may not contain "--"; file names come from the evidence.
  return s.replace(/-(?=-)/g, '- ').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '\ufffd');
}

/** Dumps every EVTX file found in the inputs (by content, not name) to `opts.out`. */
export async function dumpEvtx(opts: DumpOptions): Promise<DumpResult> {
  const { format, ids } = opts;
  const skipRecovered = opts.skipRecovered === true;
  const discovery = await discoverInputs(opts.paths, DEFAULT_LIMITS);
  let problems = 0;
  const warn = (msg: string) => {
    problems++;
    opts.warn(msg);
  };
  for (const e of discovery.errors) warn(`${e.file}: ${e.message}`);

  const out = new Output(opts.out);
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
          withPrefix(head, src),
          {
            record(r) {
              if (skipRecovered && r.recovered) return;
              if (ids && !ids.has(r.system.eventId)) return;
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
  }
  return { files: evtxFiles, records, recovered, unreadable, problems };
}
