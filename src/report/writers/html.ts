// The HTML report: one self-contained file a non-expert can open from a USB stick — verdict first,
// then what to do, the story of each attack, a chart, the attacker addresses, the findings with
// their evidence, and the timeline. It loads nothing: its style and script are inline and allowed by
// hash in a Content-Security-Policy that forbids everything else (no remote loads, no inline event
// handlers, no injected script can run even if escaping ever failed).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { shippedDir } from '../../core/shipped.js';
import type { Report } from '../../core/types.js';
import { chartPoints, renderChart } from '../html/chart.js';
import { esc, when } from '../html/escape.js';
import { actionsSection, intrusionsSection, verdictSection } from '../html/sections.js';
import { attackersSection, coverageSection, findingsSection, timelineSection } from '../html/tables.js';
import type { ReportWriter } from './types.js';

let assets: { css: string; js: string } | undefined;

function loadAssets(): { css: string; js: string } {
  if (!assets) {
    const dir = shippedDir('report/html/assets', '.js');
    assets = { css: readFileSync(`${dir}/report.css`, 'utf8'), js: readFileSync(`${dir}/report.js`, 'utf8') };
  }
  return assets;
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

export function renderHtml(report: Report): string {
  const { css, js } = loadAssets();
  const csp = `default-src 'none'; script-src ${sha256(js)}; style-src ${sha256(css)}; img-src data:; base-uri 'none'; form-action 'none'`;
  const inputs = report.inputs.map((i) => i.path).join(', ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>exhunt report: ${esc(report.verdict.status)}</title>
<style>${css}</style>
</head>
<body>
<main>
<header class="top"><h1>Exchange compromise report</h1><span class="muted">${esc(inputs)} · ${esc(when(report.generatedAt))}</span></header>
${verdictSection(report)}
${actionsSection(report)}
${intrusionsSection(report)}
<section id="activity"><h2>Activity over time</h2>${renderChart(chartPoints(report))}</section>
${attackersSection(report)}
${findingsSection(report)}
${timelineSection(report)}
${coverageSection(report)}
<footer>Written by exhunt ${esc(report.tool.version)} (report schema ${esc(report.schemaVersion)}) on ${esc(when(report.generatedAt))}. Everything quoted from the evidence is shown as text. The same report as JSON: <code>exhunt hunt … --format json</code>; render it again with <code>exhunt report report.json --format html</code>.</footer>
</main>
<script>${js}</script>
</body>
</html>
`;
}

export const htmlWriter: ReportWriter = {
  id: 'html',
  description: 'self-contained HTML report for people: verdict, what to do, the attack story, chart, evidence',
  render: (report) => renderHtml(report),
};
