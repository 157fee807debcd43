// The AnchorMailbox value the ProxyLogon SSRF leaves in HttpProxy logs, shared by the detectors
// that read it: `ServerInfo~<backend>/<path>`, where the X-BEResource cookie makes <backend> look
// like `a]@exch01.contoso.local:444`.
// Sources: microsoft/CSS-Exchange Test-ProxyLogon.ps1; real rows in helsecert/2021-march-exchange
// and CSS-Exchange issues #100/#102.

export interface ServerInfoAnchor {
  backend: string;
  /** Path and query as proxied, e.g. `/ecp/proxyLogon.ecp?#`. */
  path: string;
}

const ANCHOR = /^ServerInfo~([^/]*)(\/.*)$/i;

export function parseServerInfoAnchor(anchor: string): ServerInfoAnchor | undefined {
  const m = ANCHOR.exec(anchor);
  return m ? { backend: m[1]!, path: m[2]! } : undefined;
}

/**
 * The cookie's tell-tale shapes (`a]@host`, an explicit back-end port). With an authenticated user
 * only these count: a plain host name is Exchange's own cross-server proxying, while the attacker's
 * requests after proxyLogon.ecp can carry the session's user.
 */
export function isSsrfBackend(backend: string): boolean {
  return /[@\]]|:\d+$/.test(backend);
}
