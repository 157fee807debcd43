// `exhunt serve`: open the database (migrating it), start the job queue — with SQLite an
// in-process worker pool runs the jobs; with PostgreSQL `exhunt worker` processes do —, build the
// HTTP app and listen.
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { LoginLimiter } from './auth/login-limit.js';
import { type DbHandle, openDatabase } from './db/connect.js';
import type { ServeSettings, ServiceContext } from './context.js';
import { openQueue } from './jobs/queue.js';
import { startInProcessWorkers } from './worker.js';

export interface ServiceOptions extends ServeSettings {
  dataDir: string;
  databaseUrl?: string | undefined;
  host: string;
  port: number;
  /** In-process job runners (SQLite only; PostgreSQL uses exhunt worker processes). */
  workers: number;
}

export interface RunningService {
  app: FastifyInstance;
  h: DbHandle;
  url: string;
  close(): Promise<void>;
}

export async function startService(o: ServiceOptions): Promise<RunningService> {
  const h = await openDatabase({ dataDir: o.dataDir, databaseUrl: o.databaseUrl });
  const queue = await openQueue(h);
  const pool = h.dialect === 'sqlite' && o.workers > 0 ? await startInProcessWorkers(h, { concurrency: o.workers, queue }) : undefined;
  const ctx: ServiceContext = { h, queue, limiter: new LoginLimiter(), settings: o, now: () => new Date() };
  const app = await buildApp(ctx);
  try {
    await app.listen({ host: o.host, port: o.port });
  } catch (err) {
    await pool?.stop();
    await queue.close();
    await h.close();
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const shown = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    app,
    h,
    url: `http://${shown}:${port}`,
    close: async () => {
      await app.close();
      await pool?.stop();
      await queue.close();
      await h.close();
    },
  };
}
