// Runs one file through sniffing and its parser with every line delivered, for parser tests.
import type { LogEvent } from '../src/core/types.js';
import { type ScanResult, scanLines } from '../src/parsers/line-scanner.js';
import { identify, parserById } from '../src/parsers/registry.js';
import type { Sniff } from '../src/parsers/types.js';
import { bufferByteSource } from '../src/sources/bytes.js';

export interface Parsed {
  sniff: Sniff | undefined;
  events: LogEvent[];
  issues: { code: string; message: string; line?: number }[];
  scan?: ScanResult;
  headerRows: number;
  lastTime?: number;
}


export async function parseText(content: string | Buffer, rel = 'test.log', opts: { chunk?: number; step?: number } = {}): Promise<Parsed> {
  const data = typeof content === 'string' ? Buffer.from(content) : content;
  let text = data.subarray(0, 65536).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const sniff = identify({ rel, text, bytes: data.subarray(0, 65536), complete: data.length <= 65536 });
  const out: Parsed = { sniff, events: [], issues: [], headerRows: 0 };
  if (!sniff || sniff.unsupported) return out;
  const plugin = parserById(sniff.parser)!;
  if (plugin.kind !== 'lines') throw new Error(`${rel}: not a text log (${sniff.format})`);
  const parser = plugin.open(sniff, {
    input: 0,
    file: rel,
    issue: (code, message, line) => void out.issues.push({ code, message, line }),
  });
  out.scan = await scanLines(
    bufferByteSource(data, opts.step ?? Infinity),
    undefined,
    {
      line(t, lineNo, offset) {
        if (t.startsWith('#')) parser.directive(t, lineNo, offset);
        else {
          const ev = parser.record(t, lineNo, offset);
          if (ev) out.events.push(ev);
        }
      },
      wantsAll: () => true,
      issue: (code, message, line) => void out.issues.push({ code, message, line }),
    },
    { maxLineBytes: 1024 * 1024, chunkBytes: opts.chunk },
  );
  parser.end(out.scan);
  out.headerRows = parser.headerRows;
  if (out.scan.last) out.lastTime = parser.timeOf(out.scan.last.text);
  return out;
}
