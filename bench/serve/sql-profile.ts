// Where a slow request spends its time: better-sqlite3 runs each statement synchronously, so
// timing Statement#all/get/run (patched on the shared native prototype, in this benchmark process
// only) while one request is served gives the SQL it ran, with parameters and milliseconds.
// EXPLAIN QUERY PLAN of the slowest ones, on a second read-only connection, says why.
import BetterSqlite3 from 'better-sqlite3';

export interface StatementTime {
  sql: string;
  params: unknown[];
  ms: number;
}

type Run = (this: { source: string }, ...args: unknown[]) => unknown;

let recording: StatementTime[] | undefined;

/** Patches the statement methods once; afterwards record() captures what runs inside fn. */
export function installStatementTimer(): void {
  const probe = new BetterSqlite3(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<'all' | 'get' | 'run', Run>;
  probe.close();
  for (const m of ['all', 'get', 'run'] as const) {
    const original = proto[m];
    proto[m] = function timed(this: { source: string }, ...args: unknown[]): unknown {
      if (!recording) return original.apply(this, args);
      const t = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        recording.push({ sql: this.source, params: args.flat(), ms: performance.now() - t });
      }
    };
  }
}

export async function record(fn: () => Promise<unknown>): Promise<StatementTime[]> {
  recording = [];
  try {
    await fn();
    return recording;
  } finally {
    recording = undefined;
  }
}

/** EXPLAIN QUERY PLAN as indented lines ("SCAN servers USING INDEX …"). */
export function explain(file: string, sql: string, params: unknown[]): string[] {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { id: number; parent: number; detail: string }[];
    const depth = new Map<number, number>([[0, 0]]);
    return rows.map((r) => {
      const d = (depth.get(r.parent) ?? 0) + 1;
      depth.set(r.id, d);
      return `${'  '.repeat(d - 1)}${r.detail}`;
    });
  } finally {
    db.close();
  }
}
