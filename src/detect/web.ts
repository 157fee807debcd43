// Small helpers the HTTP detectors share: URL decoding that never throws, status classes and
// user-agent normalisation across IIS (`+` for space) and HttpProxy (`,` replaced by a space).
import type { WebRequest } from '../core/types.js';

/** Percent-decodes what decodes and leaves the rest; applied twice to undo double encoding. */
export function decodeUrl(s: string): string {
  let out = s;
  for (let round = 0; round < 2 && out.includes('%'); round++) {
    out = out.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
  return out;
}

/** `stem?query`, percent-decoded and lower-cased: the form URL rules compare against. */
export function normalizedUrl(web: WebRequest): string {
  const q = web.query ? `?${web.query}` : '';
  return decodeUrl(web.stem + q).toLowerCase();
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

export function normalizeUserAgent(ua: string): string {
  return ua.replace(/[+,]/g, ' ').replace(/\s+/g, ' ').trim().toLowerCase();
}

export function statusText(status: number): string {
  return status ? String(status) : 'no status';
}

/** The final path segment of a URL path, lower-cased. */
export function lastSegment(stem: string): string {
  const s = stem.toLowerCase();
  return s.slice(s.lastIndexOf('/') + 1);
}


/** Shortens attacker-supplied text for a one-line summary (rendering escapes it later). */
export function clip(s: string, max = 120): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
