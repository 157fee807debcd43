// One organisation: who it is, its servers (with the status form for analysts), the findings and
// reports from its uploads, the remediation history and the notification log. Each list pages on
// its own query parameter.
import type { FastifyInstance } from 'fastify';
import { requireStaff } from '../api/access.js';
import { notFound } from '../api/errors.js';
import type { Session } from '../auth/sessions.js';
import type { ServiceContext } from '../context.js';
import { REMEDIATION, type RemediationStatus } from '../db/schema.js';
import { type Contact, InvalidInput } from '../store/orgs.js';
import { findingsOf, historyOf, organisationDetail, reportsOf, serversOf, setServerStatus } from '../store/queries.js';
import { type Query, csrfField, esc, facts, intParam, isId, mayChange, noticeFor, num, param, sendPage, severityBadge, statusBadge, utc } from './html.js';
import { page } from './layout.js';
import { type NotificationRow, jsonList, notificationLog } from './queries.js';
import { type Column, type TableView, pager, table } from './table.js';

const LIMIT = 50;

type ServerRow = Awaited<ReturnType<typeof serversOf>>['items'][number];
type FindingRow = Awaited<ReturnType<typeof findingsOf>>['items'][number];
type ReportRow = Awaited<ReturnType<typeof reportsOf>>['items'][number];
type HistoryRow = Awaited<ReturnType<typeof historyOf>>['items'][number];

function flags(s: { vulnerable: boolean; compromised: boolean }): string {
  return [s.compromised ? '<span class="badge flag-compromised">compromised</span>' : '', s.vulnerable ? '<span class="badge flag-vulnerable">vulnerable</span>' : ''].filter(Boolean).join(' ');
}

function statusForm(orgId: string, s: ServerRow, session: Session): string {
  const opts = REMEDIATION.map((r) => `<option value="${r}"${r === s.status ? ' selected' : ''}>${r}</option>`).join('');
  return `<form class="inline" method="post" action="/organisations/${esc(orgId)}/servers/${esc(s.id)}/status">${csrfField(session)}
<select name="status" aria-label="New status for ${esc(s.address)}">${opts}</select><input type="text" name="note" maxlength="2000" placeholder="note (optional)" aria-label="Note"><button type="submit">Set</button></form>`;
}

function serverColumns(orgId: string, session: Session): Column<ServerRow>[] {
  const cols: Column<ServerRow>[] = [
    { label: 'Address', cell: (s) => `<span class="mono">${esc(s.address)}</span>${s.port ? `<span class="muted">:${esc(s.port)}</span>` : ''}` },
    { label: 'Host name', wrap: true, cell: (s) => esc(s.hostname) },
    { label: 'Build', cell: (s) => `${esc(s.build)}${s.product ? `<br><span class="muted">${esc(s.product)}</span>` : ''}` },
    { label: 'Problem', cell: (s) => flags(s) },
    { label: 'Open CVEs', wrap: true, cell: (s) => esc(s.cves.join(' ')) },
    { label: 'Status', cell: (s) => statusBadge(s.status) },
    { label: 'First seen', cell: (s) => utc(s.first_seen) },
    { label: 'Last seen', cell: (s) => utc(s.last_seen) },
  ];
  if (mayChange(session)) cols.push({ label: 'Change status', cell: (s) => statusForm(orgId, s, session) });
  return cols;
}

const FINDING_COLUMNS: Column<FindingRow>[] = [
  { label: 'Severity', cell: (f) => severityBadge(f.severity) },
  { label: 'Finding', wrap: true, cell: (f) => `<strong>${esc(f.title)}</strong><br><span class="muted mono">${esc(f.rule)}</span>` },
  { label: 'Summary', wrap: true, cell: (f) => esc(f.summary) },
  { label: 'CVEs', cell: (f) => esc(f.cves.join(' ')) },
  { label: 'Count', numeric: true, cell: (f) => num(f.count) },
  { label: 'First seen', cell: (f) => utc(f.first_seen) },
  { label: 'Report', cell: (f) => `<a href="/reports/${esc(f.report_id)}">view</a>` },
];

const REPORT_COLUMNS: Column<ReportRow>[] = [
  { label: 'Uploaded', cell: (r) => utc(r.uploaded_at) },
  { label: 'Verdict', cell: (r) => `<strong>${esc(r.verdict)}</strong>` },
  { label: 'Summary', wrap: true, cell: (r) => esc(r.summary) },
  { label: 'Server', cell: (r) => `<span class="mono">${esc(r.host)}</span>` },
  { label: 'Size', numeric: true, cell: (r) => `${num(Math.ceil(r.size / 1024))} KiB` },
  { label: 'Open', cell: (r) => `<a href="/reports/${esc(r.id)}">report</a> · <a href="/api/v1/reports/${esc(r.id)}">JSON</a>` },
];

