// Health, the OpenAPI document, staff sign-in and staff accounts.
import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import { TOOL_VERSION } from '../../core/version.js';
import { oneTimePassword } from '../auth/secrets.js';
import { attemptLogin, fromThisSite } from '../auth/login.js';
import { SESSION_COOKIE, SESSION_HOURS, createSession, createUser, endSession, setPassword } from '../auth/sessions.js';
import type { ServiceContext } from '../context.js';
import { checkEmail } from '../store/orgs.js';
import { actorOf, requireStaff } from './access.js';
import { HttpError } from './errors.js';
import { type Api, ErrorBody, IdParams, RoleSchema } from './schemas.js';

export const SessionAnswer = Type.Object({ email: Type.String(), role: Type.String(), csrf: Type.String(), expiresAt: Type.String() });

export function sessionCookieOptions(ctx: ServiceContext): { httpOnly: true; secure: boolean; sameSite: 'strict'; path: '/'; maxAge: number } {
  return { httpOnly: true, secure: ctx.settings.secureCookies, sameSite: 'strict', path: '/', maxAge: SESSION_HOURS * 3600 };
}

export function registerCoreRoutes(api: Api, ctx: ServiceContext): void {
  api.get('/api/v1/health', {
    schema: { summary: 'Liveness: 200 when the database answers', tags: ['service'], response: { 200: Type.Object({ status: Type.Literal('ok'), database: Type.String(), version: Type.String() }), 503: ErrorBody } },
  }, async (_req, reply) => {
    try {
      await sql`select 1`.execute(ctx.h.db);
    } catch {
      return reply.status(503).send({ error: 'the database does not answer' });
    }
    return { status: 'ok' as const, database: ctx.h.dialect, version: TOOL_VERSION };
  });

  api.get('/api/v1/openapi.json', { schema: { summary: 'This API as an OpenAPI 3.1 document', tags: ['service'] } }, async () => api.swagger());

  api.post('/api/v1/session', {
    schema: {
      summary: 'Staff sign-in: sets the session cookie and returns the CSRF token to send with changes',
      tags: ['session'],
      body: Type.Object({ email: Type.String({ maxLength: 254 }), password: Type.String({ maxLength: 1000 }) }),
      response: { 200: SessionAnswer, 401: ErrorBody, 429: ErrorBody },
    },
  }, async (req, reply) => {
    if (!fromThisSite(req)) throw new HttpError(403, 'sign-in from another site is refused');
    const outcome = await attemptLogin(ctx.h.db, ctx.limiter, req.ip, req.body.email, req.body.password, ctx.now());
    if (outcome.kind === 'limited') {
      reply.header('Retry-After', String(outcome.retryAfter));
      throw new HttpError(429, `too many failed sign-ins; try again in ${outcome.retryAfter} s`);
    }
    if (outcome.kind === 'wrong') throw new HttpError(401, 'wrong e-mail address or password');
    const user = outcome.user;
    const { id, session } = await createSession(ctx.h.db, user, ctx.now());
    reply.setCookie(SESSION_COOKIE, id, sessionCookieOptions(ctx));
    return { email: user.email, role: user.role, csrf: session.csrf, expiresAt: session.expiresAt };
  });

  api.get('/api/v1/session', { schema: { summary: 'The signed-in staff member and the CSRF token', tags: ['session'], response: { 200: SessionAnswer, 401: ErrorBody, 403: ErrorBody } } }, async (req) => {
    const s = requireStaff(req);
    return { email: s.user.email, role: s.user.role, csrf: s.csrf, expiresAt: s.expiresAt };
  });

  api.delete('/api/v1/session', { schema: { summary: 'Sign out', tags: ['session'], response: { 204: Type.Null() } } }, async (req, reply) => {
    if (req.principal.kind === 'staff') await endSession(ctx.h.db, req.principal.sessionId);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.status(204).send(null);
  });

  const UserRow = Type.Object({ id: Type.String(), email: Type.String(), role: Type.String(), created_at: Type.String(), last_login_at: Type.Union([Type.String(), Type.Null()]), disabled: Type.Boolean() });
  api.get('/api/v1/users', { schema: { summary: 'Staff accounts (admin)', tags: ['users'], response: { 200: Type.Array(UserRow) } } }, async (req) => {
    requireStaff(req, 'admin');
    const rows = await ctx.h.db.selectFrom('users').select(['id', 'email', 'role', 'created_at', 'last_login_at', 'disabled']).orderBy('email').execute();
    return rows.map((r) => ({ ...r, disabled: r.disabled === 1 }));
  });

  api.post('/api/v1/users', {
    schema: { summary: 'Create a staff account (admin); answers with a one-time password', tags: ['users'], body: Type.Object({ email: Type.String({ maxLength: 254 }), role: RoleSchema }), response: { 201: Type.Object({ id: Type.String(), password: Type.String() }), 409: ErrorBody } },
  }, async (req, reply) => {
    const s = requireStaff(req, 'admin');
    const email = checkEmail(req.body.email).toLowerCase();
    if (await ctx.h.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()) throw new HttpError(409, `${email} already has an account`);
    const password = oneTimePassword();
    const id = await createUser(ctx.h.db, email, req.body.role, password, s.user.email, ctx.now());
    return reply.status(201).send({ id, password });
  });

  api.post('/api/v1/users/:id/password', {
    schema: { summary: 'Reset a staff password (admin, or the user for themself); ends their sessions', tags: ['users'], params: IdParams, body: Type.Object({ password: Type.Optional(Type.String({ minLength: 12, maxLength: 1000 })) }), response: { 200: Type.Object({ password: Type.Optional(Type.String()) }) } },
  }, async (req) => {
    const s = requireStaff(req);
    if (s.user.id !== req.params.id) requireStaff(req, 'admin');
    const chosen = req.body.password;
    const password = chosen ?? oneTimePassword();
    await setPassword(ctx.h.db, req.params.id, password, actorOf(req.principal));
    return chosen ? {} : { password };
  });
}
