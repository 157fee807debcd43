// A JSON report written earlier by `exhunt hunt --format json`, read back to be rendered again
// (`exhunt report`, `exhunt timeline`, `exhunt export`). The file is checked for the shape every
// writer relies on; reports from before schema 1.5 get their intrusions computed from their findings
// (without the context records, which only a hunt over the logs can gather).
import { readFile, stat } from 'node:fs/promises';
import { InputError } from '../core/errors.js';
import type { Report } from '../core/types.js';
import { correlate } from '../correlate/intrusions.js';

const MAX_REPORT_BYTES = 1024 ** 3;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True when the text looks like an exhunt JSON report (cheap: its first bytes). */
export function looksLikeReport(head: string): boolean {
  return /^\s*\{\s*"schemaVersion"\s*:\s*"1\.\d+"/.test(head);
}

export async function readSavedReport(file: string): Promise<Report> {
  let text: string;
  try {
    const size = (await stat(file)).size;
    if (size > MAX_REPORT_BYTES) throw new InputError(`${file}: ${size} bytes is larger than a report can be (1 GiB)`);
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${file}: cannot read: ${err instanceof Error ? err.message : String(err)}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new InputError(`${file}: not a JSON report (${msg}); write one with exhunt hunt … --format json -o ${file}`);
  }
  if (!isObject(doc) || typeof doc['schemaVersion'] !== 'string') throw new InputError(`${file}: not an exhunt report (no schemaVersion); write one with exhunt hunt … --format json`);
  const major = Number(doc['schemaVersion'].split('.')[0]);
  if (major !== 1) throw new InputError(`${file}: report schema ${doc['schemaVersion'].slice(0, 20)} is not one this exhunt reads (1.x)`);
  for (const key of ['findings', 'inputs', 'errors', 'skipped'] as const) {
    if (!Array.isArray(doc[key])) throw new InputError(`${file}: not an exhunt report: "${key}" is missing or not a list`);
  }
  for (const key of ['verdict', 'coverage', 'stats', 'options', 'tool'] as const) {
    if (!isObject(doc[key])) throw new InputError(`${file}: not an exhunt report: "${key}" is missing`);
  }
  const report = doc as unknown as Report;
  (report.findings as unknown[]).forEach((f, i) => {
    if (!isObject(f) || typeof f['id'] !== 'string' || typeof f['title'] !== 'string' || !Array.isArray(f['evidence']) || !isObject(f['details'])) {
      throw new InputError(`${file}: finding ${i + 1} is malformed (id, title, evidence and details are required)`);
    }
  });
  if (!Array.isArray(report.coverage.files)) throw new InputError(`${file}: not an exhunt report: "coverage.files" is missing`);
  if (!report.intrusions) report.intrusions = correlate(report.findings, [], report.coverage).intrusions;
  return report;
}
