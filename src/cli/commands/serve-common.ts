// What serve, worker and admin share: where the data lives, and waiting for Ctrl-C / SIGTERM.
import path from 'node:path';

export const DEFAULT_DATA_DIR = 'exhunt-data';

export function dataSettings(flag: string | undefined, env: Record<string, string | undefined>): { dataDir: string; databaseUrl: string | undefined } {
  const databaseUrl = env['DATABASE_URL'] && env['DATABASE_URL'] !== '' ? env['DATABASE_URL'] : undefined;
  return { dataDir: path.resolve(flag ?? env['EXHUNT_DATA'] ?? DEFAULT_DATA_DIR), databaseUrl };
}

/** Resolves on the first SIGINT or SIGTERM. */
export function waitForStop(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.removeListener('SIGINT', done);
      process.removeListener('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    signal?.addEventListener('abort', done, { once: true });
  });
}
