// A fleet of simulated Exchange front ends (and things that are not) on 127.0.0.1, one port each,
// for the scanner's tests and `npm run bench:scan`. Each host answers the way a real front end
// answers a browser, in one of several fingerprint styles, and records every request it gets so
// tests can prove the scanner sent nothing but plain GETs to the expected paths.
// `node dist/test/fleet.js --serve N` serves N hosts in a child process and prints their specs as JSON.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type HostStyle =
  | 'header' // X-OWA-Version on /owa/, like Exchange 2016/2019/SE
  | 'exporttool' // no header; the export tool manifest has the exact build
  | 'owa-path' // hardened/mitigated: header stripped, export tool blocked; logon page paths only (CU level)
  | 'absolute-redirect' // /owa/ redirects with an absolute URL; otherwise like 'exporttool'
  | 'offsite-redirect' // /owa/ redirects to another host, which must not be followed; export tool answers
  | 'not-exchange' // an ordinary web server
  | 'hidden' // Exchange (X-FEServer, redirect to logon.aspx) but the build shows nowhere
  | 'hang' // accepts the connection and never answers
  | 'broken-tls' // answers a TLS ClientHello with garbage
  | 'closed'; // nothing listens

export interface HostSpec {
  name: string;
  style: HostStyle;
  /** Four-part build the host runs. */
  build?: string;
  tls?: boolean;
}

export interface FleetHost extends HostSpec {
  port: number;
  tls: boolean;
  url: string;
}

export interface RecordedRequest {
  host: string;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  at: number;
}

export interface Fleet {
  hosts: FleetHost[];
  requests: RecordedRequest[];
  /** TCP connections accepted, per host name. */
  connections: Map<string, number>;
  /** The most requests any moment had open at once, over the whole fleet. */
  maxInFlight: () => number;
  close(): Promise<void>;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TLS_DIR = [path.join(HERE, 'fixtures', 'tls'), path.join(HERE, '..', '..', 'test', 'fixtures', 'tls')];

function tlsFiles(): { key: Buffer; cert: Buffer } {
  for (const dir of TLS_DIR) {
    try {
      return { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) };
    } catch {
      // next
    }
  }
  throw new Error('test/fixtures/tls/{key,cert}.pem missing');
}

const cu = (build: string): string => build.split('.').slice(0, 3).join('.');

function logonPage(build: string): string {
  const v = cu(build);
  return `<!DOCTYPE html><html><head><title>Outlook</title>
<link rel="shortcut icon" href="/owa/auth/${v}/themes/resources/favicon.ico" type="image/x-icon">
<link type="text/css" rel="stylesheet" href="/owa/auth/${v}/themes/resources/logon.css">
<script type="text/javascript" src="/owa/auth/${v}/scripts/premium/flogon.js"></script></head>
<body class="signInBg"><form action="/owa/auth.owa" method="POST" name="logonForm"><div class="signInImageHeader">Outlook</div>
<input id="username" name="username" type="email"><input id="password" name="password" type="password"></form></body></html>`;
}

function exportToolManifest(build: string): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<asmv1:assembly manifestVersion="1.0" xmlns:asmv1="urn:schemas-microsoft-com:asm.v1" xmlns="urn:schemas-microsoft-com:asm.v2">
  <assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.application" version="${build}" publicKeyToken="31bf3856ad364e35" language="neutral" processorArchitecture="msil" xmlns="urn:schemas-microsoft-com:asm.v1" />
  <description asmv2:publisher="Microsoft Corporation" asmv2:product="Microsoft Exchange eDiscovery Export Tool" xmlns="urn:schemas-microsoft-com:asm.v1" />
  <dependency><dependentAssembly dependencyType="install" codebase="${build}\\microsoft.exchange.ediscovery.exporttool.exe.manifest" size="12345">
    <assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.exe" version="${build}" publicKeyToken="31bf3856ad364e35" language="neutral" processorArchitecture="msil" type="win32" />
  </dependentAssembly></dependency>
