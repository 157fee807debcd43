// The notification templates: the wording of the messages, plain text with {{placeholders}}.
// Analysts edit them here; an unknown placeholder is refused by name and the form keeps the text.
import type { FastifyInstance } from 'fastify';
import { requireStaff } from '../api/access.js';
import { notFound } from '../api/errors.js';
import type { Session } from '../auth/sessions.js';
import type { ServiceContext } from '../context.js';
import { PLACEHOLDERS, TEMPLATE_NAMES, type Template, getTemplate, saveTemplate } from '../notify/templates.js';
import { InvalidInput } from '../store/orgs.js';
import { type Query, csrfField, esc, mayChange, noticeFor, sendPage, utc } from './html.js';
import { page } from './layout.js';

function templateSection(t: Template, session: Session, draft?: { subject: string; body: string }): string {
  const subject = draft?.subject ?? t.subject;
  const body = draft?.body ?? t.body;
  const origin = t.custom ? `Edited by ${esc(t.updatedBy)} on ${utc(t.updatedAt)}.` : 'The built-in wording (not edited yet).';
  const content = mayChange(session)
    ? `<form class="stack" method="post" action="/templates/${esc(t.name)}">${csrfField(session)}
<label>Subject<input type="text" name="subject" value="${esc(subject)}" required maxlength="300" class="wide"></label>
<label>Body<textarea name="body" required maxlength="50000">${esc(body)}</textarea></label>
<div><button type="submit">Save</button></div></form>`
    : `<h3>Subject</h3><pre>${esc(subject)}</pre><h3>Body</h3><pre>${esc(body)}</pre>`;
  return `<section class="panel" id="template-${esc(t.name)}"><h2>${esc(t.name)}</h2><p class="muted">${origin}</p>${content}</section>`;
}

async function templatesPage(ctx: ServiceContext, session: Session, o: { notice?: string | undefined; error?: string; draft?: { name: string; subject: string; body: string } } = {}): Promise<string> {
  const sections: string[] = [];
  for (const name of TEMPLATE_NAMES) sections.push(templateSection(await getTemplate(ctx.h.db, name), session, o.draft?.name === name ? o.draft : undefined));
  const body = `<h1>Notification templates</h1>
<p class="muted">Messages are sent as plain text. Placeholders: ${PLACEHOLDERS.map((p) => `<code>{{${p}}}</code>`).join(' ')}.</p>
${sections.join('\n')}`;
  return page({ title: 'Templates', session, nav: 'templates', notice: o.notice, error: o.error }, body);
}

export function registerTemplatePages(app: FastifyInstance, ctx: ServiceContext): void {
  app.get('/templates', async (req, reply) => sendPage(reply, await templatesPage(ctx, requireStaff(req), { notice: noticeFor(req.query as Query) })));

  app.post('/templates/:name', async (req, reply) => {
    const session = requireStaff(req, 'analyst');
    const { name } = req.params as { name: string };
    if (!TEMPLATE_NAMES.includes(name)) throw notFound('there is no such template');
    const form = (req.body ?? {}) as Query;
    // Kept as typed (no trimming): the body's line breaks and indentation are the message's.
    const text = (k: string) => (typeof form[k] === 'string' ? (form[k] as string).replace(/\r\n/g, '\n') : '');
    const draft = { name, subject: text('subject'), body: text('body') };
    try {
      await saveTemplate(ctx.h.db, name, draft.subject, draft.body, session.user.email, ctx.now());
    } catch (err) {
      if (!(err instanceof InvalidInput)) throw err;
      return sendPage(reply, await templatesPage(ctx, session, { error: err.message, draft }), 400);
    }
    return reply.redirect(`/templates?notice=template-saved#template-${name}`, 303);
  });
}
