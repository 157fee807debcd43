// IP address indicators: single addresses and CIDR ranges, IPv4 and IPv6. Addresses are kept in
// the text form logs write (IPv6 compressed per RFC 5952, so `2001:0db8::0001` finds `2001:db8::1`);
// a range is kept as `network/prefix`. A range needs a literal every address in it starts with —
// the line prefilter looks for that — so IPv4 ranges must be /8 or longer and IPv6 ranges must fix a
// first group that is not zero (/16 or longer).
import { isIP } from 'node:net';

interface Parsed {
  family: 4 | 6;
  bits: bigint;
}

function parseV4(s: string): bigint {
  return s.split('.').reduce((n, o) => (n << 8n) | BigInt(Number(o)), 0n);
}

function parseAddress(raw: string): Parsed | undefined {
  const family = isIP(raw);
  if (family === 4) return { family, bits: parseV4(raw) };
  if (family !== 6 || raw.includes('%')) return undefined;
  const [head, tail] = raw.includes('::') ? raw.split('::') : [raw, undefined];
  const groups = (part: string | undefined): bigint[] => {
    if (!part) return [];
    return part.split(':').flatMap((g) => (g.includes('.') ? [parseV4(g) >> 16n, parseV4(g) & 0xffffn] : [BigInt(`0x${g}`)]));
  };
  const left = groups(head);
  const right = groups(tail);
  const all = tail === undefined ? left : [...left, ...Array<bigint>(8 - left.length - right.length).fill(0n), ...right];
  return { family, bits: all.reduce((n, g) => (n << 16n) | g, 0n) };
}

function groupsOf(bits: bigint): number[] {
  return Array.from({ length: 8 }, (_, i) => Number((bits >> BigInt(16 * (7 - i))) & 0xffffn));
}

function formatAddress(p: Parsed): string {
  if (p.family === 4) return Array.from({ length: 4 }, (_, i) => Number((p.bits >> BigInt(8 * (3 - i))) & 0xffn)).join('.');
  const g = groupsOf(p.bits);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

const width = (family: 4 | 6) => (family === 4 ? 32 : 128);

/**
 * An address or range in stored form, or why it cannot be used. Addresses written with an embedded
 * IPv4 part (`::ffff:192.0.2.1`) keep that form: it is how logs write them.
 */
export function readIp(raw: string): { value: string } | { problem: string } {
  const v = raw.trim().toLowerCase();
  const slash = v.indexOf('/');
  const addr = slash < 0 ? v : v.slice(0, slash);
  const p = parseAddress(addr);
  if (!p) return { problem: `"${raw.slice(0, 60)}" is not a valid ip` };
  const single = () => ({ value: p.family === 6 && !addr.includes('.') ? formatAddress(p) : addr });
  if (slash < 0) return single();
  const prefixText = v.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > width(p.family)) return { problem: `"${raw.slice(0, 60)}" is not a valid ip range` };
  if (prefix === width(p.family)) return single();
  const network = { family: p.family, bits: (p.bits >> BigInt(width(p.family) - prefix)) << BigInt(width(p.family) - prefix) };
  const value = `${formatAddress(network)}/${prefix}`;
  return rangeNeedle(value) ? { value } : { problem: `range ${raw.slice(0, 60)} is too wide to look for (IPv4 ranges must be /8 or longer, IPv6 ranges must fix a non-zero first group)` };
}

/** A lower-case literal every log line naming an address of this indicator contains. */
export function ipNeedle(value: string): string {
  return withoutFirstGroup(value.includes('/') ? rangeNeedle(value) : value);
}

/**
 * The needle without the address's first group: `.0.113.45` for 203.0.113.45, `:db8::1` for
 * 2001:db8::1. The line prefilter is one alternation: needles that start with a digit make it try
 * at nearly every position of a log line (dates, times, sizes), and sixteen published addresses
 * slowed a whole hunt by half; `.` and `:` start other needles already. A line that holds the tail
 * but not the address only costs a parse; the address itself is compared in full.
 */
export function withoutFirstGroup(needle: string): string {
  const cut = needle.search(/[.:]/);
  return cut > 0 && cut < needle.length - 1 ? needle.slice(cut) : needle;
}

function rangeNeedle(value: string): string {
  const [addr, prefixText] = value.split('/') as [string, string];
  const p = parseAddress(addr)!;
  const prefix = Number(prefixText);
  if (p.family === 4) return addr.split('.').slice(0, Math.floor(prefix / 8)).map((o) => `${o}.`).join('');
  const fixed: string[] = [];
  for (const g of groupsOf(p.bits).slice(0, Math.floor(prefix / 16))) {
    if (g === 0) break;
    fixed.push(`${g.toString(16)}:`);
  }
  return fixed.join('');
}

/** Finds the indicator for an address: the exact address first, then the narrowest range holding it. */
export class IpMatcher<T> {
  private readonly exact = new Map<string, T>();
  /** Per family, per prefix length (longest first), network bits shifted right → item. */
  private readonly ranges = { 4: new Map<number, Map<bigint, T>>(), 6: new Map<number, Map<bigint, T>>() };
  private size = 0;

  /** `value` as readIp stores it; the first item for a value wins. */
  add(value: string, item: T): void {
    this.size++;
    const slash = value.indexOf('/');
    if (slash < 0) {
      if (!this.exact.has(value)) this.exact.set(value, item);
      return;
    }
    const p = parseAddress(value.slice(0, slash))!;
    const prefix = Number(value.slice(slash + 1));
    const byPrefix = this.ranges[p.family];
    const nets = byPrefix.get(prefix) ?? new Map<bigint, T>();
    const key = p.bits >> BigInt(width(p.family) - prefix);
    if (!nets.has(key)) nets.set(key, item);
    if (!byPrefix.has(prefix)) {
      byPrefix.set(prefix, nets);
      const sorted = [...byPrefix.entries()].sort((a, b) => b[0] - a[0]);
      byPrefix.clear();
      for (const [k, m] of sorted) byPrefix.set(k, m);
    }
  }

  get empty(): boolean {
    return this.size === 0;
  }

  match(address: string): T | undefined {
    const key = address.toLowerCase();
    const hit = this.exact.get(key);
    if (hit !== undefined) return hit;
    const needsParse = key.includes(':') || this.ranges[4].size > 0;
    const p = needsParse ? parseAddress(key) : undefined;
    if (!p) return undefined;
    if (p.family === 6 && !key.includes('.')) {
      const canonical = this.exact.get(formatAddress(p));
      if (canonical !== undefined) return canonical;
    }
    for (const [prefix, nets] of this.ranges[p.family]) {
      const found = nets.get(p.bits >> BigInt(width(p.family) - prefix));
      if (found !== undefined) return found;
    }
    return undefined;
  }
}
