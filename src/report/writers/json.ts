// The full report as one JSON document (schema: docs/report-schema.md).
import type { ReportWriter } from './types.js';

export const jsonWriter: ReportWriter = {
  id: 'json',
  description: 'the whole report as one JSON document (docs/report-schema.md)',
  render: (report) => `${JSON.stringify(report, null, 2)}\n`,
};
