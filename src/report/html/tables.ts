// The evidence half of the HTML report: the attacker addresses, every finding with its meaning,
// remediation and evidence lines, the timeline, and what was read. Tables are sortable and
// filterable by the report's script; without it they are still complete.
import type { Finding, Report } from '../../core/types.js';
import { findingIps, severityRank, stageRank } from '../../core/types.js';
import { phaseIn } from '../phase-of.js';
import { buildTimeline } from '../timeline.js';
import { esc, token, when } from './escape.js';
import { findingLink } from './sections.js';

/** Timeline rows kept in the page; the full timeline is `exhunt timeline` / `--format timeline`. */
export const TIMELINE_ROWS = 5000;
/** Finding cards with their evidence (the most severe first); every finding stays in the table. */
export const FINDING_CARDS = 500;
/** Evidence lines per card: more for what succeeded than for probes. */
const EVIDENCE_SHOWN = { attack: 20, probe: 5 };
/** Characters of an evidence record or timeline message shown; the JSON report keeps 2,000. */
const EXCERPT_SHOWN = 600;

function clipText(s: string, n = EXCERPT_SHOWN): string {
  return s.length > n ? `${s.slice(0, n)}… [${s.length - n} more characters in the JSON report]` : s;
}

interface Column {
  key: string;
  label: string;
  numeric?: boolean;
}

function table(id: string, columns: Column[], rows: string[], extraControls = ''): string {
  const head = columns.map((c) => `<th data-sort-key="${esc(c.key)}"${c.numeric ? ' data-sort-type="number"' : ''}><button type="button">${esc(c.label)}</button></th>`).join('');
  return `<div class="controls"><input type="search" class="filter" data-table="${id}" placeholder="Filter: address, path, text…" aria-label="Filter rows">${extraControls}<span class="filter-count muted" data-table="${id}">${rows.length} of ${rows.length} rows</span></div>
<div class="scroll"><table id="${id}"><thead><tr>${head}</tr></thead><tbody>${rows.join('\n')}</tbody></table></div>`;
}

export function attackersSection(report: Report): string {
  interface Row { ip: string; first?: string; last?: string; findings: number; stage: Finding['stage']; severity: Finding['severity']; context: number; intrusion: string; agents: Set<string> }
  const rows = new Map<string, Row>();
  const intrusionNo = new Map<string, string>();
  (report.intrusions ?? []).forEach((x, i) => x.ips.forEach((ip) => intrusionNo.set(ip, String(i + 1))));
  const see = (r: Row, t?: string, end?: string) => {
    if (t && (!r.first || t < r.first)) r.first = t;
    const e = end ?? t;
    if (e && (!r.last || e > r.last)) r.last = e;
  };
  for (const f of report.findings) {
    for (const ip of findingIps(f)) {
      const r = rows.get(ip) ?? { ip, findings: 0, stage: f.stage, severity: f.severity, context: 0, intrusion: intrusionNo.get(ip) ?? '', agents: new Set<string>() };
      r.findings++;
      if (stageRank(f.stage) > stageRank(r.stage)) r.stage = f.stage;
      if (severityRank(f.severity) > severityRank(r.severity)) r.severity = f.severity;
      if (f.clientIp === ip) for (const ua of f.details['userAgent'] ?? []) if (!ua.startsWith('…') && r.agents.size < 5) r.agents.add(ua);
      see(r, f.time, f.lastSeen);
      rows.set(ip, r);
    }
  }
  for (const c of report.context?.events ?? []) {
    const r = c.ip ? rows.get(c.ip) : undefined;
    if (!r) continue;
    r.context++;
    see(r, c.time);
    if (c.userAgent && r.agents.size < 5) r.agents.add(c.userAgent);
  }
  const sorted = [...rows.values()].sort((a, b) => stageRank(b.stage) - stageRank(a.stage) || ((a.first ?? '~') < (b.first ?? '~') ? -1 : 1));
  if (sorted.length === 0) return '<section id="attackers"><h2>Attacker addresses</h2><p>No client address is tied to a finding.</p></section>';
  const body = sorted.map((r) => `<tr data-stage="${token(r.stage)}"><td class="mono">${esc(r.ip)}</td><td data-sort-value="${esc(stageRank(r.stage))}">${esc(r.stage)}</td><td data-sort-value="${esc(severityRank(r.severity))}"><span class="sev sev-${token(r.severity)}">${esc(r.severity)}</span></td><td data-sort-value="${esc(r.first ?? '')}">${esc(when(r.first))}</td><td data-sort-value="${esc(r.last ?? '')}">${esc(when(r.last))}</td><td>${r.findings}</td><td>${r.context}</td><td>${esc(r.intrusion)}</td><td class="wrap">${[...r.agents].map((a) => esc(a)).join('<br>')}</td></tr>`);
  const cols: Column[] = [
    { key: 'ip', label: 'Address' }, { key: 'stage', label: 'Worst stage', numeric: true }, { key: 'severity', label: 'Severity', numeric: true }, { key: 'first', label: 'First seen' }, { key: 'last', label: 'Last seen' },
    { key: 'findings', label: 'Findings', numeric: true }, { key: 'context', label: 'Other records', numeric: true }, { key: 'intrusion', label: 'Attack' }, { key: 'agents', label: 'User agents' },
  ];
  return `<section id="attackers"><h2>Attacker addresses</h2>
<p class="muted">Every client address a finding names. "Other records" are its requests no rule flagged, gathered for the timeline. Addresses change hands: check what they did before blocking ranges.</p>
${table('attackers-table', cols, body)}</section>`;
}

