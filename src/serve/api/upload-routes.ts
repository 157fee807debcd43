// Ingest: hunt reports and scan results, posted by `exhunt hunt|scan … --upload URL --token T`.
// Idempotent (the same document twice answers 200 with the first id) and size-limited.
import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../context.js';
import { ingestReport, ingestScanUpload } from '../store/reports.js';
import { actorOf, uploadOrg } from './access.js';
import { type Api, ErrorBody, ReportUpload, ScanAnswer, ScanUpload, UploadAnswer } from './schemas.js';

const UploadQuery = Type.Object({
  org: Type.Optional(Type.String({ maxLength: 64, description: 'Staff uploads: the organisation the document belongs to' })),
  server: Type.Optional(Type.String({ maxLength: 64, description: 'The Exchange server the collection came from (an address in the organisation\'s ranges)' })),
});

export function registerUploadRoutes(api: Api, ctx: ServiceContext): void {
  api.post('/api/v1/reports', {
    bodyLimit: ctx.settings.maxUploadBytes,
    schema: {
      summary: 'Upload a hunt report (exhunt hunt --format json); 201 the first time, 200 with the same id after',
      tags: ['ingest'],
      security: [{ orgToken: [] }, { session: [] }],
      querystring: UploadQuery,
      body: ReportUpload,
      response: { 200: UploadAnswer, 201: UploadAnswer, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 413: ErrorBody },
    },
  }, async (req, reply) => {
    const orgId = uploadOrg(req, req.query.org);
    const r = await ingestReport(ctx.h.db, orgId, req.body as Parameters<typeof ingestReport>[2], { server: req.query.server, actor: actorOf(req.principal), now: ctx.now() });
    return reply.status(r.created ? 201 : 200).send(r);
  });

  api.post('/api/v1/scans', {
    bodyLimit: ctx.settings.maxUploadBytes,
    schema: {
      summary: 'Upload scan results (exhunt scan --format json); hosts outside the organisation\'s ranges are skipped',
      tags: ['ingest'],
      security: [{ orgToken: [] }, { session: [] }],
      querystring: Type.Object({ org: Type.Optional(Type.String({ maxLength: 64 })) }),
      body: ScanUpload,
      response: { 200: ScanAnswer, 201: ScanAnswer, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 413: ErrorBody },
    },
  }, async (req, reply) => {
    const orgId = uploadOrg(req, req.query.org);
    const r = await ingestScanUpload(ctx.h.db, orgId, req.body, { actor: actorOf(req.principal), now: ctx.now() });
    return reply.status(r.created ? 201 : 200).send(r);
  });
}
