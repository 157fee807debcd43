// The human report: verdict first, then findings grouped by severity with their evidence lines and
// the attacker IPs, then what to do. Short by default; every string from evidence goes through
// terminalSafe, so a hostile user agent cannot move the cursor or recolour the screen.
import type { Finding, Report, Severity } from '../../core/types.js';
import { SEVERITIES } from '../../core/types.js';
import { sourceName } from '../../core/source-names.js';
import { type Style, paint } from '../paint.js';
import { terminalSafe } from '../sanitize.js';
import type { RenderOptions, ReportWriter } from './types.js';

const SEVERITY_STYLE: Record<Severity, Style[]> = {
  critical: ['red', 'bold'],
  high: ['magenta', 'bold'],
  medium: ['yellow'],
  low: ['cyan'],
  info: ['dim'],
};

const VERDICT_STYLE: Record<string, Style[]> = {
  COMPROMISED: ['red', 'bold', 'inverse'],
  'EXPLOITATION ATTEMPTED': ['yellow', 'bold', 'inverse'],
  'SCANNED ONLY': ['cyan', 'bold'],
  'NOTHING FOUND': ['green', 'bold'],
};

const EVIDENCE_SHOWN = 3;

function fit(s: string, width: number): string {
  const safe = terminalSafe(s);
  return safe.length > width ? `${safe.slice(0, Math.max(10, width - 1))}…` : safe;
}

/** `file:line`, shortened from the left so the line number always shows. */
function location(file: string, suffix: string, width: number): string {
  const safe = terminalSafe(file);
  const room = width - suffix.length;
  return (safe.length > room ? `…${safe.slice(safe.length - room + 1)}` : safe) + suffix;
}

function minute(iso: string | undefined): string {
  return iso ? iso.slice(0, 16).replace('T', ' ') : '?';
}

function when(iso: string | undefined): string {
  return iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : 'time unknown';
}

function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