function findingCard(report: Report, f: Finding): string {
  const facts: string[] = [
    `<dt>When</dt><dd>${esc(when(f.time))}${f.lastSeen && f.lastSeen !== f.time ? ` → ${esc(when(f.lastSeen))}` : ''}</dd>`,
    `<dt>Records</dt><dd>${esc(f.count)}</dd>`,
    `<dt>Rule</dt><dd><code>${esc(f.rule)}</code>${f.ruleFile ? ` (${esc(f.ruleFile)})` : ''}</dd>`,
  ];
  if (f.clientIp) facts.push(`<dt>Address</dt><dd class="mono">${esc(f.clientIp)}</dd>`);
  if (f.cves.length > 0) facts.push(`<dt>CVE</dt><dd>${esc(f.cves.join(', '))}</dd>`);
  if (f.attack.length > 0) facts.push(`<dt>ATT&amp;CK</dt><dd>${esc(f.attack.join(', '))}</dd>`);
  if (f.file) {
    facts.push(`<dt>File</dt><dd><code>${esc(f.file.path)}</code>, ${esc(f.file.size)} bytes${f.file.mtime ? `, modified ${esc(when(f.file.mtime))}` : ''}</dd>`);
    if (f.file.sha256) facts.push(`<dt>SHA-256</dt><dd class="mono">${esc(f.file.sha256)}</dd>`);
    if (f.file.matches.length > 0) facts.push(`<dt>YARA</dt><dd>${esc(f.file.matches.map((m) => `${m.rule} (${m.source})`).join(', '))}</dd>`);
  }
  const details = Object.entries(f.details).map(([k, vs]) => `<dt>${esc(k)}</dt><dd>${vs.map((v) => `<code>${esc(v)}</code>`).join('<br>')}</dd>`);
  const shown = f.stage === 'attempt' || f.stage === 'compromise' ? EVIDENCE_SHOWN.attack : EVIDENCE_SHOWN.probe;
  const evidence = f.evidence.slice(0, shown).map((e) => {
    const where = `${e.file}${e.line !== undefined ? `:${e.line}` : e.record !== undefined ? ` record ${e.record}` : `@${e.offset}`}`;
    return `<li><span class="muted">${esc(when(e.time))} · ${esc(where)}${e.recovered ? ' · recovered' : ''}</span><pre>${esc(clipText(e.excerpt))}</pre></li>`;
  });
  const more = f.count > evidence.length ? `<p class="muted">${esc(f.count - evidence.length)} more records: see the JSON report or <code>exhunt timeline</code>.</p>` : '';
  return `<details class="finding" id="${esc(f.id)}" data-severity="${token(f.severity)}">
<summary><span class="sev sev-${token(f.severity)}">${esc(f.severity)}</span> ${esc(f.title)}</summary>
<p>${esc(f.summary)}</p>
<h4>What it means</h4><p>${esc(f.explanation)}</p>
${f.remediation.length > 0 ? `<h4>What to do</h4><ol>${f.remediation.map((r) => `<li>${esc(r)}</li>`).join('')}</ol>` : ''}
<dl class="facts">${facts.join('')}${details.join('')}</dl>
<h4>Evidence</h4><ul class="plain">${evidence.join('')}</ul>${more}
<p class="muted">Step: ${esc(phaseIn(report, f))}</p>
</details>`;
}

export function findingsSection(report: Report): string {
  const cols: Column[] = [
    { key: 'severity', label: 'Severity', numeric: true }, { key: 'time', label: 'First seen' }, { key: 'title', label: 'Finding' }, { key: 'ip', label: 'Address' }, { key: 'count', label: 'Records', numeric: true }, { key: 'rule', label: 'Rule' },
  ];
  const carded = new Set(report.findings.slice(0, FINDING_CARDS).map((f) => f.id));
  const rows = report.findings.map((f) => `<tr data-severity="${token(f.severity)}"><td data-sort-value="${severityRank(f.severity)}"><span class="sev sev-${token(f.severity)}">${esc(f.severity)}</span></td><td data-sort-value="${esc(f.time ?? '')}">${esc(when(f.time))}</td><td>${carded.has(f.id) ? findingLink(f) : esc(f.title)}</td><td class="mono">${esc(findingIps(f).join(', '))}</td><td>${esc(f.count)}</td><td><code>${esc(f.rule)}</code></td></tr>`);
  const select = `<label>At least <select class="severity-filter" data-table="findings-table">${['all', 'critical', 'high', 'medium', 'low', 'info'].map((s) => `<option value="${s}">${s}</option>`).join('')}</select></label>`;
  const below = report.stats.belowThreshold > 0 ? `<p class="muted">${esc(report.stats.belowThreshold)} findings below ${esc(report.options.minSeverity)} are not listed.</p>` : '';
  const cards = report.findings.slice(0, FINDING_CARDS);
  const uncarded = report.findings.length > cards.length ? `<p class="muted">Details of the ${cards.length} most severe findings are shown; the other ${report.findings.length - cards.length} are in the table above and in the JSON report.</p>` : '';
  return `<section id="findings"><h2>Findings (${report.findings.length})</h2>
<p class="muted">Each finding explains what it means and what to do; open it for the evidence lines (file and line number in the collection).</p>
${report.findings.length > 0 ? table('findings-table', cols, rows, select) : '<p>No findings.</p>'}
${below}
<div class="cards">${cards.map((f) => findingCard(report, f)).join('\n')}</div>${uncarded}
</section>`;
}

