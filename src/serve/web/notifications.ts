// Notifications: a dry run of exactly what a send would do now (recipient, subject, text,
// attachments), the Send button for analysts (disabled when no SMTP server is configured), the
// outcome of a send, and the log of every message.
import type { FastifyInstance } from 'fastify';
import { requireStaff } from '../api/access.js';
import { HttpError } from '../api/errors.js';
import type { Session } from '../auth/sessions.js';
import type { ServiceContext } from '../context.js';
import { type SendResult, previewNotifications, sendNotifications, transportFromUrl } from '../notify/send.js';
import { type Query, choice, csrfField, esc, intParam, mayChange, num, sendPage } from './html.js';
import { page } from './layout.js';
import { NOTIFICATION_COLUMNS } from './organisation.js';
import { notificationLog, organisationNames } from './queries.js';
import { pager, table } from './table.js';

const LIMIT = 50;
const OUTCOMES = ['sent', 'failed', 'bounced'] as const;

function orgLinks(ids: readonly string[], names: Map<string, string>): string {
  return ids.map((id) => `<a href="/organisations/${esc(id)}">${esc(names.get(id) ?? id)}</a>`).join(', ');
}

async function preview(ctx: ServiceContext, session: Session): Promise<string> {
  const { batches, noContact } = await previewNotifications(ctx.h.db, { sender: ctx.settings.sender, now: ctx.now() });
  const names = new Map((await organisationNames(ctx.h.db, [...new Set(batches.flatMap((b) => b.orgIds))])).map((o) => [o.id, o.name]));
  const messages = batches.map((b) => `<details class="message"><summary><strong>${esc(b.recipient)}</strong> — ${esc(b.subject)}</summary>
<p>Organisations: ${orgLinks(b.orgIds, names)}</p>
<p>Attachments: ${b.attachments.length === 0 ? 'none' : esc(b.attachments.map((a) => `${a.filename} (${num(Math.ceil(a.size / 1024))} KiB)`).join(', '))}</p>
<pre>${esc(b.text)}</pre></details>`).join('\n');
  const missing = noContact.length === 0 ? '' : `<h3>No address to send to</h3><p class="muted">These organisations have news but no abuse address or contact; add one (Import) to include them.</p>
<ul class="plain" id="no-contact">${noContact.map((n) => `<li><a href="/organisations/${esc(n.orgId)}">${esc(n.name)}</a> (${num(n.news)} item${n.news === 1 ? '' : 's'})</li>`).join('')}</ul>`;
  let send = '';
  if (mayChange(session)) {
    const why = !ctx.settings.smtpUrl ? 'No SMTP server is configured, so nothing can be sent: start exhunt serve with --smtp smtp://host:port (or EXHUNT_SMTP_URL).' : batches.length === 0 ? 'There is nothing to send.' : '';
    send = `<form method="post" action="/notifications/send" id="send-form">${csrfField(session)}${why ? `<p class="muted" id="send-disabled">${esc(why)}</p>` : ''}
<button type="submit"${why ? ' disabled' : ''}>Send ${num(batches.length)} message${batches.length === 1 ? '' : 's'}</button></form>`;
  }
  return `<section id="preview"><h2>Pending: what a send would do now</h2>
<p class="muted">${num(batches.length)} message${batches.length === 1 ? '' : 's'}, one per recipient address, each covering every organisation that address answers for. Nothing is sent from this view.</p>
${messages}${missing}${send}</section>`;
}

function outcome(r: SendResult, names: Map<string, string>): string {
  const list = (title: string, ds: SendResult['sent']) => (ds.length === 0 ? '' : `<h3>${title} (${num(ds.length)})</h3><ul class="plain">${ds.map((d) => `<li>${esc(d.recipient)} — ${orgLinks(d.orgIds, names)}${d.error ? `: <span class="muted">${esc(d.error)}</span>` : ''}</li>`).join('')}</ul>`);
  return `<section class="panel" id="send-result"><h2>Send finished</h2>${list('Sent', r.sent)}${list('Failed (will be tried again on the next send)', r.failed)}${list('Refused by the mail server', r.bounced)}${r.sent.length + r.failed.length + r.bounced.length === 0 ? '<p>There was nothing to send.</p>' : ''}</section>`;
}

export function registerNotificationPages(app: FastifyInstance, ctx: ServiceContext): void {
  const db = ctx.h.db;

  app.get('/notifications', async (req, reply) => {
    const session = requireStaff(req);
    const q = req.query as Query;
    const status = choice(q, 'status', OUTCOMES);
    const offset = intParam(q, 'offset', 0);
    const log = await notificationLog(db, { status, limit: LIMIT, offset });
    const filter = `<form class="filters" method="get" action="/notifications#log"><label>Outcome<select name="status" data-autosubmit><option value="">any</option>${OUTCOMES.map((o) => `<option value="${o}"${o === status ? ' selected' : ''}>${o}</option>`).join('')}</select></label><button type="submit">Filter</button></form>`;
    const body = `<h1>Notifications</h1>
${await preview(ctx, session)}
<section id="log"><h2>Log <span class="muted">(${num(log.total)})</span></h2>${filter}
${table({ id: 'notification-log', columns: NOTIFICATION_COLUMNS, rows: log.items, empty: 'No message has been sent yet.' })}
${pager({ total: log.total, offset, limit: LIMIT, view: { path: '/notifications', params: { status } }, anchor: 'log' })}</section>`;
    return sendPage(reply, page({ title: 'Notifications', session, nav: 'notifications' }, body));
  });

  app.post('/notifications/send', async (req, reply) => {
    const session = requireStaff(req, 'analyst');
    if (!ctx.settings.smtpUrl) throw new HttpError(409, 'no SMTP server is configured: start exhunt serve with --smtp smtp://host:port (or EXHUNT_SMTP_URL)');
    const transport = transportFromUrl(ctx.settings.smtpUrl);
    let r: SendResult;
    try {
      r = await sendNotifications(db, transport, { sender: ctx.settings.sender, now: ctx.now(), actor: session.user.email });
    } finally {
      transport.close();
    }
    const ids = [...new Set([...r.sent, ...r.failed, ...r.bounced].flatMap((d) => d.orgIds))];
    const names = new Map((await organisationNames(db, ids)).map((o) => [o.id, o.name]));
    const body = `<h1>Notifications</h1>${outcome(r, names)}<p><a href="/notifications">Back to notifications</a></p>`;
    return sendPage(reply, page({ title: 'Notifications sent', session, nav: 'notifications' }, body));
  });
}
