// One EVTX benchmark run in a fresh process (so its peak RSS is its own); prints JSON on stdout.
//   evtx-child parse FILE  parse every record and read its System facts (the hunt's path: the
//                          event is rendered only when a detector asks for its data)
//   evtx-child json FILE   parse, render every record as evtx_dump's JSON object
//   evtx-child xml FILE    parse, render every record as XML text
//   evtx-child hunt FILE   the whole hunt (parser, Windows detectors, report)
import { readEvtx } from '../src/parsers/evtx/reader.js';
import { hunt } from '../src/pipeline/hunt.js';
import { fileByteSource } from '../src/sources/bytes.js';

const [mode, file] = process.argv.slice(2);
if (!file || (mode !== 'parse' && mode !== 'json' && mode !== 'xml' && mode !== 'hunt')) {
  process.stderr.write('usage: evtx-child parse|json|xml|hunt FILE\n');
  process.exit(2);
}
const started = performance.now();
let records = 0;
let bytes = 0;
if (mode === 'hunt') {
  const report = await hunt({ paths: [file], minSeverity: 'info', threads: 1 });
  records = report.coverage.files.reduce((n, f) => n + f.events, 0);
  bytes = report.stats.bytes;
} else {
  const src = await fileByteSource(file);
  let chars = 0;
  const info = await readEvtx(src, {
    record(r) {
      records++;
      // Use the result so it cannot be optimised away.
      if (mode === 'xml') chars += r.xml.length;
      else if (mode === 'json') chars += r.event['Event'] ? 1 : 0;
      else chars += r.system.eventId >= 0 ? 1 : 0;
    },
    issue() {},
  });
  await src.close();
  bytes = info.bytes;
  if (chars === 0) throw new Error('nothing rendered');
}
process.stdout.write(`${JSON.stringify({ wallMs: performance.now() - started, maxRssKb: process.resourceUsage().maxRSS, records, bytes })}\n`);
