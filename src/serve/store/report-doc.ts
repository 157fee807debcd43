// A stored hunt report read back for the report writers (the dashboard's report page and the
// notification attachments): the upload schema checks only what the service stores, the writers
// rely on the whole shape. Reports older than schema 1.5 get their intrusions from their findings,
// as `exhunt report` gives them.
import type { Report } from '../../core/types.js';
import { correlate } from '../../correlate/intrusions.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The stored JSON as a Report the writers can rely on, or why not. The upload schema checks only
 * what the service stores; the writers need the whole shape (the checks of `exhunt report`).
 */
export function asReport(body: string): Report | string {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return 'the stored document is not JSON';
  }
  if (!isObject(doc)) return 'the stored document is not a report';
  for (const key of ['findings', 'inputs', 'errors', 'skipped'] as const) if (!Array.isArray(doc[key])) return `"${key}" is missing or not a list`;
  for (const key of ['verdict', 'coverage', 'stats', 'options', 'tool'] as const) if (!isObject(doc[key])) return `"${key}" is missing`;
  const report = doc as unknown as Report;
  const bad = (report.findings as unknown[]).findIndex((f) => !isObject(f) || typeof f['id'] !== 'string' || typeof f['title'] !== 'string' || !Array.isArray(f['evidence']) || !isObject(f['details']));
  if (bad >= 0) return `finding ${bad + 1} is malformed (id, title, evidence and details are required)`;
  if (!Array.isArray(report.coverage.files)) return '"coverage.files" is missing';
  if (!report.intrusions) {
    try {
      report.intrusions = correlate(report.findings, [], report.coverage).intrusions;
    } catch (err) {
      // The shape checks above are not the whole type: a field of the wrong kind deeper down fails here.
      return `the attacks could not be pieced together from the findings (${err instanceof Error ? err.message.slice(0, 200) : 'malformed'})`;
    }
  }
  return report;
}