const HISTORY_COLUMNS: Column<HistoryRow>[] = [
  { label: 'When', cell: (h) => utc(h.at) },
  { label: 'Server', cell: (h) => `<span class="mono">${esc(h.address)}</span>` },
  { label: 'Change', cell: (h) => `${statusBadge(h.from_status)} → ${statusBadge(h.to_status)}` },
  { label: 'By', cell: (h) => esc(h.actor) },
  { label: 'Note', wrap: true, cell: (h) => esc(h.note) },
];

export const NOTIFICATION_COLUMNS: Column<NotificationRow>[] = [
  { label: 'Sent', cell: (n) => utc(n.created_at) },
  { label: 'Recipient', cell: (n) => esc(n.recipient) },
  { label: 'Subject', wrap: true, cell: (n) => esc(n.subject) },
  { label: 'Attachments', wrap: true, cell: (n) => esc(jsonList(n.attachments).join(', ')) },
  { label: 'Outcome', cell: (n) => `${esc(n.status)}${n.error ? `<br><span class="muted">${esc(n.error)}</span>` : ''}` },
];

type Org = NonNullable<Awaited<ReturnType<typeof organisationDetail>>>;

function details(o: Org): string {
  const list = (xs: readonly string[]) => (xs.length === 0 ? '' : `<ul class="plain">${xs.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>`);
  const contacts = (o.contacts as Contact[]).map((c) => [c.name, c.email, c.phone].filter(Boolean).join(', '));
  return facts([
    ['Sector', esc(o.sector)],
    ['Country', esc(o.country)],
    ['Abuse addresses', list(o.abuse)],
    ['Contacts', list(contacts)],
    ['Address ranges', list(o.ranges)],
    ['Domains', list(o.domains)],
    ['Registered', utc(o.created_at)],
    ['Summary updated', utc(o.updated_at)],
  ]);
}

export function registerOrganisationPage(app: FastifyInstance, ctx: ServiceContext): void {
  const db = ctx.h.db;

  app.get('/organisations/:id', async (req, reply) => {
    const session = requireStaff(req);
    const { id } = req.params as { id: string };
    const org = isId(id) ? await organisationDetail(db, id) : undefined;
    if (!org) throw notFound('there is no such organisation');
    const q = req.query as Query;
    const at = (name: string) => intParam(q, name, 0);
    const offsets = { servers: at('servers'), findings: at('findings'), reports: at('reports'), history: at('history'), notifications: at('notifications') };
    const view: TableView = { path: `/organisations/${id}`, params: Object.fromEntries(Object.entries(offsets).map(([k, v]) => [k, v || undefined])) };
    const section = <T>(name: keyof typeof offsets, title: string, columns: Column<T>[], list: { total: number; items: T[] }, empty: string) =>
      `<section id="${name}"><h2>${esc(title)} <span class="muted">(${num(list.total)})</span></h2>
${table({ id: `${name}-table`, columns, rows: list.items, empty })}
${pager({ total: list.total, offset: offsets[name], limit: LIMIT, view, offsetParam: name, anchor: name })}</section>`;
    const paging = (name: keyof typeof offsets) => ({ limit: LIMIT, offset: offsets[name] });
    const body = `<h1>${esc(org.name)} ${statusBadge(org.status)}</h1>
<p class="muted">${num(org.servers)} server${org.servers === 1 ? '' : 's'} · ${num(org.vulnerable)} vulnerable · ${num(org.compromised)} compromised</p>
<section id="details"><h2>Details</h2>${details(org)}</section>
${section('servers', 'Servers', serverColumns(id, session), await serversOf(db, id, paging('servers')), 'No server of this organisation has been seen yet.')}
${section('findings', 'Findings', FINDING_COLUMNS, await findingsOf(db, id, paging('findings')), 'No findings: no hunt report with findings has been uploaded.')}
${section('reports', 'Hunt reports', REPORT_COLUMNS, await reportsOf(db, id, paging('reports')), 'No hunt report has been uploaded.')}
${section('history', 'Remediation history', HISTORY_COLUMNS, await historyOf(db, id, paging('history')), 'No status change yet.')}
${section('notifications', 'Notification log', NOTIFICATION_COLUMNS, await notificationLog(db, { orgId: id, ...paging('notifications') }), 'No notification has been sent about this organisation.')}`;
    return sendPage(reply, page({ title: org.name, session, nav: 'organisations', notice: noticeFor(q) }, body));
  });

  app.post('/organisations/:id/servers/:server/status', async (req, reply) => {
    const session = requireStaff(req, 'analyst');
    const { id, server } = req.params as { id: string; server: string };
    const row = isId(id) && isId(server) ? await db.selectFrom('servers').select('org_id').where('id', '=', server).executeTakeFirst() : undefined;
    if (!row || row.org_id !== id) throw notFound('there is no such server in this organisation');
    const form = (req.body ?? {}) as Query;
    const status = REMEDIATION.find((s) => s === param(form, 'status', 20));
    if (!status) throw new InvalidInput(`choose a status: ${REMEDIATION.join(', ')}`);
    await setServerStatus(db, server, status as RemediationStatus, session.user.email, param(form, 'note', 2000) ?? '', ctx.now());
    return reply.redirect(`/organisations/${id}?notice=status-changed#servers`, 303);
  });
}