export function timelineSection(report: Report): string {
  const all = buildTimeline(report);
  const events = all.slice(0, TIMELINE_ROWS);
  const cols: Column[] = [{ key: 'time', label: 'Time (UTC)' }, { key: 'kind', label: 'Kind' }, { key: 'address', label: 'Address' }, { key: 'what', label: 'What' }, { key: 'where', label: 'Where' }];
  const rows = events.map((e) => `<tr data-kind="${token(e.kind)}"><td data-sort-value="${esc(e.datetime)}">${esc(when(new Date(e.timestamp / 1000).toISOString()))}</td><td>${esc(e.kind === 'context' ? 'other record' : e.kind)}${e.severity ? ` <span class="sev sev-${token(e.severity)}">${esc(e.severity)}</span>` : ''}</td><td class="mono">${esc(e.client_ip)}</td><td class="wrap">${esc(clipText(e.message, 300))}</td><td class="wrap muted">${esc(e.file)}${e.line !== '' ? `:${esc(e.line)}` : e.record !== '' ? ` record ${esc(e.record)}` : ''}</td></tr>`);
  const cut = all.length > events.length ? `<p class="muted">The first ${events.length} of ${all.length} events; <code>exhunt timeline</code> writes them all.</p>` : '';
  const ctx = report.context && report.context.total > report.context.events.length ? `<p class="muted">${esc(report.context.total)} records of the attacker addresses were found; ${report.context.events.length} are kept.</p>` : '';
  return `<section id="timeline"><h2>Timeline</h2>
<p class="muted">Every evidence record of the findings, the attacker's other records ("other record") and file modification times, in time order.</p>
${table('timeline-table', cols, rows)}${cut}${ctx}</section>`;
}

export function coverageSection(report: Report): string {
  const sources = report.coverage.sources.map((s) => `<tr><td>${esc(s.source)}</td><td>${esc(s.files)}</td><td>${esc(s.events)}</td><td>${esc(when(s.first))}</td><td>${esc(when(s.last))}</td><td>${esc(s.parseErrors)}</td></tr>`);
  const exposure = report.exposure;
  const cves = exposure ? exposure.cves.map((c) => `<tr><td>${esc(c.id)}</td><td>${esc(c.name)}</td><td>${esc(c.fixedIn)}</td><td>${esc(c.kb)}</td><td>${esc(c.mitigatedBy ?? '')}</td></tr>`) : [];
  const errors = report.errors.slice(0, 200).map((e) => `<li><code>${esc(e.file)}${e.line !== undefined ? `:${esc(e.line)}` : e.offset !== undefined ? `@${esc(e.offset)}` : ''}</code> ${esc(e.code)}: ${esc(e.message)}</li>`);
  return `<section id="coverage"><h2>What was read</h2>
<p>${esc(report.verdict.coverage)}</p>
<table><thead><tr><th>Log</th><th>Files</th><th>Records</th><th>First</th><th>Last</th><th>Parse errors</th></tr></thead><tbody>${sources.join('')}</tbody></table>
${report.stats.sweep ? `<p class="muted">Files swept: ${esc(report.stats.sweep.files)} (${esc(report.stats.sweep.yaraEngine)}, ${esc(report.stats.sweep.yaraRules)} YARA rules).</p>` : ''}
${exposure ? `<h3>Exposure</h3><p>${esc(exposure.summary)}</p>${cves.length > 0 ? `<table><thead><tr><th>CVE</th><th>Name</th><th>Fixed in</th><th>KB</th><th>Mitigated by</th></tr></thead><tbody>${cves.join('')}</tbody></table>` : ''}` : ''}
${errors.length > 0 ? `<details><summary>Problems reading the input (${report.errors.length})</summary><ul class="plain">${errors.join('')}</ul></details>` : ''}
${report.skipped.length > 0 ? `<p class="muted">${report.skipped.length} files were not analysed (see the JSON report's <code>skipped</code>).</p>` : ''}
</section>`;
}
