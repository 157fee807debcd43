// One query layer for both databases: SQLite (better-sqlite3, a file in the data folder, no setup)
// by default, PostgreSQL when DATABASE_URL is set. Migrations run before the handle is returned.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { migrate } from './migrations.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface DbHandle {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Where the data lives, for messages: the SQLite file or the PostgreSQL URL without its password. */
  where: string;
  close(): Promise<void>;
}

export interface DbSettings {
  /** postgres://… selects PostgreSQL; otherwise SQLite in dataDir. */
  databaseUrl?: string | undefined;
  dataDir: string;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
}

export const SQLITE_FILE = 'exhunt.sqlite';

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres (unparseable DATABASE_URL)';
  }
}

export async function openDatabase(s: DbSettings): Promise<DbHandle> {
  let handle: DbHandle;
  if (s.databaseUrl && /^postgres(ql)?:\/\//i.test(s.databaseUrl)) {
    const pool = new pg.Pool({ connectionString: s.databaseUrl, max: s.poolSize ?? 10 });
    // An idle connection the server closes (a restart, a terminated backend) is an 'error' event on
    // the pool; unheard, Node would end the process. The pool opens a new connection when needed.
    pool.on('error', (err) => process.stderr.write(`exhunt: database connection lost: ${err.message}\n`));
    // COUNT(*) and SUM come back as bigint strings; our counts fit in a JS number.
    pg.types.setTypeParser(20, (v) => Number(v));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    handle = { db, dialect: 'postgres', where: redact(s.databaseUrl), close: () => db.destroy() };
  } else {
    mkdirSync(s.dataDir, { recursive: true });
    const file = path.join(s.dataDir, SQLITE_FILE);
    const sqlite = new BetterSqlite3(file);
    // WAL: the dashboard reads while workers write; NORMAL sync is durable across process crashes.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    // The default page cache is 2 MB; a national campaign's database is a gigabyte or more, and
    // ingest touches random pages of the dedupe and address indexes. 256 MB keeps them in memory.
    sqlite.pragma('cache_size = -262144');
    sqlite.pragma('temp_store = MEMORY');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    handle = { db, dialect: 'sqlite', where: file, close: () => db.destroy() };
  }
  try {
    await sql`select 1`.execute(handle.db);
    await migrate(handle.db as unknown as Kysely<unknown>, handle.dialect);
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw new Error(`database ${handle.where}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return handle;
}

/** Runs fn in a transaction unless db already is one (Kysely cannot nest them). */
export function atomically<T>(db: Kysely<Database>, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}