function wrap(text: string, width: number, indent: string, firstIndent = indent): string[] {
  const words = terminalSafe(text).split(/\s+/);
  const out: string[] = [];
  let line = '';
  const lead = () => (out.length === 0 ? firstIndent : indent);
  for (const w of words) {
    if (line && line.length + 1 + w.length > width - lead().length) {
      out.push(lead() + line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(lead() + line);
  return out;
}

function renderFinding(f: Finding, n: number, o: RenderOptions): string[] {
  const w = o.width;
  const lines: string[] = [];
  lines.push(`  ${paint(o.color, ['bold'], `[${n}]`)} ${fit(f.title, w - 8)}`);
  const meta = [when(f.time)];
  const ips = f.details['clientIp'] ?? (f.clientIp ? [f.clientIp] : []);
  if (ips.length > 0) meta.push(ips.length === 1 ? ips[0]! : `${ips.length} IPs: ${ips.slice(0, 4).join(', ')}${ips.length > 4 ? ', …' : ''}`);
  meta.push(`${f.count} record${f.count === 1 ? '' : 's'}`);
  if (f.cves.length > 0) meta.push(f.cves.join(' '));
  meta.push(f.rule);
  lines.push(paint(o.color, ['dim'], fit(`      ${meta.join(' · ')}`, w)));
  if (f.ruleFile) lines.push(paint(o.color, ['dim'], `      ${location(f.ruleFile, '', w - 6)}`));
  lines.push(...wrap(f.summary, w, '      '));
  const shown = o.verbose ? f.evidence : f.evidence.slice(0, EVIDENCE_SHOWN);
  for (const e of shown) {
    lines.push(`      ${paint(o.color, ['cyan'], location(e.file, e.line !== undefined ? `:${e.line}` : e.record !== undefined ? ` record ${e.record}` : `@${e.offset}`, w - 6))}`);
    lines.push(paint(o.color, ['dim'], `        ${fit(e.excerpt, w - 8)}`));
  }
  const more = f.count - shown.length;
  if (more > 0) {
    const kept = f.evidence.length > shown.length ? `; ${f.evidence.length} are listed with --verbose or --format json` : '';
    lines.push(paint(o.color, ['dim'], `      … ${more} more record${more === 1 ? '' : 's'}${kept}`));
  }
  return lines;
}

/** Was the server open: the build its logs show, its open CVEs, mitigations found. */
function exposureLines(report: Report, w: number): string[] {
  const e = report.exposure!;
  const out = ['', ...wrap(`Exposure: ${e.summary}`, w, '')];
  if (e.builds.length > 1) out.push(...wrap(`Builds in the logs: ${e.builds.map((b) => `${b.build} (${minute(b.firstSeen ?? undefined)} → ${minute(b.lastSeen ?? undefined)})`).join(', ')}`, w, '  '));
  const open = e.cves.filter((c) => c.condition === undefined);
  if (open.length > 0 && e.mitigations.length > 0) out.push(...wrap(`Open: ${open.map((c) => `${c.id}${c.mitigatedBy ? ` (mitigated: ${c.mitigatedBy})` : ''}`).join(', ')}`, w, '  '));
  for (const m of e.mitigations) {
    out.push(...wrap(`${m.complete ? 'Mitigation in place' : 'Mitigation incomplete'}: ${m.title} in ${m.file}${m.since ? ` (file time ${minute(m.since)} UTC)` : ''}${m.problems.length > 0 ? ` — ${m.problems.join('; ')}` : ''}`, w, '  '));
  }
  return out.map(terminalSafe);
}

/** Each attack in a few lines: when, from where, how in, which steps. */
function intrusionLines(report: Report, o: RenderOptions, w: number): string[] {
  const out: string[] = [];
  for (const x of report.intrusions ?? []) {
    out.push('');
    out.push(paint(o.color, ['bold'], fit(terminalSafe(`ATTACK ${x.title}`), w)));
    out.push(`  ${when(x.firstSeen)} → ${when(x.lastSeen)}`);
    if (x.entry) out.push(...wrap(terminalSafe(`Way in: ${x.entry}`), w, '    ', '  '));
    out.push(...wrap(`Steps: ${x.steps.map((s) => s.phase).join(' → ')}`, w, '    ', '  '));
    if (x.webShells.length > 0) out.push(...wrap(terminalSafe(`Web shells: ${x.webShells.join(', ')}`), w, '    ', '  '));
    const context = (report.context?.events ?? []).filter((c) => c.intrusion === x.id).length;
    if (context > 0) out.push(`  ${context} other record${context === 1 ? '' : 's'} of these addresses (--format timeline lists them)`);
  }
  return out;
}

function render(report: Report, o: RenderOptions): string {
  const w = Math.max(60, o.width);
  const out: string[] = [];
  const v = report.verdict;
  const inputs = report.inputs.map((i) => i.path).join(', ');
  out.push(
    paint(o.color, ['dim'], fit(`exhunt ${report.tool.version} · ${inputs} · ${report.stats.files} files, ${bytesText(report.stats.bytes)} in ${(report.stats.durationMs / 1000).toFixed(1)} s`, w)),
  );
  out.push('');
  out.push(paint(o.color, VERDICT_STYLE[v.status] ?? ['bold'], ` ${v.status} `));
  out.push(...wrap(v.summary, w, ''));
  if (v.firstActivity) out.push(`Attack window: ${when(v.firstActivity)} → ${when(v.lastActivity)}`);
  if (v.attackerIps.length > 0) out.push(...wrap(`${v.status === 'SCANNED ONLY' ? 'Scanner' : 'Attacker'} IPs: ${v.attackerIps.join(', ')}`, w, ''));
  const sw = report.stats.sweep;
  if (report.coverage.sources.length === 0 && !(sw && report.inputs.length > 0 && report.coverage.files.length === 0 && v.gaps.length === 0)) out.push('Logs read: none recognised.');
  const nameWidth = Math.max(0, ...report.coverage.sources.map((s) => sourceName(s.source).length)) + 2;
  report.coverage.sources.forEach((s, i) => {
    const span = `${minute(s.first)} → ${minute(s.last)} UTC`;
    out.push(`${i === 0 ? 'Logs read:' : ''}`.padEnd(11) + `${sourceName(s.source).padEnd(nameWidth)}${span}  ${s.files} file${s.files === 1 ? '' : 's'}, ${s.events} records`);
  });
  if (sw) {
    const n = (k: number, unit: string) => `${k} ${unit}${k === 1 ? '' : 's'}`;
    const yara = sw.yaraRules > 0 ? `YARA: ${n(sw.yaraRules, 'rule')} on ${n(sw.yaraFiles, 'file')}${sw.yaraEngine.includes('WebAssembly') ? ', portable engine: pages, scripts and programs only' : ''}` : `YARA: ${sw.yaraEngine.startsWith('unavailable') ? 'not available on this platform' : 'no rules'}`;
    out.push(...wrap(`Files swept: ${n(sw.files, 'file')}, ${bytesText(sw.bytes)} (hashes, heuristics; ${yara})`, w, ''));
  }
  for (const g of v.gaps) out.push(...wrap(g, w, '').map((l) => paint(o.color, ['yellow'], l)));
  if (report.exposure) out.push(...exposureLines(report, w));
  out.push(...intrusionLines(report, o, w));

  for (const sev of [...SEVERITIES].reverse()) {
    const group = report.findings.filter((f) => f.severity === sev);
    if (group.length === 0) continue;
    out.push('');
    out.push(paint(o.color, SEVERITY_STYLE[sev], `${sev.toUpperCase()} (${group.length})`));
    let n = report.findings.indexOf(group[0]!) + 1;
    for (const f of group) out.push(...renderFinding(f, n++, o));
  }
  if (report.findings.length === 0) {
    out.push('');
    out.push(report.stats.belowThreshold > 0 ? `No findings at or above "${report.options.minSeverity}".` : 'No findings.');
  }
  if (report.stats.belowThreshold > 0) {
    out.push(paint(o.color, ['dim'], `${report.stats.belowThreshold} finding(s) below --min-severity ${report.options.minSeverity} not shown.`));
  }

  if (v.nextSteps.length > 0) {
    out.push('');
    out.push(paint(o.color, ['bold'], 'WHAT TO DO NOW'));
    v.nextSteps.forEach((s, i) => out.push(...wrap(s, w, '      ', `  ${i + 1}. `.padEnd(6))));
  }

  if (report.errors.length > 0) {
    out.push('');
    out.push(paint(o.color, ['yellow'], `PROBLEMS READING THE INPUT (${report.errors.length})`));
    const shown = o.verbose ? report.errors : report.errors.slice(0, 10);
    for (const e of shown) {
      const where = `${e.file}${e.line !== undefined ? `:${e.line}` : e.offset !== undefined ? `@${e.offset}` : ''}`;
      out.push(`  ${fit(`${where}: ${e.message}`, w - 2)}`);
    }
    if (shown.length < report.errors.length) out.push(paint(o.color, ['dim'], `  … ${report.errors.length - shown.length} more (--verbose or --format json)`));
  }
  if (report.skipped.length > 0) {
    const reasons = new Map<string, number>();
    for (const s of report.skipped) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
    const parts = [...reasons.entries()].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${n} × ${r}`);
    out.push('');
    out.push(...wrap(`Not analysed: ${parts.join('; ')} (--format json lists them).`, w, '').map((l) => paint(o.color, ['dim'], l)));
  }
  return `${out.join('\n')}\n`;
}

export const consoleWriter: ReportWriter = {
  id: 'console',
  description: 'human-readable summary: verdict, findings by severity with evidence, next steps',
  render,
};
