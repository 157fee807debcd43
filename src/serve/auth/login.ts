// Signing in, for the API and the sign-in page alike: the rate limit, the password check, the
// audit entry for a failure, and the cross-site check that keeps another site from signing a
// visitor's browser into an account of its choosing (login CSRF).
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { audit } from '../store/audit.js';
import type { LoginLimiter } from './login-limit.js';
import { type StaffUser, checkLogin } from './sessions.js';

export type LoginOutcome = { kind: 'ok'; user: StaffUser } | { kind: 'limited'; retryAfter: number } | { kind: 'wrong' };

export async function attemptLogin(db: Kysely<Database>, limiter: LoginLimiter, ip: string, given: string, password: string, now: Date): Promise<LoginOutcome> {
  const email = given.trim().toLowerCase().slice(0, 254);
  const wait = limiter.retryAfter(ip, email);
  if (wait > 0) return { kind: 'limited', retryAfter: wait };
  // Counted before the (slow) password check, so guesses sent in parallel each see the others.
  limiter.fail(ip, email);
  const user = await checkLogin(db, email, password);
  if (!user) {
    await audit(db, { actor: email, action: 'login-failed', entity: 'user', entityId: email, detail: { ip } }, now);
    return { kind: 'wrong' };
  }
  limiter.forgive(ip, email);
  return { kind: 'ok', user };
}

/**
 * False when the browser says the request comes from another site (Origin, else Referer). A page
 * that hides its origin sends `Origin: null`: that is refused too (ours send their origin).
 */
export function fromThisSite(req: FastifyRequest): boolean {
  const source = req.headers.origin ?? req.headers.referer;
  if (source === undefined) return true;
  if (source === 'null') return false;
  try {
    return new URL(source).host === req.headers.host;
  } catch {
    return false;
  }
}