</asmv1:assembly>`;
}

const EXPORT_TOOL = '/ecp/current/exporttool/microsoft.exchange.ediscovery.exporttool.application';

const inFlight = { now: 0, max: 0 };

function handler(spec: HostSpec, port: number, log: RecordedRequest[]): http.RequestListener {
  return (req, res) => {
    log.push({ host: spec.name, method: req.method ?? '', url: req.url ?? '', headers: req.headers, at: Date.now() });
    inFlight.now++;
    inFlight.max = Math.max(inFlight.max, inFlight.now);
    res.once('close', () => void inFlight.now--);
    const url = (req.url ?? '/').split('?')[0]!.toLowerCase();
    const build = spec.build ?? '15.1.2176.2';
    const send = (status: number, body: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', Server: 'Microsoft-IIS/10.0', ...headers });
      res.end(body);
    };
    if (spec.style === 'not-exchange') return url === '/' ? send(200, '<html><body>Welcome</body></html>') : send(404, '<html><body>404 - File or directory not found.</body></html>');
    const exchangeHeaders: Record<string, string> = { 'X-FEServer': 'EXCH01', 'X-Powered-By': 'ASP.NET' };
    if (spec.style === 'header') exchangeHeaders['X-OWA-Version'] = build;
    if (url === '/owa/' || url === '/owa') {
      const scheme = spec.tls === false ? 'http' : 'https';
      const target = '/owa/auth/logon.aspx?url=%2fowa%2f&reason=0';
      const location =
        spec.style === 'absolute-redirect' ? `${scheme}://127.0.0.1:${port}${target}` : spec.style === 'offsite-redirect' ? `https://login.elsewhere.example${target}` : `${scheme}://${req.headers.host}${target}`;
      return send(302, '', { ...exchangeHeaders, Location: location });
    }
    if (url === '/owa/auth/logon.aspx') return send(200, spec.style === 'hidden' ? '<html><body><form name="logonForm">Sign in</form></body></html>' : logonPage(build), exchangeHeaders);
    if (url === EXPORT_TOOL) {
      if (spec.style === 'owa-path' || spec.style === 'hidden') return send(403, '<html><body>403 - Forbidden</body></html>');
      return send(200, exportToolManifest(build), { 'Content-Type': 'application/x-ms-application' });
    }
    return send(404, '<html><body>404 - File or directory not found.</body></html>', exchangeHeaders);
  };
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as net.AddressInfo).port;
}

export async function startFleet(specs: readonly HostSpec[]): Promise<Fleet> {
  const { key, cert } = tlsFiles();
  const requests: RecordedRequest[] = [];
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const connections = new Map<string, number>();
  const toClose: net.Server[] = [];
  const hosts: FleetHost[] = [];
  inFlight.max = 0;
  const track = (server: net.Server, name: string): void => {
    server.on('connection', (s: net.Socket) => {
      connections.set(name, (connections.get(name) ?? 0) + 1);
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
  };
  for (const spec of specs) {
    const tls = spec.tls !== false;
    let server: net.Server;
    if (spec.style === 'hang') {
      server = net.createServer(() => undefined);
    } else if (spec.style === 'broken-tls') {
      server = net.createServer((s) => s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\nnot TLS\r\n')));
    } else if (spec.style === 'closed') {
      server = net.createServer();
    } else {
      const placeholder: { port: number } = { port: 0 };
      const listener: http.RequestListener = (req, res) => handler(spec, placeholder.port, requests)(req, res);
      server = tls ? https.createServer({ key, cert }, listener) : http.createServer(listener);
      const port = await listen(server);
      placeholder.port = port;
      track(server, spec.name);
      servers.push(server);
      hosts.push({ ...spec, port, tls, url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/` });
      continue;
    }
    track(server, spec.name);
    const port = await listen(server);
    // Closed only once every port is taken, so no other host of the fleet gets its number.
    if (spec.style === 'closed') toClose.push(server);
    else servers.push(server);
    hosts.push({ ...spec, port, tls, url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/` });
  }
  await Promise.all(toClose.map((srv) => new Promise<void>((resolve) => srv.close(() => resolve()))));
  return {
    hosts,
    requests,
    connections,
    maxInFlight: () => inFlight.max,
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

/** A mixed fleet of n hosts: builds from the table, every style, a few failures. */
export function mixedFleet(n: number, builds: readonly string[]): HostSpec[] {
  const styles: HostStyle[] = ['header', 'exporttool', 'owa-path', 'header', 'absolute-redirect', 'not-exchange', 'header', 'exporttool', 'hidden', 'closed'];
  return Array.from({ length: n }, (_, i) => ({ name: `host${i}`, style: styles[i % styles.length]!, build: builds[i % builds.length]! }));
}

// Only with --serve: the test runner also loads this file (it is under test/) and must not hang.
if (process.argv[2] === '--serve') {
  const n = Number(process.argv[3] ?? 100);
  const builds = (process.argv[4] ?? '15.1.2176.2,15.2.1118.20,15.0.1497.12,15.2.2562.17,15.1.2507.59').split(',');
  const fleet = await startFleet(mixedFleet(n, builds));
  process.stdout.write(`${JSON.stringify(fleet.hosts)}\n`);
  process.on('SIGTERM', () => void fleet.close().then(() => process.exit(0)));
}
