// The home page: headline counts by remediation status, then the organisations table with its
// filters (status, problem, name, country, sector), sorting and paging — all in the query string, so
// a filtered view is a link an analyst can share.
import type { FastifyInstance } from 'fastify';
import { requireStaff } from '../api/access.js';
import type { ServiceContext } from '../context.js';
import { statusCounts } from '../store/queries.js';
import { type Query, choice, esc, intParam, link, noticeFor, num, param, sendPage, statusBadge, utc } from './html.js';
import { page } from './layout.js';
import { ORG_STATUSES, type OrgSort, listOrganisations, organisationFacets } from './queries.js';
import { type Column, type TableView, pager, readSort, table } from './table.js';

const LIMIT = 50;
const PROBLEMS = ['vulnerable', 'compromised'] as const;

type Row = Awaited<ReturnType<typeof listOrganisations>>['items'][number];

const COLUMNS: Column<Row>[] = [
  { sort: 'name', label: 'Organisation', cell: (r) => `<a href="/organisations/${esc(r.id)}">${esc(r.name)}</a>`, wrap: true },
  { sort: 'country', label: 'Country', cell: (r) => esc(r.country) },
  { sort: 'sector', label: 'Sector', cell: (r) => esc(r.sector) },
  { sort: 'status', label: 'Status', cell: (r) => statusBadge(r.status) },
  { sort: 'servers', label: 'Servers', numeric: true, cell: (r) => num(r.servers) },
  { sort: 'vulnerable', label: 'Vulnerable', numeric: true, cell: (r) => num(r.vulnerable) },
  { sort: 'compromised', label: 'Compromised', numeric: true, cell: (r) => num(r.compromised) },
  { sort: 'updated', label: 'Updated', cell: (r) => utc(r.updated_at) },
];

function readFilter(q: Query) {
  const country = param(q, 'country', 3);
  return {
    status: choice(q, 'status', ORG_STATUSES),
    problem: choice(q, 'problem', PROBLEMS),
    q: param(q, 'q', 200),
    country: country && /^[A-Za-z]{2}$/.test(country) ? country.toUpperCase() : undefined,
    sector: param(q, 'sector', 200),
  };
}

function options(values: readonly string[], selected: string | undefined, any: string): string {
  return `<option value="">${esc(any)}</option>${values.map((v) => `<option value="${esc(v)}"${v === selected ? ' selected' : ''}>${esc(v)}</option>`).join('')}`;
}

function headline(counts: Record<string, number>, active: string | undefined): string {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const card = (href: string, n: number, label: string, current: boolean) =>
    `<li><a href="${esc(href)}"${current ? ' aria-current="true"' : ''}><span class="n">${num(n)}</span><span class="label">${esc(label)}</span></a></li>`;
  return `<ul class="cards" id="status-counts">${card('/', total, 'all organisations', active === undefined)}${ORG_STATUSES.map((s) => card(link('/', { status: s }), counts[s] ?? 0, s, active === s)).join('')}</ul>`;
}

export function registerOrganisationsPage(app: FastifyInstance, ctx: ServiceContext): void {
  const db = ctx.h.db;
  app.get('/', async (req, reply) => {
    const session = requireStaff(req);
    const q = req.query as Query;
    const f = readFilter(q);
    const sort = readSort(q, COLUMNS, { key: 'compromised', dir: 'desc' });
    const offset = intParam(q, 'offset', 0);
    const [counts, facets, list] = [await statusCounts(db), await organisationFacets(db), await listOrganisations(db, f, { key: sort.key as OrgSort, dir: sort.dir }, LIMIT, offset)];
    const view: TableView = { path: '/', params: { ...f }, sort };
    const form = `<form class="filters" method="get" action="/" role="search">
<label>Status<select name="status" data-autosubmit>${options(ORG_STATUSES, f.status, 'any status')}</select></label>
<label>Problem<select name="problem" data-autosubmit>${options(PROBLEMS, f.problem, 'any')}</select></label>
<label>Name contains<input type="search" name="q" value="${esc(f.q)}" maxlength="200"></label>
<label>Country<select name="country" data-autosubmit>${options(facets.countries, f.country, 'any country')}</select></label>
<label>Sector<select name="sector" data-autosubmit>${options(facets.sectors, f.sector, 'any sector')}</select></label>
${sort.key !== 'compromised' || sort.dir !== 'desc' ? `<input type="hidden" name="sort" value="${esc(sort.key)}"><input type="hidden" name="dir" value="${esc(sort.dir)}">` : ''}
<button type="submit">Filter</button> <a class="button secondary" href="/">Reset</a>
</form>`;
    const body = `<h1>Organisations</h1>
${headline(counts, f.status)}
${form}
<p class="muted" id="org-count">${num(list.total)} organisation${list.total === 1 ? '' : 's'} match.</p>
${table({ id: 'organisations', columns: COLUMNS, rows: list.items, empty: 'No organisation matches these filters.', view })}
${pager({ total: list.total, offset, limit: LIMIT, view })}`;
    return sendPage(reply, page({ title: 'Organisations', session, nav: 'organisations', notice: noticeFor(q) }, body));
  });
}
