// Sequential request latency over HTTP: warm-up requests first, then N timed ones, each read to the
// last byte of its body. Nearest-rank percentiles.
export const TARGET_MS = 200;

export interface Probe {
  name: string;
  /** The path of the next request (random organisations differ per request). */
  path(): string;
}

export interface LatencyRow {
  name: string;
  example: string;
  n: number;
  p50: number;
  p95: number;
  max: number;
  /** Answers other than 200. */
  errors: number;
  bytes: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export async function get(base: string, path: string, headers: Record<string, string>): Promise<{ status: number; bytes: number }> {
  const res = await fetch(base + path, { headers, redirect: 'manual' });
  const body = await res.arrayBuffer();
  return { status: res.status, bytes: body.byteLength };
}

export async function measure(base: string, headers: Record<string, string>, probe: Probe, n: number, warmup: number): Promise<LatencyRow> {
  for (let i = 0; i < warmup; i++) await get(base, probe.path(), headers);
  const times: number[] = [];
  let errors = 0;
  let bytes = 0;
  let example = '';
  for (let i = 0; i < n; i++) {
    const path = probe.path();
    example ||= path;
    const t = performance.now();
    const r = await get(base, path, headers);
    times.push(performance.now() - t);
    if (r.status !== 200) errors++;
    bytes += r.bytes;
  }
  times.sort((a, b) => a - b);
  return { name: probe.name, example, n, p50: percentile(times, 50), p95: percentile(times, 95), max: times.at(-1) ?? NaN, errors, bytes: Math.round(bytes / n) };
}

export function latencyTable(rows: readonly LatencyRow[]): string[] {
  const ms = (v: number): string => v.toFixed(1).padStart(8);
  const out = [`${'query'.padEnd(50)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'p95/200'.padStart(8)}  ${'bytes'.padStart(7)}  result`];
  for (const r of rows) {
    const verdict = r.errors > 0 ? `FAIL (${r.errors} non-200)` : r.p95 < TARGET_MS ? 'PASS' : 'FAIL';
    out.push(`${r.name.padEnd(50)} ${ms(r.p50)} ${ms(r.p95)} ${ms(r.max)} ${(r.p95 / TARGET_MS).toFixed(2).padStart(7)}×  ${String(r.bytes).padStart(7)}  ${verdict}`);
  }
  return out;
}
