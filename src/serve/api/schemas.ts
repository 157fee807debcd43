// Request and response schemas (TypeBox → JSON Schema): Fastify validates with them and the
// OpenAPI document is generated from them, so the two cannot disagree.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import { REMEDIATION, ROLES } from '../db/schema.js';

export type Api = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

export const ErrorBody = Type.Object({ error: Type.String() }, { $id: 'Error' });
export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' });
export const IdParams = Type.Object({ id: Id });
export const Paging = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 })),
};
export const Iso = Type.String({ maxLength: 40 });
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
export const Status = Type.Union(REMEDIATION.map((s) => Type.Literal(s)));
export const RoleSchema = Type.Union(ROLES.map((s) => Type.Literal(s)));

const FindingUpload = Type.Object({
  rule: Type.String({ maxLength: 300 }),
  title: Type.String({ maxLength: 2000 }),
  severity: Type.Union(['info', 'low', 'medium', 'high', 'critical'].map((s) => Type.Literal(s))),
  stage: Type.Union(['info', 'scan', 'attempt', 'compromise'].map((s) => Type.Literal(s))),
  cves: Type.Optional(Type.Array(Type.String({ maxLength: 40 }), { maxItems: 200 })),
  time: Type.Optional(Iso),
  lastSeen: Type.Optional(Iso),
  count: Type.Optional(Type.Integer({ minimum: 0 })),
  summary: Type.Optional(Type.String({ maxLength: 20_000 })),
}, { additionalProperties: true });

/** What `exhunt hunt --format json` writes; fields the service does not use pass through unchecked. */
export const ReportUpload = Type.Object({
  schemaVersion: Type.String({ pattern: '^1\\.[0-9]+$' }),
  tool: Type.Object({ name: Type.Literal('exhunt'), version: Type.String({ maxLength: 40 }) }, { additionalProperties: true }),
  generatedAt: Type.Optional(Iso),
  verdict: Type.Object({
    status: Type.Union(['COMPROMISED', 'EXPLOITATION ATTEMPTED', 'SCANNED ONLY', 'NOTHING FOUND'].map((s) => Type.Literal(s))),
    summary: Type.String({ maxLength: 20_000 }),
  }, { additionalProperties: true }),
  findings: Type.Array(FindingUpload, { maxItems: 100_000 }),
  exposure: Type.Optional(Type.Object({
    build: Type.Optional(Nullable(Type.String({ maxLength: 40 }))),
    product: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
    verdict: Type.Optional(Type.String({ maxLength: 40 })),
    cves: Type.Optional(Type.Array(Type.Object({ id: Type.String({ maxLength: 40 }) }, { additionalProperties: true }))),
  }, { additionalProperties: true })),
}, { additionalProperties: true, description: 'A JSON report written by exhunt hunt --format json (schema 1.x, docs/report-schema.md)' });

export const ScanUpload = Type.Object({
  tool: Type.Optional(Type.Object({ name: Type.Literal('exhunt') }, { additionalProperties: true })),
  hosts: Type.Array(Type.Object({}, { additionalProperties: true }), { maxItems: 1_000_000 }),
}, { additionalProperties: true, description: 'The JSON written by exhunt scan --format json' });

export const UploadAnswer = Type.Object({ id: Type.String(), created: Type.Boolean() });
export const ScanAnswer = Type.Object({ id: Type.String(), created: Type.Boolean(), hosts: Type.Integer(), recorded: Type.Integer(), outsideRanges: Type.Integer() });

export const Organisation = Type.Object({
  id: Type.String(),
  name: Type.String(),
  sector: Nullable(Type.String()),
  country: Nullable(Type.String()),
  status: Type.String(),
  servers: Type.Integer(),
  vulnerable: Type.Integer(),
  compromised: Type.Integer(),
  abuse: Type.Array(Type.String()),
  contacts: Type.Array(Type.Object({ name: Type.Optional(Type.String()), email: Type.String(), phone: Type.Optional(Type.String()) })),
  ranges: Type.Optional(Type.Array(Type.String())),
  domains: Type.Optional(Type.Array(Type.String())),
  created_at: Iso,
  updated_at: Iso,
});

export const NewOrganisationBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 300 }),
  sector: Type.Optional(Type.String({ maxLength: 200 })),
  country: Type.Optional(Type.String({ maxLength: 2, minLength: 2 })),
  ranges: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 10_000 })),
  domains: Type.Optional(Type.Array(Type.String({ maxLength: 253 }), { maxItems: 1000 })),
  abuse: Type.Optional(Type.Array(Type.String({ maxLength: 254 }), { maxItems: 50 })),
  contacts: Type.Optional(Type.Array(Type.Object({ name: Type.Optional(Type.String({ maxLength: 200 })), email: Type.String({ maxLength: 254 }), phone: Type.Optional(Type.String({ maxLength: 50 })) }), { maxItems: 50 })),
}, { additionalProperties: false });

export const Server = Type.Object({
  id: Type.String(),
  org_id: Nullable(Type.String()),
  address: Type.String(),
  hostname: Nullable(Type.String()),
  port: Nullable(Type.Integer()),
  build: Nullable(Type.String()),
  product: Nullable(Type.String()),
  verdict: Nullable(Type.String()),
  cves: Type.Array(Type.String()),
  vulnerable: Type.Boolean(),
  compromised: Type.Boolean(),
  status: Type.String(),
  first_seen: Iso,
  last_seen: Iso,
});

export const FindingRow = Type.Object({
  id: Type.String(),
  report_id: Type.String(),
  server_id: Nullable(Type.String()),
  rule: Type.String(),
  title: Type.String(),
  severity: Type.String(),
  stage: Type.String(),
  cves: Type.Array(Type.String()),
  first_seen: Nullable(Iso),
  last_seen: Nullable(Iso),
  count: Type.Integer(),
  summary: Type.String(),
});

export const ReportRow = Type.Object({
  id: Type.String(),
  server_id: Nullable(Type.String()),
  host: Nullable(Type.String()),
  verdict: Type.String(),
  summary: Type.String(),
  schema_version: Type.String(),
  size: Type.Integer(),
  uploaded_at: Iso,
});

export const HistoryRow = Type.Object({
  server_id: Type.String(),
  address: Type.String(),
  from_status: Type.String(),
  to_status: Type.String(),
  at: Iso,
  actor: Type.String(),
  note: Type.String(),
});

export const Page = <T extends Parameters<typeof Type.Array>[0]>(item: T) => Type.Object({ total: Type.Integer(), items: Type.Array(item) });
