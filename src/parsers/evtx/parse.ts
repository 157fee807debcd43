// The EVTX plug-in: claims files by their `ElfFile` signature (whatever their name) and turns each
// record into an EvtxEvent with file, record id and offset as provenance. Problems in the file are
// reported through the context with the chunk and offset and never stop the read.
import type { Head, RecordParser, Sniff } from '../types.js';
import { EvtxEvent } from './event.js';
import { isEvtx, readEvtx } from './reader.js';

const FORMAT = 'Windows event log';

export const evtxParser: RecordParser = {
  kind: 'records',
  id: 'evtx',
  description: 'Windows event log (EVTX), any channel',
  sniff(head: Head): Sniff | undefined {
    return isEvtx(head.bytes) ? { parser: 'evtx', source: 'evtx', format: FORMAT } : undefined;
  },
  async read(src, ctx, onEvent) {
    const channels = new Map<string, number>();
    // A log is one channel, record after record: count runs, not records.
    let channel = '';
    let run = 0;
    const flushRun = () => {
      if (run > 0) channels.set(channel, (channels.get(channel) ?? 0) + run);
    };
    const info = await readEvtx(src, {
      record(r) {
        const ev = new EvtxEvent(r, { input: ctx.input, file: ctx.file, record: r.id, offset: r.offset });
        const ch = ev.win.channel;
        if (ch !== channel) {
          flushRun();
          channel = ch;
          run = 0;
        }
        run++;
        onEvent(ev);
      },
      issue(code, message, offset) {
        ctx.issue(code, message, undefined, offset);
      },
    });
    flushRun();
    const named = [...channels.entries()].filter(([c]) => c !== '').sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const format = named.length === 0 ? FORMAT : `${FORMAT} (${named.slice(0, 3).map(([c]) => c).join(', ')}${named.length > 3 ? `, +${named.length - 3}` : ''})`;
    return { bytes: info.bytes, records: info.records + info.recovered, format };
  },
};
