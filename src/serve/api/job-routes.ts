// Scan jobs: an organisation (or an analyst) asks for a re-scan of its servers; a worker takes the
// job, checks every target against the organisation's registered ranges, and records the results.
import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../context.js';
import { getJob, listJobs } from '../jobs/queue.js';
import { actorOf, requireOrgAccess } from './access.js';
import { HttpError, notFound } from './errors.js';
import { type Api, ErrorBody, IdParams } from './schemas.js';

const JobOut = Type.Object({ id: Type.String(), kind: Type.String(), orgId: Type.Union([Type.String(), Type.Null()]), status: Type.String(), attempts: Type.Integer(), completions: Type.Integer(), worker: Type.Union([Type.String(), Type.Null()]), error: Type.Union([Type.String(), Type.Null()]), createdAt: Type.String(), startedAt: Type.Union([Type.String(), Type.Null()]), finishedAt: Type.Union([Type.String(), Type.Null()]), result: Type.Unknown() });

export function registerJobRoutes(api: Api, ctx: ServiceContext): void {
  const queue = (): NonNullable<ServiceContext['queue']> => {
    if (!ctx.queue) throw new HttpError(503, 'this service runs without a job queue');
    return ctx.queue;
  };

  api.post('/api/v1/organisations/:id/scan-jobs', {
    schema: {
      summary: "Queue a scan of the organisation's servers (its own token, or an analyst); targets outside its registered ranges are refused",
      tags: ['jobs'],
      params: IdParams,
      body: Type.Object({ targets: Type.Optional(Type.Array(Type.String({ maxLength: 300 }), { maxItems: 1000 })), http: Type.Optional(Type.Boolean()), port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })) }, { additionalProperties: false }),
      response: { 202: Type.Object({ id: Type.String() }), 404: ErrorBody, 503: ErrorBody },
    },
  }, async (req, reply) => {
    requireOrgAccess(req, req.params.id, 'analyst');
    const org = await ctx.h.db.selectFrom('organisations').select('id').where('id', '=', req.params.id).executeTakeFirst();
    if (!org) throw notFound();
    const id = await queue().enqueue('scan', req.params.id, req.body, actorOf(req.principal));
    return reply.status(202).send({ id });
  });

  api.get('/api/v1/organisations/:id/jobs', {
    schema: { summary: "The organisation's jobs, newest first", tags: ['jobs'], params: IdParams, response: { 200: Type.Array(JobOut), 404: ErrorBody } },
  }, async (req) => {
    requireOrgAccess(req, req.params.id);
    return listJobs(ctx.h.db, { orgId: req.params.id, limit: 100 });
  });

  api.get('/api/v1/jobs/:id', {
    schema: { summary: 'A job: status, attempts, worker, result', tags: ['jobs'], params: IdParams, response: { 200: JobOut, 404: ErrorBody } },
  }, async (req) => {
    const job = await getJob(ctx.h.db, req.params.id);
    if (!job || job.orgId === null) throw notFound();
    requireOrgAccess(req, job.orgId);
    return job;
  });
}
