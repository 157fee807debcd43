// Addresses as fixed-width hex text so that range containment is a text comparison that both
// SQLite and PostgreSQL can answer from an index: IPv4 is mapped into ::ffff:0:0/96.
import { isIP } from 'node:net';

function v4Words(ip: string): number[] {
  return ip.split('.').map(Number);
}

function v6Groups(ip: string): number[] {
  let s = ip.toLowerCase();
  const zone = s.indexOf('%');
  if (zone !== -1) s = s.slice(0, zone);
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    const [a, b, c, d] = v4Words(s.slice(lastColon + 1));
    tail = [(a! << 8) | b!, (c! << 8) | d!];
    s = `${s.slice(0, lastColon + 1)}x`;
  }
  const [head, rest] = s.split('::') as [string, string | undefined];
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').flatMap((g) => (g === 'x' ? tail : [parseInt(g, 16)])));
  const left = parse(head);
  if (rest === undefined) return left;
  const right = parse(rest);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** 32 lowercase hex digits, or undefined when ip is not an address. */
export function ipToHex(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 4) return `00000000000000000000ffff${v4Words(ip).map((n) => n.toString(16).padStart(2, '0')).join('')}`;
  if (family === 6) return v6Groups(ip).map((g) => g.toString(16).padStart(4, '0')).join('');
  return undefined;
}

export interface HexRange {
  cidr: string;
  start: string;
  end: string;
}

/** A CIDR range (or one address) as its first and last address; undefined when malformed. */
export function cidrToRange(text: string): HexRange | undefined {
  const t = text.trim();
  const slash = t.indexOf('/');
  const addr = slash === -1 ? t : t.slice(0, slash);
  const family = isIP(addr);
  if (family === 0) return undefined;
  const max = family === 4 ? 32 : 128;
  const bitsText = slash === -1 ? String(max) : t.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (bits > max) return undefined;
  const hex = ipToHex(addr)!;
  const prefix = (family === 4 ? 96 : 0) + bits;
  let big = BigInt(`0x${hex}`);
  const hostBits = BigInt(128 - prefix);
  const mask = (1n << hostBits) - 1n;
  big &= ~mask;
  const start = big.toString(16).padStart(32, '0');
  const end = (big | mask).toString(16).padStart(32, '0');
  const network = family === 4 ? hexToIp(start) : compressV6(start);
  return { cidr: `${network}/${bits}`, start, end };
}

/** The printable address for a hex value made by ipToHex (IPv4-mapped back to dotted form). */
export function hexToIp(hex: string): string {
  if (hex.startsWith('00000000000000000000ffff')) {
    const v = hex.slice(24);
    return [0, 2, 4, 6].map((i) => parseInt(v.slice(i, i + 2), 16)).join('.');
  }
  return compressV6(hex);
}

function compressV6(hex: string): string {
  const groups = Array.from({ length: 8 }, (_, i) => parseInt(hex.slice(i * 4, i * 4 + 4), 16).toString(16));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best === -1) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}
