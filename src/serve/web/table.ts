// Tables with sorting and paging done on the server: a column header is a link that sets ?sort= and
// ?dir= (the other filters kept), the pager sets ?offset=. Cells are HTML that the caller escaped.
import { type Query, choice, esc, link, num, param } from './html.js';

export interface Column<T> {
  /** The sort key in the query string; only sortable columns have one. */
  sort?: string;
  label: string;
  numeric?: boolean;
  wrap?: boolean;
  cell(row: T): string;
}

export interface Sort {
  key: string;
  dir: 'asc' | 'desc';
}

export interface TableView {
  /** The page's path and its current query parameters (filters), kept by sort and page links. */
  path: string;
  params: Record<string, string | number | undefined>;
  sort?: Sort | undefined;
}

/** The sort asked for when it names a sortable column, else the fallback. */
export function readSort<T>(q: Query, columns: readonly Column<T>[], fallback: Sort): Sort {
  const key = param(q, 'sort', 40);
  const dir = choice(q, 'dir', ['asc', 'desc'] as const);
  if (!key || !columns.some((c) => c.sort === key)) return fallback;
  return { key, dir: dir ?? 'asc' };
}

function header<T>(c: Column<T>, view: TableView | undefined): string {
  const cls = c.numeric ? ' class="num"' : '';
  if (!c.sort || !view?.sort) return `<th scope="col"${cls}>${esc(c.label)}</th>`;
  const current = view.sort.key === c.sort;
  const next = current && view.sort.dir === 'asc' ? 'desc' : current ? 'asc' : c.numeric ? 'desc' : 'asc';
  const aria = current ? ` aria-sort="${view.sort.dir === 'asc' ? 'ascending' : 'descending'}"` : '';
  const href = link(view.path, { ...view.params, sort: c.sort, dir: next, offset: undefined });
  return `<th scope="col"${cls}${aria}><a href="${esc(href)}">${esc(c.label)}</a></th>`;
}

export function table<T>(o: { id: string; columns: readonly Column<T>[]; rows: readonly T[]; empty: string; view?: TableView }): string {
  if (o.rows.length === 0) return `<p class="muted" id="${esc(o.id)}">${esc(o.empty)}</p>`;
  const head = o.columns.map((c) => header(c, o.view)).join('');
  const body = o.rows.map((r) => `<tr>${o.columns.map((c) => `<td${c.numeric ? ' class="num"' : c.wrap ? ' class="wrap"' : ''}>${c.cell(r)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table id="${esc(o.id)}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

/** "Rows 51–100 of 312" with previous/next links; `offsetParam` names the query parameter (several tables on one page). */
export function pager(o: { total: number; offset: number; limit: number; view: TableView; offsetParam?: string; anchor?: string }): string {
  if (o.total <= o.limit && o.offset === 0) return '';
  const name = o.offsetParam ?? 'offset';
  const to = (offset: number) => esc(`${link(o.view.path, { ...o.view.params, ...(o.view.sort ? { sort: o.view.sort.key, dir: o.view.sort.dir } : {}), [name]: offset || undefined })}${o.anchor ? `#${o.anchor}` : ''}`);
  const first = o.total === 0 ? 0 : o.offset + 1;
  const last = Math.min(o.total, o.offset + o.limit);
  const prev = o.offset > 0 ? `<a href="${to(Math.max(0, o.offset - o.limit))}" rel="prev">← Previous</a>` : '';
  const next = last < o.total ? `<a href="${to(o.offset + o.limit)}" rel="next">Next →</a>` : '';
  return `<p class="pager">${prev}<span>Rows ${num(first)}–${num(last)} of ${num(o.total)}</span>${next}</p>`;
}

/** Sorts a short list in memory by the column's value (lists the database already bounds). */
export function sortRows<T>(rows: readonly T[], sort: Sort, value: (row: T, key: string) => string | number): T[] {
  const sign = sort.dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = value(a, sort.key);
    const y = value(b, sort.key);
    return sign * (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y)));
  });
}
