// The upload page: a hunt report (exhunt hunt --format json) or scan results (exhunt scan --format
// json) for an organisation, as a file in a multipart form. The document is checked against the
// same schemas as POST /api/v1/reports and /api/v1/scans and stored by the same functions.
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance } from 'fastify';
import { requireStaff } from '../api/access.js';
import { ReportUpload, ScanUpload } from '../api/schemas.js';
import type { Session } from '../auth/sessions.js';
import type { ServiceContext } from '../context.js';
import { InvalidInput } from '../store/orgs.js';
import { ingestReport, ingestScanUpload } from '../store/reports.js';
import { type Query, csrfField, esc, mayChange, param, sendPage } from './html.js';
import { page } from './layout.js';
import { nameSuggestions, resolveOrganisation } from './queries.js';

/** A file field as the multipart plugin hands it over (see onFile in routes.ts). */
export interface UploadedFile {
  filename: string;
  data: Buffer;
}

/** The uploaded file's name and text. */
export function uploadedFile(form: Query, field: string): { name: string; text: string } {
  const v = form[field] as Partial<UploadedFile> | undefined;
  if (!v || !Buffer.isBuffer(v.data) || v.data.length === 0) throw new InvalidInput('choose a file to upload');
  return { name: typeof v.filename === 'string' && v.filename !== '' ? v.filename.slice(0, 200) : 'upload', text: v.data.toString('utf8') };
}

function firstError(schema: typeof ReportUpload | typeof ScanUpload, doc: unknown): string {
  const e = Value.Errors(schema, doc).First();
  return e ? `${e.path || '(the document)'}: ${e.message}` : 'the document does not match the schema';
}

type Kind = 'report' | 'scan';

/** Checks the JSON against the schema of what it looks like (scan results have "hosts"). */
function checkedDocument(text: string): { kind: Kind; doc: unknown } {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new InvalidInput(`the file is not JSON (${err instanceof Error ? err.message : String(err)}); upload what exhunt hunt --format json or exhunt scan --format json wrote`);
  }
  const kind: Kind = typeof doc === 'object' && doc !== null && Array.isArray((doc as Record<string, unknown>)['hosts']) ? 'scan' : 'report';
  const schema = kind === 'scan' ? ScanUpload : ReportUpload;
  if (!Value.Check(schema, doc)) throw new InvalidInput(`the file is not ${kind === 'scan' ? 'exhunt scan results' : 'an exhunt hunt report'}: ${firstError(schema, doc)}`);
  return { kind, doc };
}

async function uploadPage(ctx: ServiceContext, session: Session, selected: string | undefined, error?: string): Promise<string> {
  if (!mayChange(session)) {
    return page({ title: 'Upload', session, nav: 'upload' }, '<h1>Upload a report</h1><p>Uploading needs the analyst role; your account can only read.</p>');
  }
  const preset = selected ? (await ctx.h.db.selectFrom('organisations').select('name').where('id', '=', selected).executeTakeFirst())?.name : undefined;
  const body = `<h1>Upload a report</h1>
<p class="muted">A hunt report (<code>exhunt hunt … --format json</code>) or scan results (<code>exhunt scan … --format json</code>), at most ${Math.floor(ctx.settings.maxUploadBytes / 1048576)} MiB. Organisations can upload their own with <code>--upload URL --token TOKEN</code>.</p>
<form class="stack panel" id="upload-form" method="post" action="/upload" enctype="multipart/form-data">${csrfField(session)}
<label>Organisation (its exact name or id)<input type="text" name="org" required maxlength="300" list="organisation-names" value="${esc(preset ?? selected ?? '')}"></label>${await nameSuggestions(ctx.h.db)}
<label>Exchange server the collection came from (optional; an address in the organisation's ranges)<input type="text" name="server" maxlength="64" placeholder="192.0.2.10"></label>
<label>File (JSON)<input type="file" name="file" accept=".json,application/json" required></label>
<div><button type="submit">Upload</button></div>
</form>`;
  return page({ title: 'Upload', session, nav: 'upload', error }, body);
}

export function registerUploadPage(app: FastifyInstance, ctx: ServiceContext): void {
  const db = ctx.h.db;

  app.get('/upload', async (req, reply) => {
    const session = requireStaff(req);
    return sendPage(reply, await uploadPage(ctx, session, param(req.query as Query, 'org', 64)));
  });

  app.post('/upload', async (req, reply) => {
    const session = requireStaff(req, 'analyst');
    const form = (req.body ?? {}) as Query;
    const wanted = param(form, 'org', 300);
    let orgId: string | undefined;
    try {
      orgId = await resolveOrganisation(db, wanted);
      const { kind, doc } = checkedDocument(uploadedFile(form, 'file').text);
      const actor = session.user.email;
      if (kind === 'scan') {
        const r = await ingestScanUpload(db, orgId, doc as { hosts: unknown[] }, { actor, now: ctx.now() });
        return reply.redirect(`/organisations/${orgId}?notice=${r.created ? 'scan-stored' : 'scan-known'}#servers`, 303);
      }
      const r = await ingestReport(db, orgId, doc as Parameters<typeof ingestReport>[2], { server: param(form, 'server', 64), actor, now: ctx.now() });
      return reply.redirect(`/organisations/${orgId}?notice=${r.created ? 'report-stored' : 'report-known'}#reports`, 303);
    } catch (err) {
      if (!(err instanceof InvalidInput)) throw err;
      return sendPage(reply, await uploadPage(ctx, session, orgId ?? wanted, err.message), 400);
    }
  });
}
