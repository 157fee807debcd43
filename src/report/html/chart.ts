// The activity chart: what happened per hour (per day over long windows), stacked by kind — the
// intrusion's phases for findings, and the attacker's other requests (context) — drawn as SVG on the
// server, so it needs no script and no library. Colours are presentation attributes, not inline
// styles, which the report's Content-Security-Policy would refuse.
import type { Phase, Report } from '../../core/types.js';
import { PHASES, PHASE_LABELS } from '../../core/types.js';
import { phaseIn } from '../phase-of.js';
import { esc } from './escape.js';

export interface Series {
  id: string;
  label: string;
  colour: string;
}

const COLOURS: Record<Phase | 'context', string> = {
  scan: '#8a94a6', exploit: '#d62828', webshell: '#f77f00', commands: '#9d4edd', mailbox: '#1d6fd6',
  credentials: '#7b2d26', exfiltration: '#2a9d8f', cleanup: '#495057', context: '#c9ced6',
};

/** One series per phase, in the attack's order, then the attacker's other records. */
export const SERIES: readonly Series[] = [
  ...PHASES.map((p) => ({ id: p, label: PHASE_LABELS[p], colour: COLOURS[p] })),
  { id: 'context', label: 'Other attacker requests', colour: COLOURS.context },
];

const HOUR = 3600_000;
const WIDTH = 960;
const HEIGHT = 220;
const PAD = { left: 44, right: 10, top: 10, bottom: 34 };
const MAX_BINS = 240;

export interface ChartPoint {
  time: number;
  series: string;
}

/** Points: one per evidence record of a finding (by its phase) and per context record. */
export function chartPoints(report: Report): ChartPoint[] {
  const points: ChartPoint[] = [];
  for (const f of report.findings) {
    const series = phaseIn(report, f);
    const times = f.evidence.map((e) => e.time).filter((t): t is string => !!t);
    if (times.length === 0 && f.time) times.push(f.time);
    for (const t of times) points.push({ time: Date.parse(t), series });
  }
  for (const c of report.context?.events ?? []) points.push({ time: Date.parse(c.time), series: 'context' });
  return points.filter((p) => !Number.isNaN(p.time));
}

export function renderChart(points: readonly ChartPoint[]): string {
  if (points.length === 0) return '<p class="muted">No timed activity to chart.</p>';
  let min = Infinity;
  let max = -Infinity;
  for (const p of points) {
    min = Math.min(min, p.time);
    max = Math.max(max, p.time);
  }
  let bin = HOUR;
  while ((max - min) / bin > MAX_BINS) bin *= bin === HOUR ? 24 : 2;
  const start = Math.floor(min / bin) * bin;
  const bins = Math.floor((max - start) / bin) + 1;
  const counts = new Map<string, number>();
  for (const p of points) {
    const k = `${Math.floor((p.time - start) / bin)}\0${p.series}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const totals = new Array<number>(bins).fill(0);
  for (const [k, n] of counts) totals[Number(k.split('\0')[0])]! += n;
  const top = Math.max(...totals);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const barW = plotW / bins;
  const unit = bin === HOUR ? 'hour' : bin === 24 * HOUR ? 'day' : `${bin / (24 * HOUR)} days`;
  const parts: string[] = [];
  for (let i = 0; i < bins; i++) {
    let y = PAD.top + plotH;
    for (const s of SERIES) {
      const n = counts.get(`${i}\0${s.id}`);
      if (!n) continue;
      const h = Math.max(1, (n / top) * plotH);
      y -= h;
      const from = new Date(start + i * bin).toISOString().slice(0, 16).replace('T', ' ');
      parts.push(`<rect class="bar" data-series="${s.id}" x="${(PAD.left + i * barW + 0.5).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, barW - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${s.colour}"><title>${esc(`${from} UTC (${unit}): ${n} ${s.label.toLowerCase()}`)}</title></rect>`);
    }
  }
  // Axis: the count on the left, a few dates along the bottom.
  const axis: string[] = [
    `<line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${WIDTH - PAD.right}" y2="${PAD.top + plotH}" stroke="#666"/>`,
    `<text x="${PAD.left - 6}" y="${PAD.top + 8}" text-anchor="end" class="axis">${top}</text>`,
    `<text x="${PAD.left - 6}" y="${PAD.top + plotH}" text-anchor="end" class="axis">0</text>`,
  ];
  const ticks = Math.min(6, bins);
  for (let t = 0; t < ticks; t++) {
    const i = Math.round((t * (bins - 1)) / Math.max(1, ticks - 1));
    const label = new Date(start + i * bin).toISOString().slice(0, bin < 24 * HOUR ? 16 : 10).replace('T', ' ');
    // The outer labels are anchored inwards so that they are not cut at the edges.
    const anchor = ticks > 1 && t === 0 ? 'start' : ticks > 1 && t === ticks - 1 ? 'end' : 'middle';
    const x = anchor === 'start' ? PAD.left + i * barW : anchor === 'end' ? PAD.left + (i + 1) * barW : PAD.left + i * barW + barW / 2;
    axis.push(`<text x="${x.toFixed(1)}" y="${HEIGHT - 12}" text-anchor="${anchor}" class="axis">${esc(label)}</text>`);
  }
  const used = SERIES.filter((s) => [...counts.keys()].some((k) => k.endsWith(`\0${s.id}`)));
  const legend = used.map((s) => `<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="${s.colour}"/></svg> ${esc(s.label)}</li>`).join('');
  return `<svg id="activity-chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Records per ${unit} by kind">${axis.join('')}${parts.join('')}</svg>
<ul class="legend">${legend}</ul>
<p class="muted">Records per ${unit}, UTC: the evidence records of each finding (coloured by the step of the attack) and the attacker's other requests.</p>`;
}
