// A STIX 2.1 bundle of what was observed (src/report/stix.ts), for sharing with a CERT.
import { jsonSafe } from '../sanitize.js';
import { reportToStix } from '../stix.js';
import type { ReportWriter } from './types.js';

export const stixWriter: ReportWriter = {
  id: 'stix',
  description: 'STIX 2.1 bundle: attacker addresses, planted files and user agents as observed-data, indicators and sightings',
  render: (report) => `${jsonSafe(JSON.stringify(reportToStix(report), null, 2))}\n`,
};
