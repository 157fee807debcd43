// The full report as one JSON document (schema: docs/report-schema.md).
import { jsonSafe } from '../sanitize.js';
import type { ReportWriter } from './types.js';

export const jsonWriter: ReportWriter = {
  id: 'json',
  description: 'the whole report as one JSON document (docs/report-schema.md)',
  render: (report) => `${jsonSafe(JSON.stringify(report, null, 2))}\n`,
};
