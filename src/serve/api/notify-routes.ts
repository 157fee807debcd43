// Notifications: the dry-run preview, sending (one message per abuse address, never the same news
// twice), bounces that arrive later, the log, and the editable templates.
import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../context.js';
import { TEMPLATE_NAMES, getTemplate, saveTemplate } from '../notify/templates.js';
import { previewNotifications, recordBounce, sendNotifications, transportFromUrl } from '../notify/send.js';
import { requireStaff } from './access.js';
import { HttpError, notFound } from './errors.js';
import { type Api, ErrorBody, IdParams, Paging } from './schemas.js';

const Scope = Type.Object({ organisations: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 50_000, description: 'Only these organisations (default: all with news)' })) });
const NoContactRow = Type.Object({ orgId: Type.String(), name: Type.String() }, { additionalProperties: true });
const DeliveryRow = Type.Object({ notificationId: Type.String(), recipient: Type.String(), orgIds: Type.Array(Type.String()), error: Type.Optional(Type.String()) }, { additionalProperties: true });

export function registerNotifyRoutes(api: Api, ctx: ServiceContext): void {
  const db = ctx.h.db;

  api.post('/api/v1/notifications/preview', {
    schema: {
      summary: 'Dry run (staff): the messages a send would make now — recipient, subject, text, attachments — without sending',
      tags: ['notifications'],
      body: Scope,
      response: { 200: Type.Object({ batches: Type.Array(Type.Object({ recipient: Type.String(), orgIds: Type.Array(Type.String()), subject: Type.String(), text: Type.String(), attachments: Type.Array(Type.Object({ filename: Type.String(), size: Type.Integer() })) }, { additionalProperties: true })), noContact: Type.Array(NoContactRow) }) },
    },
  }, async (req) => {
    requireStaff(req);
    const r = await previewNotifications(db, { sender: ctx.settings.sender, now: ctx.now(), ...(req.body.organisations ? { orgIds: req.body.organisations } : {}) });
    return { batches: r.batches, noContact: r.noContact.map((n) => ({ orgId: n.orgId, name: n.name, news: n.news })) };
  });

  api.post('/api/v1/notifications/send', {
    schema: {
      summary: 'Send the pending news (analyst): one message per abuse address; failures and bounces are recorded and retried on the next send',
      tags: ['notifications'],
      body: Scope,
      response: { 200: Type.Object({ batchId: Type.String(), sent: Type.Array(DeliveryRow), failed: Type.Array(DeliveryRow), bounced: Type.Array(DeliveryRow), noContact: Type.Array(NoContactRow) }), 409: ErrorBody },
    },
  }, async (req) => {
    const s = requireStaff(req, 'analyst');
    if (!ctx.settings.smtpUrl) throw new HttpError(409, 'no SMTP server is configured: start exhunt serve with --smtp smtp://host:port (or EXHUNT_SMTP_URL)');
    const transport = transportFromUrl(ctx.settings.smtpUrl);
    try {
      const r = await sendNotifications(db, transport, { sender: ctx.settings.sender, now: ctx.now(), actor: s.user.email, ...(req.body.organisations ? { orgIds: req.body.organisations } : {}) });
      return { ...r, noContact: r.noContact.map((n) => ({ orgId: n.orgId, name: n.name, news: n.news })) };
    } finally {
      transport.close();
    }
  });

  api.post('/api/v1/notifications/:id/bounce', {
    schema: { summary: 'Record a bounce that arrived later (analyst); its news will be sent again', tags: ['notifications'], params: IdParams, body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }) }), response: { 200: Type.Object({ unmarked: Type.Integer() }) } },
  }, async (req) => {
    const s = requireStaff(req, 'analyst');
    return recordBounce(db, req.params.id, req.body.reason, s.user.email, ctx.now());
  });

  api.get('/api/v1/notifications', {
    schema: {
      summary: 'The notification log, newest first (staff)',
      tags: ['notifications'],
      querystring: Type.Object({ status: Type.Optional(Type.Union([Type.Literal('sent'), Type.Literal('failed'), Type.Literal('bounced')])), ...Paging }),
      response: { 200: Type.Array(Type.Object({ id: Type.String(), batch_id: Type.String(), recipient: Type.String(), org_ids: Type.Array(Type.String()), subject: Type.String(), status: Type.String(), error: Type.Union([Type.String(), Type.Null()]), created_at: Type.String() })) },
    },
  }, async (req) => {
    requireStaff(req);
    let q = db.selectFrom('notifications').select(['id', 'batch_id', 'recipient', 'org_ids', 'subject', 'status', 'error', 'created_at']);
    if (req.query.status) q = q.where('status', '=', req.query.status);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id').limit(req.query.limit ?? 50).offset(req.query.offset ?? 0).execute();
    return rows.map((r) => ({ ...r, org_ids: JSON.parse(r.org_ids) as string[] }));
  });

  const TemplateName = Type.Object({ name: Type.String({ maxLength: 64, pattern: '^[a-z-]+$' }) });
  const TemplateBody = Type.Object({ subject: Type.String({ minLength: 1, maxLength: 500 }), body: Type.String({ minLength: 1, maxLength: 100_000 }) });
  api.get('/api/v1/templates/:name', {
    schema: { summary: 'A notification template (staff): the saved text, or the built-in default', tags: ['notifications'], params: TemplateName, response: { 200: Type.Object({ name: Type.String(), subject: Type.String(), body: Type.String(), custom: Type.Boolean() }, { additionalProperties: true }), 404: ErrorBody } },
  }, async (req) => {
    requireStaff(req);
    if (!TEMPLATE_NAMES.includes(req.params.name)) throw notFound(`no template ${req.params.name}; templates: ${TEMPLATE_NAMES.join(', ')}`);
    return getTemplate(db, req.params.name);
  });

  api.put('/api/v1/templates/:name', {
    schema: { summary: 'Edit a notification template (analyst); unknown {{placeholders}} are refused by name', tags: ['notifications'], params: TemplateName, body: TemplateBody, response: { 200: Type.Object({ name: Type.String(), subject: Type.String(), body: Type.String(), custom: Type.Boolean() }, { additionalProperties: true }), 400: ErrorBody, 404: ErrorBody } },
  }, async (req) => {
    const s = requireStaff(req, 'analyst');
    if (!TEMPLATE_NAMES.includes(req.params.name)) throw notFound(`no template ${req.params.name}`);
    return saveTemplate(db, req.params.name, req.body.subject, req.body.body, s.user.email, ctx.now());
  });
}
