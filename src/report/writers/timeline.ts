// The timeline for Timesketch (and any spreadsheet or jq): CSV with a header, or one JSON object per
// line. Cells are formula-escaped; JSON keeps every value as it was.
import { csvCell, jsonSafe } from '../sanitize.js';
import { TIMELINE_COLUMNS, buildTimeline } from '../timeline.js';
import type { ReportWriter } from './types.js';

export const timelineCsvWriter: ReportWriter = {
  id: 'timeline',
  description: 'attack timeline as Timesketch CSV (message, datetime, timestamp_desc, …)',
  render(report) {
    const rows = buildTimeline(report).map((e) => TIMELINE_COLUMNS.map((c) => csvCell(e[c])).join(','));
    return `${[TIMELINE_COLUMNS.join(','), ...rows].join('\r\n')}\r\n`;
  },
};

export const timelineJsonlWriter: ReportWriter = {
  id: 'timeline-jsonl',
  description: 'attack timeline as Timesketch JSONL, one event per line',
  render(report) {
    return buildTimeline(report).map((e) => `${jsonSafe(JSON.stringify(Object.fromEntries(TIMELINE_COLUMNS.map((c) => [c, e[c]]))))}\n`).join('');
  },
};
