// Charts drawn as SVG on the server (no script, no library), in the style of the HTML report's
// activity chart: colours are presentation attributes, never inline styles, which the
// Content-Security-Policy would refuse; every label from the data goes through esc().
import { esc } from './html.js';

export interface DayCount {
  day: string;
  cve: string;
  servers: number;
}

const PALETTE = ['#d62828', '#1d6fd6', '#f77f00', '#2a9d8f', '#9d4edd', '#7b2d26', '#495057', '#b08800', '#e76f51', '#264653', '#8ab17d', '#c9184a'];
/** More lines than this are unreadable; the rest stay in the table below the chart. */
export const MAX_SERIES = PALETTE.length;
const WIDTH = 960;
const HEIGHT = 280;
const PAD = { left: 48, right: 12, top: 12, bottom: 34 };
const DAY = 86_400_000;
const MAX_POINTS = 120;

function daysBetween(first: string, last: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${first}T00:00:00Z`); t <= Date.parse(`${last}T00:00:00Z`); t += DAY) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** A whole step of 1, 2 or 5 times a power of ten giving about five grid lines, so that they fall on round numbers. */
function gridStep(max: number): number {
  const raw = Math.max(1, max) / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  return Math.max(1, [1, 2, 5, 10].map((m) => m * power).find((v) => v >= raw)!);
}

/** The CVEs by their highest daily count, most widespread first. */
export function cvesByPeak(rows: readonly DayCount[]): string[] {
  const peak = new Map<string, number>();
  for (const r of rows) peak.set(r.cve, Math.max(peak.get(r.cve) ?? 0, r.servers));
  return [...peak.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([cve]) => cve);
}

/** Vulnerable servers per day, one line per CVE (days without a sighting count 0). */
export function exposureChart(rows: readonly DayCount[]): string {
  if (rows.length === 0) return '<p class="muted" id="exposure-chart">No vulnerable server has been seen in this period.</p>';
  const days = daysBetween(rows[0]!.day, rows[rows.length - 1]!.day);
  const series = cvesByPeak(rows).slice(0, MAX_SERIES);
  const counts = new Map(rows.map((r) => [`${r.day} ${r.cve}`, r.servers]));
  const max = Math.max(...rows.map((r) => r.servers));
  const step = gridStep(max);
  const top = Math.max(1, Math.ceil(max / step)) * step;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (days.length === 1 ? plotW / 2 : (i * plotW) / (days.length - 1));
  const y = (n: number) => PAD.top + plotH - (n / top) * plotH;
  const parts: string[] = [];
  for (let v = 0; v <= top; v += step) {
    parts.push(`<line class="grid" x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text class="axis" x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v}</text>`);
  }
  parts.push(`<line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${WIDTH - PAD.right}" y2="${PAD.top + plotH}" stroke="#666"/>`);
  const ticks = Math.min(6, days.length);
  for (let t = 0; t < ticks; t++) {
    const i = Math.round((t * (days.length - 1)) / Math.max(1, ticks - 1));
    const anchor = ticks > 1 && t === 0 ? 'start' : ticks > 1 && t === ticks - 1 ? 'end' : 'middle';
    parts.push(`<text class="axis" x="${x(i).toFixed(1)}" y="${HEIGHT - 12}" text-anchor="${anchor}">${esc(days[i])}</text>`);
  }
  series.forEach((cve, k) => {
    const colour = PALETTE[k]!;
    const values = days.map((d) => counts.get(`${d} ${cve}`) ?? 0);
    const points = values.map((n, i) => `${x(i).toFixed(1)},${y(n).toFixed(1)}`).join(' ');
    // A point per day carries the exact count as a tooltip; over long periods the points would be a smear.
    const dots = days.length > MAX_POINTS ? '' : values.map((n, i) => `<circle cx="${x(i).toFixed(1)}" cy="${y(n).toFixed(1)}" r="2.5" fill="${colour}"><title>${esc(`${days[i]}: ${n} server${n === 1 ? '' : 's'} vulnerable to ${cve}`)}</title></circle>`).join('');
    parts.push(`<g class="series" data-cve="${esc(cve)}"><polyline fill="none" stroke="${colour}" stroke-width="2" points="${points}"><title>${esc(cve)}</title></polyline>${dots}</g>`);
  });
  const legend = series.map((cve, k) => `<li><svg width="14" height="4" aria-hidden="true"><rect width="14" height="4" fill="${PALETTE[k]}"/></svg> ${esc(cve)}</li>`).join('');
  return `<svg id="exposure-chart" class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Vulnerable servers per day, by CVE">${parts.join('')}</svg>
<ul class="legend">${legend}</ul>`;
}

/** A horizontal bar for a table cell, scaled to the column's largest value. */
export function barCell(value: number, max: number): string {
  const w = max > 0 ? Math.max(1, Math.round((value / max) * 160)) : 0;
  return `<svg class="bar" width="160" height="10" aria-hidden="true"><rect width="${w}" height="10" rx="2" fill="#1d4f91"/></svg>`;
}
