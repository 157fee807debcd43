// Who is asking, and what they may do. An organisation token reads and writes only its own
// organisation's data: anything else answers 404, as if it did not exist. Staff have roles:
// viewer (read), analyst (read and change), admin (also users and the audit log).
import type { FastifyRequest } from 'fastify';
import type { Role, RemediationStatus } from '../db/schema.js';
import type { Session } from '../auth/sessions.js';
import { forbidden, notFound, unauthorised } from './errors.js';

export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'org'; orgId: string }
  | { kind: 'staff'; session: Session; sessionId: string };

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

const RANK: Record<Role, number> = { viewer: 0, analyst: 1, admin: 2 };

export function actorOf(p: Principal): string {
  if (p.kind === 'staff') return p.session.user.email;
  if (p.kind === 'org') return `org:${p.orgId}`;
  return 'anonymous';
}

/** Staff with at least `role`. */
export function requireStaff(req: FastifyRequest, role: Role = 'viewer'): Session {
  const p = req.principal;
  if (p.kind === 'anonymous') throw unauthorised();
  if (p.kind !== 'staff') throw forbidden('this needs a staff account');
  if (RANK[p.session.user.role] < RANK[role]) throw forbidden(`this needs the ${role} role`);
  return p.session;
}

/** Staff, or the organisation's own token. Another organisation's token gets 404. */
export function requireOrgAccess(req: FastifyRequest, orgId: string, staffRole: Role = 'viewer'): void {
  const p = req.principal;
  if (p.kind === 'anonymous') throw unauthorised();
  if (p.kind === 'org') {
    if (p.orgId !== orgId) throw notFound();
    return;
  }
  requireStaff(req, staffRole);
}

/** The organisation an upload is for: the token's own, or (staff analysts) the one named by ?org=. */
export function uploadOrg(req: FastifyRequest, named: string | undefined): string {
  const p = req.principal;
  if (p.kind === 'anonymous') throw unauthorised();
  if (p.kind === 'org') {
    if (named !== undefined && named !== p.orgId) throw notFound();
    return p.orgId;
  }
  requireStaff(req, 'analyst');
  if (!named) throw forbidden('staff uploads name the organisation: ?org=<id>');
  return named;
}

/** Status changes an organisation may report itself; staff (analyst) may set any. */
export const ORG_SETTABLE: readonly RemediationStatus[] = ['acknowledged', 'patched', 'cleaned'];
