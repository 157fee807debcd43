// An uploaded hunt report shown as the exhunt HTML report (the same writer the command line uses).
// That page carries its own inline style and script, allowed by hash in its own
// Content-Security-Policy, so this route replaces the dashboard's policy with the report's (plus
// frame-ancestors). A stored document the writer cannot render gets a page that says so and links
// the JSON as it was uploaded.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Report } from '../../core/types.js';
import { correlate } from '../../correlate/intrusions.js';
import { writerById } from '../../report/registry.js';
import { requireStaff } from '../api/access.js';
import { notFound } from '../api/errors.js';
import type { ServiceContext } from '../context.js';
import { esc, isId, sendPage } from './html.js';
import { page } from './layout.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The stored JSON as a Report the writers can rely on, or why not. The upload schema checks only
 * what the service stores; the writers need the whole shape (the checks of `exhunt report`).
 */
export function asReport(body: string): Report | string {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return 'the stored document is not JSON';
  }
  if (!isObject(doc)) return 'the stored document is not a report';
  for (const key of ['findings', 'inputs', 'errors', 'skipped'] as const) if (!Array.isArray(doc[key])) return `"${key}" is missing or not a list`;
  for (const key of ['verdict', 'coverage', 'stats', 'options', 'tool'] as const) if (!isObject(doc[key])) return `"${key}" is missing`;
  const report = doc as unknown as Report;
  const bad = (report.findings as unknown[]).findIndex((f) => !isObject(f) || typeof f['id'] !== 'string' || typeof f['title'] !== 'string' || !Array.isArray(f['evidence']) || !isObject(f['details']));
  if (bad >= 0) return `finding ${bad + 1} is malformed (id, title, evidence and details are required)`;
  if (!Array.isArray(report.coverage.files)) return '"coverage.files" is missing';
  if (!report.intrusions) {
    try {
      report.intrusions = correlate(report.findings, [], report.coverage).intrusions;
    } catch (err) {
      // The shape checks above are not the whole type: a field of the wrong kind deeper down fails here.
      return `the attacks could not be pieced together from the findings (${err instanceof Error ? err.message.slice(0, 200) : 'malformed'})`;
    }
  }
  return report;
}

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
