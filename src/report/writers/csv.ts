// Findings as CSV for spreadsheets: one row per evidence record (finding columns repeated), so the
// sheet can be filtered by file, IP or time. Cells that would start a formula are defused.
import { csvCell } from '../sanitize.js';
import type { ReportWriter } from './types.js';

const COLUMNS = [
  'finding_id', 'severity', 'stage', 'rule', 'title', 'first_seen', 'last_seen', 'count', 'client_ip', 'cves', 'attack',
  'summary', 'evidence_input', 'evidence_file', 'evidence_line', 'evidence_record', 'evidence_time', 'evidence_excerpt',
  'file_sha256', 'file_size', 'file_yara_rules',
];

export const csvWriter: ReportWriter = {
  id: 'csv',
  description: 'one row per evidence record of each finding',
  render(report) {
    const rows: string[] = [COLUMNS.join(',')];
    for (const f of report.findings) {
      const head = [f.id, f.severity, f.stage, f.rule, f.title, f.time, f.lastSeen, f.count, f.clientIp, f.cves.join(' '), f.attack.join(' '), f.summary];
      const evidence = f.evidence.length > 0 ? f.evidence : [undefined];
      for (const e of evidence) {
        const cells = [...head, e?.input, e?.file, e?.line, e?.record, e?.time, e?.excerpt, f.file?.sha256, f.file?.size, f.file?.matches.map((m) => m.rule).join(' ')];
        rows.push(cells.map((c) => csvCell(c)).join(','));
      }
    }
    return `${rows.join('\r\n')}\r\n`;
  },
};
