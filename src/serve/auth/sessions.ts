// Staff sessions: a random id in an httpOnly, Secure, SameSite=Strict cookie (stored hashed, so a
// database leak does not hand out live sessions), with a per-session CSRF token that every
// state-changing request made with the cookie must echo (form field or X-CSRF-Token header).
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, Role } from '../db/schema.js';
import { audit } from '../store/audit.js';
import { hashPassword, randomSecret, sha256Hex, verifyPassword } from './secrets.js';

export const SESSION_COOKIE = 'exhunt_session';
export const SESSION_HOURS = 12;

export interface StaffUser {
  id: string;
  email: string;
  role: Role;
}

export interface Session {
  user: StaffUser;
  csrf: string;
  expiresAt: string;
}

// A hash to verify against when the e-mail is unknown, so that a wrong address takes as long as a
// wrong password and the response time does not tell which accounts exist.
let decoy: Promise<string> | undefined;

export async function checkLogin(db: Kysely<Database>, email: string, password: string): Promise<StaffUser | undefined> {
  const row = await db.selectFrom('users').select(['id', 'email', 'role', 'password_hash', 'disabled']).where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
  if (!row) {
    decoy ??= hashPassword(randomSecret(''));
    await verifyPassword(password, await decoy);
    return undefined;
  }
  const ok = await verifyPassword(password, row.password_hash);
  if (!ok || row.disabled) return undefined;
  return { id: row.id, email: row.email, role: row.role };
}

export async function createSession(db: Kysely<Database>, user: StaffUser, now = new Date()): Promise<{ id: string; session: Session }> {
  const id = randomSecret('');
  const csrf = randomSecret('');
  const expiresAt = new Date(now.getTime() + SESSION_HOURS * 3600_000).toISOString();
  await db.insertInto('sessions').values({ id_hash: sha256Hex(id), user_id: user.id, csrf, created_at: now.toISOString(), expires_at: expiresAt }).execute();
  await db.updateTable('users').set({ last_login_at: now.toISOString() }).where('id', '=', user.id).execute();
  await audit(db, { actor: user.email, action: 'login', entity: 'user', entityId: user.id }, now);
  return { id, session: { user, csrf, expiresAt } };
}

export async function findSession(db: Kysely<Database>, id: string, now = new Date()): Promise<Session | undefined> {
  if (id.length < 20 || id.length > 100) return undefined;
  const row = await db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['users.id as userId', 'users.email', 'users.role', 'users.disabled', 'sessions.csrf', 'sessions.expires_at'])
    .where('sessions.id_hash', '=', sha256Hex(id)).executeTakeFirst();
  if (!row || row.disabled || row.expires_at <= now.toISOString()) return undefined;
  return { user: { id: row.userId, email: row.email, role: row.role }, csrf: row.csrf, expiresAt: row.expires_at };
}

export async function endSession(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', sha256Hex(id)).execute();
}

export function csrfMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

/** Creates a staff account with a one-time password (returned, never stored in clear). */
export async function createUser(db: Kysely<Database>, email: string, role: Role, password: string, actor: string, now = new Date()): Promise<string> {
  const id = randomUUID();
  await db.insertInto('users').values({ id, email: email.trim().toLowerCase(), role, password_hash: await hashPassword(password), created_at: now.toISOString(), last_login_at: null, disabled: 0 }).execute();
  await audit(db, { actor, action: 'create', entity: 'user', entityId: id, detail: { email, role } }, now);
  return id;
}

export async function setPassword(db: Kysely<Database>, userId: string, password: string, actor: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: await hashPassword(password) }).where('id', '=', userId).execute();
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
  await audit(db, { actor, action: 'set-password', entity: 'user', entityId: userId });
}
