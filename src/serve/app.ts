// The HTTP service: Fastify with TypeBox-validated routes under /api/v1 (the OpenAPI document is
// generated from the same schemas), the dashboard pages, and the hooks every request passes:
// who is asking (organisation token or staff session), CSRF for cookie-authenticated changes, and
// security headers with a strict Content-Security-Policy on every answer.
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { TOOL_VERSION } from '../core/version.js';
import { actorOf } from './api/access.js';
import { HttpError } from './api/errors.js';
import { registerApi } from './api/routes.js';
import { SESSION_COOKIE, csrfMatches, findSession } from './auth/sessions.js';
import type { ServiceContext } from './context.js';
import { InvalidInput, organisationForToken } from './store/orgs.js';
import { registerDashboard } from './web/routes.js';

export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function buildApp(ctx: ServiceContext): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    // Small by default; the upload and import routes set the upload limit themselves.
    bodyLimit: 1024 * 1024,
    // Behind a TLS proxy the client address (rate limit, audit, access log) is in X-Forwarded-For,
    // trusted only from the proxy the operator names.
    trustProxy: ctx.settings.trustProxy ? ctx.settings.trustProxy.split(',').map((a) => a.trim()).filter(Boolean) : false,
    // Only our own routes exist; anything else is a 404 without echoing the path.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 1024 * 1024 });
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'exhunt serve', version: TOOL_VERSION, description: 'The campaign service of exhunt: organisations, servers, exposure observations, hunt reports, findings, notifications and remediation.' },
      components: {
        securitySchemes: {
          orgToken: { type: 'http', scheme: 'bearer', description: "An organisation's API token (exhunt admin create-org prints one)" },
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'A staff session (POST /api/v1/session); changes also need the X-CSRF-Token header' },
        },
      },
    },
  });

  app.decorateRequest('principal', null as never);
  app.addHook('onRequest', async (req) => {
    req.principal = { kind: 'anonymous' };
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(auth);
      const orgId = m ? await organisationForToken(ctx.h.db, m[1]!) : undefined;
      if (!orgId) throw new HttpError(401, 'the API token is unknown or revoked');
      req.principal = { kind: 'org', orgId };
      return;
    }
    const sid = req.cookies[SESSION_COOKIE];
    if (sid) {
      const session = await findSession(ctx.h.db, sid, ctx.now());
      if (session) req.principal = { kind: 'staff', session, sessionId: sid };
    }
    // Nobody reads an upload from someone who has not said who they are: refused before the body.
    if (req.principal.kind === 'anonymous' && !SAFE_METHODS.has(req.method) && req.url.startsWith('/api/') && !req.url.startsWith('/api/v1/session')) throw new HttpError(401, 'sign in, or send Authorization: Bearer <organisation token>');
  });
  // A change made with the session cookie must carry the session's CSRF token; token-authenticated
  // requests carry no ambient credential and need none.
  app.addHook('preHandler', async (req) => {
    if (SAFE_METHODS.has(req.method) || req.principal.kind !== 'staff') return;
    const body = req.body as Record<string, unknown> | undefined;
    const given = req.headers['x-csrf-token'] ?? (body && typeof body === 'object' ? body['_csrf'] : undefined);
    if (!csrfMatches(req.principal.session.csrf, given)) throw new HttpError(403, 'missing or wrong CSRF token; reload the page and try again');
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('Content-Security-Policy', CSP);
    reply.header('X-Content-Type-Options', 'nosniff');
    // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on our own forms, and
    // the sign-in form's cross-site check needs the real origin.
    reply.header('Referrer-Policy', 'same-origin');
    reply.header('X-Frame-Options', 'DENY');
    reply.header('Cross-Origin-Opener-Policy', 'same-origin');
    reply.header('Cross-Origin-Resource-Policy', 'same-origin');
    if (!reply.hasHeader('Cache-Control')) reply.header('Cache-Control', 'no-store');
    return payload;
  });

  const log = ctx.settings.accessLog;
  if (log) {
    app.addHook('onResponse', async (req, reply) => {
      // The path only: query strings can carry search terms, and tokens never travel in URLs.
      log(`${new Date().toISOString()} ${req.ip} ${req.method} ${req.url.split('?')[0]!.slice(0, 300)} ${reply.statusCode} ${reply.elapsedTime.toFixed(1)}ms ${actorOf(req.principal ?? { kind: 'anonymous' })}`);
    });
  }

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown; code?: string }, req, reply) => {
    let status = 500;
    let message = 'internal error';
    if (err instanceof HttpError) {
      status = err.status;
      message = err.message;
    } else if (err instanceof InvalidInput) {
      status = 400;
      message = err.message;
    } else if (err.validation) {
      status = 400;
      message = `invalid request: ${err.message}`;
    } else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      status = err.statusCode;
      message = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? `the upload is larger than the limit of ${ctx.settings.maxUploadBytes} bytes` : err.message;
    } else {
      req.log.error(err);
      process.stderr.write(`exhunt serve: ${req.method} ${req.url.slice(0, 200)} by ${actorOf(req.principal ?? { kind: 'anonymous' })}: ${err.stack ?? err.message}\n`);
    }
    if (status === 401) reply.header('WWW-Authenticate', 'Bearer');
    if (!req.url.startsWith('/api/') && req.method === 'GET' && status === 401) return reply.redirect(`/login?next=${encodeURIComponent(req.url.slice(0, 500))}`);
    return reply.status(status).send({ error: message });
  });
  app.setNotFoundHandler((_req, reply) => reply.status(404).send({ error: 'not found' }));

  await registerApi(app, ctx);
  await registerDashboard(app, ctx);
  return app;
}
