// Bulk input from the CERT's side: Shadowserver scan_exchange reports, organisation lists, and the
// triage queue of servers no organisation owns.
import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../context.js';
import { importOrganisations } from '../ingest/organisations.js';
import { importShadowserver } from '../ingest/shadowserver.js';
import { assignServer, listUnmatched } from '../store/observations.js';
import { requireStaff } from './access.js';
import { HttpError } from './errors.js';
import { type Api, ErrorBody, IdParams, Paging } from './schemas.js';

const FileQuery = Type.Object({ name: Type.Optional(Type.String({ maxLength: 200, description: 'The file name, for error messages' })) });

function textBody(body: unknown): string {
  if (typeof body !== 'string') throw new HttpError(415, 'send the file as the request body with Content-Type: text/csv (or application/json for an organisation list)');
  return body;
}

export function registerImportRoutes(api: Api, ctx: ServiceContext): void {
  const db = ctx.h.db;

  api.post('/api/v1/imports/shadowserver', {
    bodyLimit: ctx.settings.maxUploadBytes,
    schema: {
      summary: 'Import a Shadowserver scan_exchange CSV report (analyst): rows become observations, attributed by range or domain',
      tags: ['ingest'],
      consumes: ['text/csv'],
      querystring: FileQuery,
      response: { 200: Type.Object({ inserted: Type.Integer(), duplicates: Type.Integer(), unmatched: Type.Integer(), servers: Type.Integer(), organisations: Type.Integer(), errors: Type.Array(Type.String()) }), 415: ErrorBody },
    },
  }, async (req) => {
    const s = requireStaff(req, 'analyst');
    const r = await importShadowserver(db, textBody(req.body), req.query.name ?? 'upload.csv', s.user.email, ctx.now());
    return { inserted: r.inserted, duplicates: r.duplicates, unmatched: r.unmatched, servers: r.servers, organisations: r.orgs.length, errors: r.errors.slice(0, 1000) };
  });

  api.post('/api/v1/imports/organisations', {
    bodyLimit: ctx.settings.maxUploadBytes,
    schema: {
      summary: 'Import an organisation list (analyst): CSV name,sector,country,ranges,domains,abuse or a JSON array; known names are updated',
      tags: ['ingest'],
      consumes: ['text/csv', 'application/json'],
      querystring: FileQuery,
      response: { 200: Type.Object({ created: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), token: Type.String() })), updated: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })), unchanged: Type.Integer(), errors: Type.Array(Type.String()) }), 415: ErrorBody },
    },
  }, async (req) => {
    const s = requireStaff(req, 'analyst');
    // A JSON list arrives parsed; the importer reads text either way.
    const text = Array.isArray(req.body) ? JSON.stringify(req.body) : textBody(req.body);
    return importOrganisations(db, text, req.query.name ?? 'organisations.csv', s.user.email, ctx.now());
  });

  api.get('/api/v1/unmatched', {
    schema: {
      summary: 'Servers no organisation owns (staff), newest sighting first: the triage queue',
      tags: ['triage'],
      querystring: Type.Object(Paging),
      response: { 200: Type.Object({ total: Type.Integer(), servers: Type.Array(Type.Object({}, { additionalProperties: true })) }) },
    },
  }, async (req) => {
    requireStaff(req);
    return listUnmatched(db, { limit: req.query.limit ?? 50, offset: req.query.offset ?? 0 });
  });

  api.post('/api/v1/unmatched/:id/assign', {
    schema: { summary: 'Attribute an unmatched server (and its observations) to an organisation (analyst)', tags: ['triage'], params: IdParams, body: Type.Object({ organisation: Type.String({ maxLength: 64 }) }), response: { 200: Type.Object({ address: Type.String() }), 400: ErrorBody } },
  }, async (req) => {
    const s = requireStaff(req, 'analyst');
    const r = await assignServer(db, req.params.id, req.body.organisation, s.user.email, ctx.now());
    return { address: r.address };
  });
}
