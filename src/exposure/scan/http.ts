// One plain GET, as a browser sends it, to an address that was checked against the scope. TLS
// certificates are not verified (internal Exchange servers mostly use their own) but recorded.
// The body is read up to a limit and the whole exchange has a deadline, so a server that accepts
// and never answers, or answers forever, costs one timeout.
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { TOOL_VERSION } from '../../core/version.js';

export const USER_AGENT = `Mozilla/5.0 (compatible; exhunt-scan/${TOOL_VERSION}; Exchange exposure check)`;
const MAX_BODY = 512 * 1024;

export interface TlsInfo {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  expired: boolean;
  selfSigned: boolean;
  altNames: string[];
  sha256: string;
  protocol: string;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  tls?: TlsInfo;
}

export interface RequestSpec {
  /** The address to connect to (already in scope). */
  address: string;
  /** Host header and TLS server name: the name the user gave, or the address. */
  hostName: string;
  port: number;
  tls: boolean;
  path: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Keep-alive agent shared by the requests to one host (one TLS handshake, as a browser does). */
  agent?: http.Agent;
}

/** A keep-alive agent for one host's few requests; destroy it when the host is done. */
export function hostAgent(tls: boolean): http.Agent {
  return tls ? new https.Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false }) : new http.Agent({ keepAlive: true, maxSockets: 1 });
}

export class RequestError extends Error {
  constructor(
    message: string,
    /** The TCP connection was made before it failed. */
    readonly connected: boolean,
    /** Worth trying again (timeout, reset), not a definite answer (refused). */
    readonly transient: boolean,
  ) {
    super(message);
  }
}

function dn(o: Record<string, string | string[] | undefined> | undefined): string {
  if (!o) return '';
  return Object.entries(o)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}

function tlsInfo(socket: TLSSocket, now: number): TlsInfo | undefined {
  const c = socket.getPeerCertificate();
  if (!c || Object.keys(c).length === 0) return undefined;
  const validTo = new Date(c.valid_to);
  return {
    subject: dn(c.subject as unknown as Record<string, string>),
    issuer: dn(c.issuer as unknown as Record<string, string>),
    validFrom: new Date(c.valid_from).toISOString(),
    validTo: validTo.toISOString(),
    expired: validTo.getTime() < now,
    selfSigned: dn(c.subject as unknown as Record<string, string>) === dn(c.issuer as unknown as Record<string, string>),
    altNames: (c.subjectaltname ?? '').split(/,\s*/).filter(Boolean),
    sha256: c.fingerprint256 ?? '',
    protocol: socket.getProtocol() ?? '',
  };
}

function describe(err: NodeJS.ErrnoException): string {
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET') return 'connection reset';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'host unreachable';
  if (/SSL|TLS|EPROTO|ERR_SSL/i.test(code) || /SSL|TLS|wrong version|handshake/i.test(err.message)) return `TLS handshake failed: ${err.message.split('\n')[0]}`;
  return err.message.split('\n')[0] ?? code;
}

export function get(spec: RequestSpec): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let connected = false;
    let settled = false;
    const lib = spec.tls ? https : http;
    const servername = spec.tls && spec.hostName !== spec.address && !spec.hostName.includes(':') ? spec.hostName : undefined;
    const req = lib.request({
      host: spec.address,
      port: spec.port,
      method: 'GET',
      path: spec.path,
      agent: spec.agent ?? false,
      headers: {
        Host: spec.hostName.includes(':') ? `[${spec.hostName}]${portSuffix(spec)}` : `${spec.hostName}${portSuffix(spec)}`,
        'User-Agent': USER_AGENT,
        Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
        'Accept-Language': 'en',
        ...(spec.agent ? {} : { Connection: 'close' }),
      },
      ...(spec.tls ? { rejectUnauthorized: false, servername } : {}),
    });
    const fail = (message: string, transient: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      reject(new RequestError(message, connected, transient));
    };
    const timer = setTimeout(() => fail(`no answer within ${spec.timeoutMs} ms${connected ? ' (connected)' : ''}`, true), spec.timeoutMs);
    const onAbort = (): void => fail('interrupted', false);
    if (spec.signal?.aborted) return onAbort();
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('socket', (socket) => socket.once(spec.tls ? 'secureConnect' : 'connect', () => void (connected = true)).once('connect', () => void (connected = true)));
    req.on('error', (err: NodeJS.ErrnoException) => fail(describe(err), err.code !== 'ECONNREFUSED'));
    req.on('response', (res) => {
      const tls = spec.tls ? tlsInfo(res.socket as TLSSocket, started) : undefined;
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = (): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        spec.signal?.removeEventListener('abort', onAbort);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('latin1'), ...(tls ? { tls } : {}) });
        // A body cut at the limit leaves the connection unusable; a complete one goes back to the agent.
        if (!res.complete) req.destroy();
      };
      res.on('data', (c: Buffer) => {
        if (size >= MAX_BODY) return;
        chunks.push(c);
        size += c.length;
        if (size >= MAX_BODY) finish();
      });
      res.on('end', finish);
      res.on('error', (err: NodeJS.ErrnoException) => (size > 0 ? finish() : fail(describe(err), true)));
    });
    req.end();
  });
}

function portSuffix(spec: RequestSpec): string {
  return (spec.tls && spec.port === 443) || (!spec.tls && spec.port === 80) ? '' : `:${spec.port}`;
}
