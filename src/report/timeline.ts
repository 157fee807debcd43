// The attack timeline: every record that matters, in time order — each finding's evidence records,
// the attacker's other records (context), and file times (web shells, archives, the mitigation's
// configuration file). Shaped for Timesketch: `message`, `datetime` (ISO 8601 with offset),
// `timestamp_desc`, `timestamp` (microseconds), plus exhunt's own fields.
import type { Report } from '../core/types.js';
import { phaseIn } from './phase-of.js';

export interface TimelineEvent {
  message: string;
  datetime: string;
  timestamp: number;
  timestamp_desc: string;
  /** `finding`, `context` or `file`. */
  kind: 'finding' | 'context' | 'file';
  /** The kind of log (`iis`, `exchange-httpproxy`, `evtx`…) or `file`. */
  source: string;
  severity: string;
  rule: string;
  finding_id: string;
  intrusion: string;
  phase: string;
  client_ip: string;
  user_agent: string;
  file: string;
  line: number | '';
  record: number | '';
  /** The record itself (clipped). Attacker-controlled. */
  excerpt: string;
}

export const TIMELINE_COLUMNS: readonly (keyof TimelineEvent)[] = [
  'message', 'datetime', 'timestamp', 'timestamp_desc', 'kind', 'source', 'severity', 'rule', 'finding_id', 'intrusion', 'phase', 'client_ip', 'user_agent', 'file', 'line', 'record', 'excerpt',
];

const EXCERPT = 1000;

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** `2021-03-03T06:49:43.699Z` → `2021-03-03T06:49:43.699000+00:00` (Timesketch's form). */
export function timesketchTime(iso: string): { datetime: string; timestamp: number } | undefined {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return undefined;
  return { datetime: `${new Date(ms).toISOString().slice(0, 23)}000+00:00`, timestamp: ms * 1000 };
}

export function buildTimeline(report: Report): TimelineEvent[] {
  const sourceOf = new Map(report.coverage.files.map((f) => [`${f.input}\0${f.file}`, f.source as string]));
  const intrusionOf = new Map<string, string>();
  for (const x of report.intrusions ?? []) for (const id of x.findings) intrusionOf.set(id, x.id);
  const out: TimelineEvent[] = [];
  const blank = { severity: '', rule: '', finding_id: '', intrusion: '', phase: '', client_ip: '', user_agent: '', line: '' as const, record: '' as const, excerpt: '' };
  for (const f of report.findings) {
    const phase = phaseIn(report, f);
    const base = { ...blank, severity: f.severity, rule: f.rule, finding_id: f.id, intrusion: intrusionOf.get(f.id) ?? '', phase, client_ip: f.clientIp ?? '' };
    if (f.file) {
      const t = f.file.mtime ? timesketchTime(f.file.mtime) : undefined;
      if (t) out.push({ ...base, ...t, timestamp_desc: 'Content Modification Time', kind: 'file', source: 'file', message: clip(`[${f.severity}] ${f.title}`, 500), file: f.file.path });
      continue;
    }
    for (const e of f.evidence) {
      const t = e.time ? timesketchTime(e.time) : undefined;
      if (!t) continue;
      out.push({ ...base, ...t, timestamp_desc: 'Event Recorded', kind: 'finding', source: sourceOf.get(`${e.input}\0${e.file}`) ?? '', message: clip(`[${f.severity}] ${f.title}`, 500), file: e.file, line: e.line ?? '', record: e.record ?? '', excerpt: clip(e.excerpt, EXCERPT) });
    }
  }
  for (const c of report.context?.events ?? []) {
    const t = timesketchTime(c.time);
    if (!t) continue;
    out.push({
      ...blank, ...t, timestamp_desc: 'Event Recorded', kind: 'context', source: c.source, intrusion: c.intrusion ?? '', client_ip: c.ip ?? '', user_agent: c.userAgent ?? '',
      message: clip(`${c.ip ? `${c.ip} ` : ''}${c.summary} (attacker context: ${c.reason})`, 500), file: c.evidence.file, line: c.evidence.line ?? '', record: c.evidence.record ?? '', excerpt: clip(c.evidence.excerpt, EXCERPT),
    });
  }
  for (const m of report.exposure?.mitigations ?? []) {
    const t = m.since ? timesketchTime(m.since) : undefined;
    if (t) out.push({ ...blank, ...t, timestamp_desc: 'Content Modification Time', kind: 'file', source: 'file', message: clip(`Mitigation ${m.id} ${m.complete ? 'in place' : 'incomplete'}: ${m.title}`, 500), file: m.file });
  }
  return out.sort((a, b) => a.timestamp - b.timestamp || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || Number(a.line || 0) - Number(b.line || 0) || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
}
