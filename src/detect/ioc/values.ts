// One indicator value, of one kind, in the form exhunt compares: what every reader of indicator
// files (CSV, text, STIX, MISP) turns its values into.
import { decodeUrl } from '../web.js';
import { readIp } from './ip.js';

export const INDICATOR_TYPES = ['sha256', 'sha1', 'md5', 'ip', 'user-agent', 'file-path', 'file-name', 'url'] as const;
export type IndicatorType = (typeof INDICATOR_TYPES)[number];

export interface Indicator {
  type: IndicatorType;
  /**
   * Normalised: hashes and names lower case, paths lower case with `/` and no drive, IP addresses as
   * logs write them (ranges as `network/prefix`), URLs as their decoded, lower-case path (and query).
   */
  value: string;
  source: string;
  note?: string;
}

export interface IndicatorParse {
  indicators: Indicator[];
  /** One line each, naming the file: `file:line: what is wrong` or `file: what is wrong`. */
  errors: string[];
}

/** Lower-case folders of a Windows or `/` path without drive letters or %VARIABLES%. */
export function pathParts(p: string): string[] {
  return p
    .toLowerCase()
    .split(/[\\/]+/)
    .filter((s) => s && !/^[a-z]:$/.test(s) && !/^%[^%]+%$/.test(s));
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** `host[:port]` written without a scheme, as feeds often give URLs (`mail.example.com/owa/x.aspx`). */
const BARE_HOST = /^[a-z0-9-]+((\.|\[\.\])[a-z0-9-]+)+(:\d+)?$/i;

/**
 * Pages every Exchange server serves to everyone: a URL indicator with one of these paths (a
 * phishing copy of the OWA logon page, say) would flag the whole day's traffic.
 */
const ORDINARY_EXCHANGE_PATHS = new Set([
  '/owa', '/owa/auth/logon.aspx', '/owa/auth.owa', '/ecp', '/ews/exchange.asmx', '/autodiscover/autodiscover.xml',
  '/mapi/emsmdb', '/mapi/nspi', '/rpc/rpcproxy.dll', '/microsoft-server-activesync', '/oab', '/powershell',
]);

/** The decoded, lower-case path without a trailing `/`: how URL indicators and requests are compared. */
export function urlPathKey(decodedPath: string): string {
  const p = decodedPath.toLowerCase();
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

/** A URL's path and query in compared form; the scheme and host are dropped (logs show no host). */
function readUrl(raw: string): { value: string } | { problem: string } {
  let rest = raw.split('#')[0]!;
  const scheme = SCHEME.exec(rest);
  if (scheme || !rest.startsWith('/')) {
    const afterScheme = scheme ? rest.slice(scheme[0].length) : rest;
    const end = afterScheme.search(/[/?]/);
    const host = end < 0 ? afterScheme : afterScheme.slice(0, end);
    if (scheme || BARE_HOST.test(host)) rest = end < 0 ? '' : afterScheme.slice(end);
    else if (end > 0) rest = `/${rest}`;
    else return { problem: `"${raw.slice(0, 60)}" is not a valid url` };
  }
  const q = rest.indexOf('?');
  const path = urlPathKey(decodeUrl(q < 0 ? rest : rest.slice(0, q)) || '/');
  const query = q < 0 ? '' : decodeUrl(rest.slice(q + 1)).toLowerCase();
  if (!query && path === '/') return { problem: `URL ${raw.slice(0, 60)} has no path to look for in web logs` };
  if (!query && ORDINARY_EXCHANGE_PATHS.has(path)) return { problem: `URL ${raw.slice(0, 60)} names a page every Exchange server serves; it would match ordinary traffic` };
  return { value: query ? `${path}?${query}` : path };
}

/** The compared form of a value of a kind, or why it is not one. */
export function readValue(type: IndicatorType, raw: string): { value: string } | { problem: string } {
  const v = raw.trim();
  const invalid = { problem: `"${raw.slice(0, 60)}" is not a valid ${type}` };
  if (!v) return invalid;
  switch (type) {
    case 'sha256':
      return /^[0-9a-f]{64}$/i.test(v) ? { value: v.toLowerCase() } : invalid;
    case 'sha1':
      return /^[0-9a-f]{40}$/i.test(v) ? { value: v.toLowerCase() } : invalid;
    case 'md5':
      return /^[0-9a-f]{32}$/i.test(v) ? { value: v.toLowerCase() } : invalid;
    case 'ip':
      return readIp(v);
    case 'user-agent':
      return { value: v };
    case 'file-path': {
      const parts = pathParts(v);
      return parts.length > 0 ? { value: parts.join('/') } : invalid;
    }
    case 'file-name':
      return /[\\/]/.test(v) ? invalid : { value: v.toLowerCase() };
    case 'url':
      return readUrl(v);
  }
}

/** A file name from a feed: a path when it has folders in it (feeds put both in one field). */
export function fileNameType(raw: string): IndicatorType {
  return /[\\/]/.test(raw) ? 'file-path' : 'file-name';
}
