// Organisations and what belongs to them: servers, findings, reports, remediation history, tokens.
// Every route with an organisation in its path checks access first (requireOrgAccess).
import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { randomSecret, sha256Hex } from '../auth/secrets.js';
import type { ServiceContext } from '../context.js';
import type { RemediationStatus } from '../db/schema.js';
import { audit } from '../store/audit.js';
import { TOKEN_PREFIX, createOrganisation } from '../store/orgs.js';
import { organisationPage, organisationDetail, serversOf, findingsOf, reportsOf, historyOf, setServerStatus } from '../store/queries.js';
import { ORG_SETTABLE, actorOf, requireOrgAccess, requireStaff } from './access.js';
import { forbidden, notFound } from './errors.js';
import { type Api, ErrorBody, FindingRow, HistoryRow, IdParams, NewOrganisationBody, Organisation, Page, Paging, ReportRow, Server, Status } from './schemas.js';

export function registerOrganisationRoutes(api: Api, ctx: ServiceContext): void {
  const db = ctx.h.db;

  api.get('/api/v1/organisations', {
    schema: {
      summary: 'Organisations with their status and counts (staff); filters: status, q (name), country, sector, problem (vulnerable|compromised)',
      tags: ['organisations'],
      querystring: Type.Object({ status: Type.Optional(Type.String({ maxLength: 20 })), q: Type.Optional(Type.String({ maxLength: 200 })), country: Type.Optional(Type.String({ maxLength: 2 })), sector: Type.Optional(Type.String({ maxLength: 200 })), problem: Type.Optional(Type.Union([Type.Literal('vulnerable'), Type.Literal('compromised')])), ...Paging }),
      response: { 200: Page(Organisation), 401: ErrorBody, 403: ErrorBody },
    },
  }, async (req) => {
    requireStaff(req);
    return organisationPage(db, req.query);
  });

  api.post('/api/v1/organisations', {
    schema: { summary: 'Register an organisation (analyst); answers with its id and API token (shown once)', tags: ['organisations'], body: NewOrganisationBody, response: { 201: Type.Object({ id: Type.String(), token: Type.String() }), 400: ErrorBody } },
  }, async (req, reply) => {
    const s = requireStaff(req, 'analyst');
    return reply.status(201).send(await createOrganisation(db, req.body, s.user.email, ctx.now()));
  });

  api.get('/api/v1/organisations/:id', {
    schema: { summary: 'One organisation, with its ranges and domains', tags: ['organisations'], params: IdParams, response: { 200: Organisation, 404: ErrorBody } },
  }, async (req) => {
    requireOrgAccess(req, req.params.id);
    const org = await organisationDetail(db, req.params.id);
    if (!org) throw notFound();
    return org;
  });

  // The organisation's own lists: same access rule, same paging.
  const lists = [
    { path: 'servers', summary: "The organisation's Exchange servers and their latest state", item: Server, read: serversOf },
    { path: 'findings', summary: "Findings from the organisation's uploaded hunt reports, most severe first", item: FindingRow, read: findingsOf },
    { path: 'reports', summary: "The organisation's uploaded hunt reports, newest first", item: ReportRow, read: reportsOf },
    { path: 'history', summary: "Remediation history of the organisation's servers, newest first", item: HistoryRow, read: historyOf },
  ] as const;
  for (const l of lists) {
    api.get(`/api/v1/organisations/:id/${l.path}`, {
      schema: { summary: l.summary, tags: ['organisations'], params: IdParams, querystring: Type.Object(Paging), response: { 200: Page(l.item), 404: ErrorBody } },
    }, async (req) => {
      requireOrgAccess(req, req.params.id);
      return l.read(db, req.params.id, req.query) as never;
    });
  }

  api.get('/api/v1/reports/:id', {
    // No response schema: the stored JSON text is sent as it is.
    schema: { summary: 'An uploaded hunt report as it was uploaded (JSON)', tags: ['organisations'], params: IdParams },
  }, async (req, reply) => {
    const row = await db.selectFrom('reports').select(['org_id', 'body']).where('id', '=', req.params.id).executeTakeFirst();
    // Access is checked against the owner before anything else, so a foreign id looks like a missing one.
    if (!row) throw notFound();
    requireOrgAccess(req, row.org_id);
    return reply.type('application/json; charset=utf-8').send(row.body);
  });

  api.post('/api/v1/organisations/:id/tokens', {
    schema: { summary: 'Issue another API token for the organisation (analyst); shown once', tags: ['organisations'], params: IdParams, body: Type.Object({ label: Type.Optional(Type.String({ maxLength: 200 })) }), response: { 201: Type.Object({ id: Type.String(), token: Type.String() }), 404: ErrorBody } },
  }, async (req, reply) => {
    const s = requireStaff(req, 'analyst');
    if (!(await organisationDetail(db, req.params.id))) throw notFound();
    const token = randomSecret(TOKEN_PREFIX);
    const id = randomUUID();
    await db.insertInto('org_tokens').values({ id, org_id: req.params.id, token_hash: sha256Hex(token), label: req.body.label ?? 'issued by staff', created_at: ctx.now().toISOString(), revoked_at: null }).execute();
    await audit(db, { actor: s.user.email, action: 'issue-token', entity: 'organisation', entityId: req.params.id, detail: { token: id } }, ctx.now());
    return reply.status(201).send({ id, token });
  });

  api.put('/api/v1/servers/:id/status', {
    schema: {
      summary: 'Move a server along open → notified → acknowledged → patched/cleaned → verified (organisations may report acknowledged, patched, cleaned)',
      tags: ['remediation'],
      params: IdParams,
      body: Type.Object({ status: Status, note: Type.Optional(Type.String({ maxLength: 2000 })) }),
      response: { 200: Type.Object({ status: Type.String() }), 403: ErrorBody, 404: ErrorBody },
    },
  }, async (req) => {
    const server = await db.selectFrom('servers').select(['org_id']).where('id', '=', req.params.id).executeTakeFirst();
    if (!server || server.org_id === null) {
      if (req.principal.kind !== 'staff') throw notFound();
      throw notFound('server not found or not attributed to an organisation');
    }
    requireOrgAccess(req, server.org_id, 'analyst');
    const status = req.body.status as RemediationStatus;
    if (req.principal.kind === 'org' && !ORG_SETTABLE.includes(status)) throw forbidden(`an organisation may report ${ORG_SETTABLE.join(', ')}; ${status} is set by the CERT`);
    await setServerStatus(db, req.params.id, status, actorOf(req.principal), req.body.note ?? '', ctx.now());
    return { status };
  });
}
