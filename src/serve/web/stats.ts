// Campaign views: exposure over time (vulnerable servers per day, one line per CVE, and the same
// numbers as a table) and findings by type over all organisations.
import type { FastifyInstance } from 'fastify';
import { requireStaff } from '../api/access.js';
import type { ServiceContext } from '../context.js';
import { exposureByDay, findingsByType } from '../store/queries.js';
import { MAX_SERIES, barCell, cvesByPeak, exposureChart } from './chart.js';
import { type Query, esc, num, sendPage, severityBadge } from './html.js';
import { page } from './layout.js';
import { type Column, readSort, sortRows, table } from './table.js';

const PERIODS = [30, 90, 180, 365, 3650] as const;
const SEVERITY_RANK: Record<string, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

type TypeRow = Awaited<ReturnType<typeof findingsByType>>[number];

function exposureTable(rows: Awaited<ReturnType<typeof exposureByDay>>): string {
  if (rows.length === 0) return '';
  const cves = cvesByPeak(rows);
  const byDay = new Map<string, Map<string, number>>();
  for (const r of rows) byDay.set(r.day, (byDay.get(r.day) ?? new Map()).set(r.cve, r.servers));
  const days = [...byDay.keys()].sort().reverse();
  const head = `<th scope="col">Day (UTC)</th>${cves.map((c) => `<th scope="col" class="num">${esc(c)}</th>`).join('')}`;
  const body = days.map((d) => `<tr><td>${esc(d)}</td>${cves.map((c) => `<td class="num">${num(byDay.get(d)!.get(c) ?? 0)}</td>`).join('')}</tr>`).join('\n');
  return `<h2>Per day</h2><div class="scroll"><table id="exposure-table"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

export function registerStatsPages(app: FastifyInstance, ctx: ServiceContext): void {
  const db = ctx.h.db;

  app.get('/exposure', async (req, reply) => {
    const session = requireStaff(req);
    const asked = Number((req.query as Query)['days']);
    const days = PERIODS.find((p) => p === asked) ?? 90;
    const rows = await exposureByDay(db, days, ctx.now());
    const periods = PERIODS.map((p) => (p === days ? `<strong>${p} days</strong>` : `<a href="/exposure?days=${p}">${p} days</a>`)).join(' · ');
    const more = cvesByPeak(rows).length > MAX_SERIES ? `<p class="muted">The chart shows the ${MAX_SERIES} most widespread CVEs; the table has them all.</p>` : '';
    const body = `<h1>Exposure over time</h1>
<p class="muted">Servers seen vulnerable per day, by CVE, from scans, Shadowserver reports and hunt uploads. Period: ${periods}</p>
${exposureChart(rows)}${more}
${exposureTable(rows)}`;
    return sendPage(reply, page({ title: 'Exposure over time', session, nav: 'exposure' }, body));
  });

  app.get('/findings', async (req, reply) => {
    const session = requireStaff(req);
    const rows = await findingsByType(db);
    const max = Math.max(0, ...rows.map((r) => r.findings));
    const columns: Column<TypeRow>[] = [
      { sort: 'severity', label: 'Severity', cell: (r) => severityBadge(r.severity) },
      { sort: 'title', label: 'Finding', wrap: true, cell: (r) => `<strong>${esc(r.title)}</strong><br><span class="muted mono">${esc(r.rule)}</span>` },
      { sort: 'findings', label: 'Findings', numeric: true, cell: (r) => num(r.findings) },
      { label: '', cell: (r) => barCell(r.findings, max) },
      { sort: 'organisations', label: 'Organisations', numeric: true, cell: (r) => num(r.organisations) },
    ];
    const sort = readSort(req.query as Query, columns, { key: 'findings', dir: 'desc' });
    const sorted = sortRows(rows, sort, (r, key) => (key === 'severity' ? SEVERITY_RANK[r.severity] ?? -1 : key === 'title' ? r.title : key === 'organisations' ? r.organisations : r.findings));
    const body = `<h1>Findings by type</h1>
<p class="muted">Findings from every uploaded hunt report, grouped by detection rule (the 200 most frequent).</p>
${table({ id: 'findings-by-type', columns, rows: sorted, empty: 'No findings yet: no hunt report with findings has been uploaded.', view: { path: '/findings', params: {}, sort } })}`;
    return sendPage(reply, page({ title: 'Findings by type', session, nav: 'findings' }, body));
  });
}
