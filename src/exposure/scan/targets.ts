// Scan targets as users write them: a host name or address (port 443, or 80 with --http),
// `host:port`, `[v6]:port`, a URL (its scheme and port decide; its path is not used) or a CIDR
// range, expanded to its addresses.
import { isIP } from 'node:net';
import { UsageError } from '../../core/errors.js';
import { isHostName, unbracket } from './scope.js';

export interface Target {
  /** As the user gave it (a range's addresses carry the range and the address). */
  given: string;
  host: string;
  port: number;
  tls: boolean;
}

export interface TargetDefaults {
  tls: boolean;
  port?: number;
}

/** Splits one target into the hosts it names; ranges are expanded lazily. */
export function* expandTarget(spec: string, d: TargetDefaults, maxHosts: number): Generator<Target> {
  const s = spec.trim();
  if (/^https?:\/\//i.test(s)) {
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      throw new UsageError(`target "${spec}" is not a valid URL`);
    }
    const tls = url.protocol === 'https:';
    yield { given: s, host: unbracket(url.hostname), port: url.port ? Number(url.port) : tls ? 443 : 80, tls };
    return;
  }
  const defaultPort = d.port ?? (d.tls ? 443 : 80);
  const slash = s.indexOf('/');
  if (slash !== -1) {
    yield* expandRange(s, slash, d.tls, defaultPort, maxHosts);
    return;
  }
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracketed) {
    yield { given: s, host: bracketed[1]!, port: bracketed[2] ? port(bracketed[2], spec) : defaultPort, tls: d.tls };
    return;
  }
  if (isIP(s) === 6) {
    yield { given: s, host: s, port: defaultPort, tls: d.tls };
    return;
  }
  const hp = /^([^:]+):(\d+)$/.exec(s);
  const host = hp ? hp[1]! : s;
  if (isIP(host) === 0 && !isHostName(host)) throw new UsageError(`target "${spec}" is not a host, host:port, URL or CIDR range`);
  yield { given: s, host, port: hp ? port(hp[2]!, spec) : defaultPort, tls: d.tls };
}

function port(text: string, spec: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`target "${spec}": port must be 1-65535`);
  return n;
}

function* expandRange(s: string, slash: number, tls: boolean, defaultPort: number, maxHosts: number): Generator<Target> {
  const net = s.slice(0, slash);
  const bits = Number(s.slice(slash + 1));
  const family = isIP(net);
  if (family === 0 || !Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) {
    throw new UsageError(`target "${s}" is not a CIDR range such as 192.0.2.0/24`);
  }
  const width = family === 4 ? 32 : 128;
  const size = 2n ** BigInt(width - bits);
  if (size > BigInt(maxHosts)) throw new UsageError(`target "${s}" holds ${size} addresses, more than --max-hosts ${maxHosts}`);
  const base = (toBigInt(net, family) >> BigInt(width - bits)) << BigInt(width - bits);
  for (let i = 0n; i < size; i++) {
    const host = fromBigInt(base + i, family);
    yield { given: `${s} ${host}`, host, port: defaultPort, tls };
  }
}

function toBigInt(ip: string, family: number): bigint {
  if (family === 4) return ip.split('.').reduce((acc, p) => (acc << 8n) + BigInt(Number(p)), 0n);
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) + BigInt(Number.parseInt(g || '0', 16)), 0n);
}

function fromBigInt(n: bigint, family: number): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((sh) => String((n >> sh) & 255n)).join('.');
  const groups: string[] = [];
  for (let sh = 112n; sh >= 0n; sh -= 16n) groups.push(((n >> sh) & 0xffffn).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}
