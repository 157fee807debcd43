// The load generator of `npm run bench:serve`, in its own process so that building requests does
// not run on the server's event loop: autocannon POSTs hunt reports to /api/v1/reports.
// `distinct`: every request carries its own generatedAt and verdict summary (a report's identity
// leaves the time out), so every upload is a new record (201);
// `same`: one report again and again (the idempotent 200 path).
// Usage: node upload-load.js '{"url","token","bodyFile","mode","connections","duration"}'; prints JSON.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

interface LoadConfig {
  /** The endpoint with its query (?server=…). */
  url: string;
  token: string;
  bodyFile: string;
  mode: 'distinct' | 'same';
  connections: number;
  duration: number;
  /** First generatedAt of the distinct bodies (ms); each request adds 1 ms and numbers its summary. */
  base: number;
}

export interface LoadResult {
  mode: LoadConfig['mode'];
  connections: number;
  durationS: number;
  responses: number;
  requestsPerS: number;
  latencyMs: { p50: number; p90: number; p97_5: number; p99: number; max: number; average: number };
  statusCodes: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Distinct report ids among the 201 answers (equals the 201 count unless an id was given twice). */
  createdIds: number;
  bodyBytes: number;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as LoadConfig;
const body = readFileSync(cfg.bodyFile, 'utf8');
/** Where the time's value starts and ends, and where the verdict's summary text starts. */
function splitPoints(text: string): [number, number, number] {
  const timeKey = text.indexOf('"generatedAt":"');
  const verdictKey = text.indexOf('"verdict":{');
  const summaryKey = verdictKey === -1 ? -1 : text.indexOf('"summary":"', verdictKey);
  if (timeKey === -1 || summaryKey === -1 || summaryKey < timeKey) throw new Error(`${cfg.bodyFile}: expected "generatedAt" and then "verdict": { "summary" } to vary`);
  const time = timeKey + '"generatedAt":"'.length;
  return [time, text.indexOf('"', time), summaryKey + '"summary":"'.length];
}
const [time, timeEnd, summary] = splitPoints(body);
const distinctBody = (n: number): string =>
  `${body.slice(0, time)}${new Date(cfg.base + n).toISOString()}${body.slice(timeEnd, summary)}(upload ${n}) ${body.slice(summary)}`;
let sent = 0;
const created = new Set<string>();
const { pathname, search } = new URL(cfg.url);

const result = await autocannon({
  url: cfg.url,
  connections: cfg.connections,
  duration: cfg.duration,
  timeout: 60,
  requests: [{
    method: 'POST',
    path: pathname + search,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${cfg.token}` },
    body,
    setupRequest: (req) => (cfg.mode === 'distinct' ? { ...req, body: distinctBody(sent++) } : req),
    onResponse: (status, text) => {
      if (status === 201) created.add((JSON.parse(text) as { id: string }).id);
    },
  }],
});

const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, Number(s.count)]));
const responses = Object.values(statusCodes).reduce((n, c) => n + c, 0);
const out: LoadResult = {
  mode: cfg.mode,
  connections: cfg.connections,
  durationS: result.duration,
  responses,
  requestsPerS: responses / result.duration,
  latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p97_5: result.latency.p97_5, p99: result.latency.p99, max: result.latency.max, average: result.latency.average },
  statusCodes,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  createdIds: created.size,
  bodyBytes: Buffer.byteLength(body),
};
process.stdout.write(`${JSON.stringify(out)}\n`);
