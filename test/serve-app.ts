// A service for tests: the real app (buildApp) on 127.0.0.1 with a fresh database, plus one-line
// helpers to make staff sessions and organisations. Nothing starts on import.
import { LoginLimiter } from '../src/serve/auth/login-limit.js';
import { checkLogin, createSession, createUser } from '../src/serve/auth/sessions.js';
import { buildApp } from '../src/serve/app.js';
import type { ServiceContext } from '../src/serve/context.js';
import type { DbHandle } from '../src/serve/db/connect.js';
import type { Role } from '../src/serve/db/schema.js';
import { type NewOrganisation, createOrganisation } from '../src/serve/store/orgs.js';
import { type TestDatabase, createTestDatabase } from './serve-db.js';

export interface Staff {
  cookie: string;
  csrf: string;
  email: string;
}

export interface TestService {
  url: string;
  ctx: ServiceContext;
  h: DbHandle;
  tdb: TestDatabase;
  staff(role: Role, email?: string): Promise<Staff>;
  org(o: NewOrganisation): Promise<{ id: string; token: string }>;
  close(): Promise<void>;
}

let counter = 0;

export async function startTestService(kind: 'sqlite' | 'postgres' = 'sqlite', settings: Partial<ServiceContext['settings']> = {}): Promise<TestService> {
  const tdb = await createTestDatabase(kind);
  const h = await tdb.open();
  const ctx: ServiceContext = {
    h,
    queue: undefined,
    limiter: new LoginLimiter(),
    settings: { maxUploadBytes: 32 * 1024 * 1024, sender: 'cert@example.org', secureCookies: true, ...settings },
    now: () => new Date(),
  };
  const app = await buildApp(ctx);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    url,
    ctx,
    h,
    tdb,
    async staff(role, email = `${role}${++counter}@cert.example`) {
      const password = `pw-${role}-${counter}-long-enough`;
      await createUser(h.db, email, role, password, 'test');
      const user = (await checkLogin(h.db, email, password))!;
      const { id, session } = await createSession(h.db, user);
      return { cookie: `exhunt_session=${id}`, csrf: session.csrf, email };
    },
    org: (o) => createOrganisation(h.db, o, 'test'),
    async close() {
      await app.close();
      await h.close();
      await tdb.drop();
    },
  };
}

/** fetch with JSON in and out. */
export async function call(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown; raw?: string } = {}): Promise<{ status: number; body: any; text: string; headers: Headers }> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  let body: string | undefined = init.raw;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, { method: init.method ?? 'GET', headers, ...(body !== undefined ? { body } : {}), redirect: 'manual' });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
export const session = (s: Staff): Record<string, string> => ({ cookie: s.cookie, 'x-csrf-token': s.csrf });
