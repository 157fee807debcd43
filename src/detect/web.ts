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

interface Memo {
  path?: string;
  query?: string;
  url?: string;
  ua?: string;
}

// Several detectors look at the same request; each normalised form is computed once per request.
const memo = new WeakMap<WebRequest, Memo>();

function memoOf(web: WebRequest): Memo {
  let m = memo.get(web);
  if (!m) {
    m = {};
    memo.set(web, m);
  }
  return m;
}

/** The path, percent-decoded and lower-cased. */
export function pathOf(web: WebRequest): string {
  const m = memoOf(web);
  return (m.path ??= decodeUrl(web.stem).toLowerCase());
}

/** The query, percent-decoded (case kept). */
export function queryOf(web: WebRequest): string {
  const m = memoOf(web);
  return (m.query ??= decodeUrl(web.query));
}

/** `stem?query`, percent-decoded and lower-cased: the form URL rules compare against. */
export function normalizedUrl(web: WebRequest): string {
  const m = memoOf(web);
  return (m.url ??= decodeUrl(web.stem + (web.query ? `?${web.query}` : '')).toLowerCase());
}

/** The user agent, normalised (see normalizeUserAgent). */
export function userAgentOf(web: WebRequest): string {
  const m = memoOf(web);
  return (m.ua ??= normalizeUserAgent(web.userAgent));
}

/** An ASP.NET page or handler (what a web shell is): `.aspx`, `.asp`, `.ashx`, also with path info after it. */
export function isScriptPage(stem: string): boolean {
  return /\.(aspx?|ashx)(\/|$)/i.test(stem);
}

/**
 * The back end answered (2xx or a redirect): for the Autodiscover SSRF a 302 is as telling as a
 * 200 — Nextron's ProxyShell log rules and public checks count both — while 401/403 is refusal.
 */
export function reachedBackend(status: number): boolean {
  return status >= 200 && status < 400;
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
