// What the user is authorised to scan. Every target is checked against the scope before a packet
// is sent to it; a host name is checked by name (scope entries `mail.example.org`, `*.example.org`)
// or, when the scope lists addresses only, by every address it resolves to — and the scan then
// connects to exactly the address that was checked, so a DNS answer cannot move it out of scope.
import { BlockList, isIP } from 'node:net';
import { UsageError } from '../../core/errors.js';

export class Scope {
  private readonly addresses = new BlockList();
  private readonly names = new Set<string>();
  private readonly suffixes: string[] = [];
  private count = 0;

  /** Entries: IPv4/IPv6 addresses, CIDR ranges, host names, `*.domain` (any name under domain). */
  constructor(entries: readonly string[]) {
    for (const raw of entries) {
      const e = raw.trim();
      if (e === '' || e.startsWith('#')) continue;
      this.add(e);
    }
    if (this.count === 0) throw new UsageError('--scope: the scope is empty; list the addresses, ranges or host names you are authorised to scan');
  }

  private add(e: string): void {
    const slash = e.indexOf('/');
    if (slash !== -1) {
      const net = unbracket(e.slice(0, slash));
      const bits = Number(e.slice(slash + 1));
      const family = isIP(net);
      if (family === 0 || !Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128) || e.slice(slash + 1) === '') {
        throw new UsageError(`--scope: "${e}" is not a CIDR range such as 192.0.2.0/24 or 2001:db8::/64`);
      }
      this.addresses.addSubnet(net, bits, family === 4 ? 'ipv4' : 'ipv6');
    } else if (isIP(unbracket(e)) !== 0) {
      const ip = unbracket(e);
      this.addresses.addAddress(ip, isIP(ip) === 4 ? 'ipv4' : 'ipv6');
    } else if (/^\*\.[a-z0-9.-]+$/i.test(e)) {
      this.suffixes.push(e.slice(1).toLowerCase());
    } else if (isHostName(e)) {
      this.names.add(e.toLowerCase().replace(/\.$/, ''));
    } else {
      throw new UsageError(`--scope: "${e}" is not an address, a CIDR range, a host name or *.domain`);
    }
    this.count++;
  }

  allowsAddress(ip: string): boolean {
    const family = isIP(ip);
    if (family === 0) return false;
    return this.addresses.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  }

  allowsName(name: string): boolean {
    const n = name.toLowerCase().replace(/\.$/, '');
    return this.names.has(n) || this.suffixes.some((s) => n.endsWith(s));
  }
}

export function unbracket(s: string): string {
  return s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s;
}

export function isHostName(s: string): boolean {
  return s.length <= 253 && /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.?$/i.test(s);
}
