// Test databases for the service: a SQLite file in a temporary folder, and a fresh PostgreSQL
// database (created in the local server, dropped afterwards) so that tests never share state.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type DbHandle, openDatabase } from '../src/serve/db/connect.js';
import { tempDir } from './helpers.js';

/** The server CI runs (127.0.0.1:5432, trust auth); EXHUNT_TEST_PG overrides. */
export const PG_ADMIN_URL = process.env['EXHUNT_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  kind: 'sqlite' | 'postgres';
  /** DATABASE_URL for child processes (undefined for SQLite: use dataDir). */
  url: string | undefined;
  dataDir: string;
  open(): Promise<DbHandle>;
  drop(): Promise<void>;
}

export async function createTestDatabase(kind: 'sqlite' | 'postgres'): Promise<TestDatabase> {
  const dataDir = tempDir('exhunt-serve-');
  if (kind === 'sqlite') return { kind, url: undefined, dataDir, open: () => openDatabase({ dataDir }), drop: async () => undefined };
  const name = `exhunt_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  return {
    kind,
    url,
    dataDir,
    open: () => openDatabase({ dataDir, databaseUrl: url, poolSize: 4 }),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export const DATABASE_KINDS = ['sqlite', 'postgres'] as const;
