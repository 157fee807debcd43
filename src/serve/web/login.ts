// Signing in and out with a form: the same checks as POST /api/v1/session (rate limit per client and
// per account, the audit of failures, the same cookie), then back to the page that asked — but only
// to a path on this site, never to another host (an open redirect would lend phishing our name).
import type { FastifyInstance } from 'fastify';
import { sessionCookieOptions } from '../api/core-routes.js';
import { attemptLogin, fromThisSite } from '../auth/login.js';
import { SESSION_COOKIE, createSession, endSession } from '../auth/sessions.js';
import type { ServiceContext } from '../context.js';
import { type Query, esc, noticeFor, param, sendPage } from './html.js';
import { page } from './layout.js';

/** `next` when it is a path on this site: one leading slash, no backslash, no control character. */
export function localPath(next: string | undefined): string {
  if (!next || next.length > 500) return '/';
  return /^\/(?![/\\])[^\\\u0000-\u001f\u007f]*$/.test(next) ? next : '/';
}

function loginPage(next: string, error?: string, email = '', notice?: string): string {
  const body = `<div class="login panel"><h1>Sign in</h1>
<form class="stack" method="post" action="/login">
<input type="hidden" name="next" value="${esc(next)}">
<label>E-mail address<input type="email" name="email" value="${esc(email)}" autocomplete="username" required maxlength="254" autofocus></label>
<label>Password<input type="password" name="password" autocomplete="current-password" required maxlength="1000"></label>
<button type="submit">Sign in</button>
</form></div>`;
  return page({ title: 'Sign in', error, notice }, body);
}

export function registerLoginPages(app: FastifyInstance, ctx: ServiceContext): void {
  app.get('/login', async (req, reply) => {
    const q = req.query as Query;
    const next = localPath(param(q, 'next', 500));
    if (req.principal.kind === 'staff') return reply.redirect(next, 303);
    return sendPage(reply, loginPage(next, undefined, '', noticeFor(q)));
  });

  app.post('/login', async (req, reply) => {
    const form = (req.body ?? {}) as Query;
    const email = param(form, 'email', 254) ?? '';
    const password = typeof form['password'] === 'string' ? form['password'].slice(0, 1000) : '';
    const next = localPath(param(form, 'next', 500));
    if (!fromThisSite(req)) return sendPage(reply, loginPage(next, 'Sign-in from another site is refused.', ''), 403);
    const outcome = await attemptLogin(ctx.h.db, ctx.limiter, req.ip, email, password, ctx.now());
    if (outcome.kind === 'limited') {
      reply.header('Retry-After', String(outcome.retryAfter));
      return sendPage(reply, loginPage(next, `Too many failed sign-ins; try again in ${outcome.retryAfter} seconds.`, email), 429);
    }
    if (outcome.kind === 'wrong') return sendPage(reply, loginPage(next, 'Wrong e-mail address or password.', email), 401);
    const user = outcome.user;
    const { id } = await createSession(ctx.h.db, user, ctx.now());
    reply.setCookie(SESSION_COOKIE, id, sessionCookieOptions(ctx));
    return reply.redirect(next, 303);
  });

  app.post('/logout', async (req, reply) => {
    if (req.principal.kind === 'staff') await endSession(ctx.h.db, req.principal.sessionId);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/login?notice=signed-out', 303);
  });
}
