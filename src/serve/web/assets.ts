// The dashboard's stylesheet and script: files in src/serve/web/assets (tsc does not copy them to
// dist/, so they are found the way the report writer finds its own), read once at start-up and
// served with a year-long cache. Pages link them with a content hash in the query string, so a
// changed file is a new URL and no browser keeps a stale copy.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { shippedDir } from '../../core/shipped.js';

interface Asset {
  name: string;
  type: string;
  body: string;
  url: string;
}

let loaded: { css: Asset; js: Asset } | undefined;

function load(dir: string, name: string, type: string): Asset {
  const body = readFileSync(`${dir}/${name}`, 'utf8');
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { name, type, body, url: `/assets/${name}?v=${hash}` };
}

function assets(): { css: Asset; js: Asset } {
  if (!loaded) {
    const dir = shippedDir('serve/web/assets', '.css');
    loaded = { css: load(dir, 'dashboard.css', 'text/css; charset=utf-8'), js: load(dir, 'dashboard.js', 'text/javascript; charset=utf-8') };
  }
  return loaded;
}

/** The versioned URLs pages link to. */
export function assetUrls(): { css: string; js: string } {
  const a = assets();
  return { css: a.css.url, js: a.js.url };
}

export function registerAssets(app: FastifyInstance): void {
  for (const a of Object.values(assets())) {
    app.get(`/assets/${a.name}`, async (_req, reply) => reply.header('Cache-Control', 'public, max-age=31536000, immutable').type(a.type).send(a.body));
  }
}
