// What every route and page gets: the database, the job queue, the login limiter and settings.
import type { LoginLimiter } from './auth/login-limit.js';
import type { DbHandle } from './db/connect.js';
import type { JobQueue } from './jobs/queue.js';

export interface ServeSettings {
  /** Largest accepted upload (report, scan, CSV import) in bytes. */
  maxUploadBytes: number;
  /** smtp://user:pass@host:port or smtps://…; notifications cannot be sent without it. */
  smtpUrl?: string | undefined;
  /** From: address of notifications. */
  sender: string;
  /** Mark the session cookie Secure (browsers accept Secure cookies from http://localhost too). */
  secureCookies: boolean;
  /** The proxy in front, comma-separated addresses or CIDR ranges: its X-Forwarded-For is then believed. */
  trustProxy?: string | undefined;
  /** One line per request answered (the service's access log); none when not given. */
  accessLog?: ((line: string) => void) | undefined;
}

export interface ServiceContext {
  h: DbHandle;
  queue: JobQueue | undefined;
  limiter: LoginLimiter;
  settings: ServeSettings;
  now(): Date;
}

export const DEFAULT_MAX_UPLOAD = 32 * 1024 * 1024;
