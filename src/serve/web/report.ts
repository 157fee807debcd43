// An uploaded hunt report shown as the exhunt HTML report (the same writer the command line uses).
// That page carries its own inline style and script, allowed by hash in its own
// Content-Security-Policy, so this route replaces the dashboard's policy with the report's (plus
// frame-ancestors). A stored document the writer cannot render gets a page that says so and links
// the JSON as it was uploaded.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { writerById } from '../../report/registry.js';
import { requireStaff } from '../api/access.js';
import { notFound } from '../api/errors.js';
import type { ServiceContext } from '../context.js';
import { asReport } from '../store/report-doc.js';
import { esc, isId, sendPage } from './html.js';
import { page } from './layout.js';

const META_CSP = /^[\s\S]{0,2000}?<meta http-equiv="Content-Security-Policy" content="([^"]+)">/;

// The report's own policy, by reply, for the route's onSend hook: route hooks run after the
// application's, which sets the dashboard's policy on every answer.
const policies = new WeakMap<FastifyReply, string>();

async function reportPolicy(_req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  const csp = policies.get(reply);
  if (csp) reply.header('Content-Security-Policy', csp);
  return payload;
}

export function registerReportPage(app: FastifyInstance, ctx: ServiceContext): void {
  app.get('/reports/:id', { onSend: reportPolicy }, async (req, reply) => {
    const session = requireStaff(req);
    const { id } = req.params as { id: string };
    const row = isId(id) ? await ctx.h.db.selectFrom('reports').select(['org_id', 'body', 'uploaded_at']).where('id', '=', id).executeTakeFirst() : undefined;
    if (!row) throw notFound('there is no such report');
    const report = asReport(row.body);
    let why = typeof report === 'string' ? report : '';
    if (typeof report !== 'string') {
      try {
        const html = writerById('html')!.render(report, { color: false, width: 100 });
        const csp = META_CSP.exec(html)?.[1];
        if (csp) {
          policies.set(reply, `${csp}; frame-ancestors 'none'`);
          return sendPage(reply, html);
        }
        why = 'the HTML writer wrote no Content-Security-Policy';
      } catch (err) {
        why = `the HTML writer failed: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    const body = `<h1>Hunt report</h1>
<p class="error">This report cannot be shown as a page: ${esc(why)}.</p>
<p><a href="/api/v1/reports/${esc(id)}">The report as it was uploaded (JSON)</a> · <a href="/organisations/${esc(row.org_id)}#reports">the organisation</a></p>`;
    return sendPage(reply, page({ title: 'Hunt report', session, nav: 'organisations' }, body));
  });
}
