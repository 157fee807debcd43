// CERT operations: campaign statistics and the audit log. (Imports, triage, jobs and notifications
// are added by their own modules below.)
import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../context.js';
import { exposureByDay, findingsByType, statusCounts } from '../store/queries.js';
import { requireStaff } from './access.js';
import { type Api, Paging } from './schemas.js';

export function registerOperationRoutes(api: Api, ctx: ServiceContext): void {
  const db = ctx.h.db;

  api.get('/api/v1/stats/exposure', {
    schema: { summary: 'Vulnerable servers per day and CVE (staff)', tags: ['statistics'], querystring: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3660, default: 90 })) }), response: { 200: Type.Array(Type.Object({ day: Type.String(), cve: Type.String(), servers: Type.Integer() })) } },
  }, async (req) => {
    requireStaff(req);
    return exposureByDay(db, req.query.days ?? 90, ctx.now());
  });

  api.get('/api/v1/stats/findings', {
    schema: { summary: 'Findings by rule over all organisations (staff)', tags: ['statistics'], response: { 200: Type.Array(Type.Object({ rule: Type.String(), title: Type.String(), severity: Type.String(), findings: Type.Integer(), organisations: Type.Integer() })) } },
  }, async (req) => {
    requireStaff(req);
    return findingsByType(db);
  });

  api.get('/api/v1/stats/status', {
    schema: { summary: 'Organisations per remediation status (staff)', tags: ['statistics'], response: { 200: Type.Record(Type.String(), Type.Integer()) } },
  }, async (req) => {
    requireStaff(req);
    return statusCounts(db);
  });

  api.get('/api/v1/audit', {
    schema: {
      summary: 'The audit log, newest first (admin)',
      tags: ['audit'],
      querystring: Type.Object({ entity: Type.Optional(Type.String({ maxLength: 40 })), entityId: Type.Optional(Type.String({ maxLength: 254 })), ...Paging }),
      response: { 200: Type.Array(Type.Object({ at: Type.String(), actor: Type.String(), action: Type.String(), entity: Type.String(), entity_id: Type.String(), detail: Type.String() })) },
    },
  }, async (req) => {
    requireStaff(req, 'admin');
    let q = db.selectFrom('audit_log').select(['at', 'actor', 'action', 'entity', 'entity_id', 'detail']);
    if (req.query.entity) q = q.where('entity', '=', req.query.entity);
    if (req.query.entityId) q = q.where('entity_id', '=', req.query.entityId);
    return q.orderBy('id', 'desc').limit(req.query.limit ?? 50).offset(req.query.offset ?? 0).execute();
  });
}
