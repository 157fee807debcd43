// One JSON object per line, for log pipelines and `jq`: a "report" header line (everything but the
// lists), then one line per coverage file, finding, error and skipped file, each with a "type".
import { jsonSafe } from '../sanitize.js';
import type { ReportWriter } from './types.js';

export const jsonlWriter: ReportWriter = {
  id: 'jsonl',
  description: 'one JSON object per line: a "report" header, then "coverage", "finding", "error" and "skipped" records',
  render(report) {
    const { findings, errors, skipped, coverage, ...rest } = report;
    const lines: string[] = [];
    const header = { type: 'report', ...rest, coverage: { first: coverage.first, last: coverage.last, sources: coverage.sources } };
    lines.push(JSON.stringify(header));
    for (const c of coverage.files) lines.push(JSON.stringify({ type: 'coverage', ...c }));
    for (const f of findings) lines.push(JSON.stringify({ type: 'finding', ...f }));
    for (const e of errors) lines.push(JSON.stringify({ type: 'error', ...e }));
    for (const s of skipped) lines.push(JSON.stringify({ type: 'skipped', ...s }));
    return `${jsonSafe(lines.join('\n'))}\n`;
  },
};
