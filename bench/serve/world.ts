// The constituency `npm run bench:serve` seeds, generated from one seed so every run stores the
// same rows: organisations with realistic names and non-overlapping address blocks (10.0.0.0/8,
// 100.64.0.0/10, 2001:db8:x::/48), and the Exchange servers seen in them: each drawn 70:30 inside
// an organisation's blocks or in 198.18.0.0/15 and 2001:db8:ffff::/48, which nobody registered. A
// draw that hits a taken address starts again, and the unregistered pool is the smaller one, so at
// full scale 26 % of the servers are unmatched.
import { Rng } from '../../tools/corpus/rng.js';

export interface Counts {
  orgs: number;
  servers: number;
  observations: number;
  shadowserverRows: number;
  reports: number;
}

export const FULL: Counts = { orgs: 30_000, servers: 250_000, observations: 1_000_000, shadowserverRows: 50_000, reports: 2_000 };

export function scaled(scale: number): Counts {
  const n = (v: number): number => Math.max(1, Math.round(v * scale));
  return { orgs: n(FULL.orgs), servers: n(FULL.servers), observations: n(FULL.observations), shadowserverRows: n(FULL.shadowserverRows), reports: n(FULL.reports) };
}

export interface Block {
  cidr: string;
  /** A random host address inside the block. */
  host(rng: Rng): string;
}

export interface OrgSeed {
  name: string;
  sector: string;
  country: string;
  domain: string;
  blocks: Block[];
  /** One in a hundred: a big organisation (three /24s) holding 30 % of the attributable servers. */
  large: boolean;
}

export interface Profile {
  tag: string;
  cves: string[];
  build: string;
}

export interface ServerSeed {
  address: string;
  /** Index into World.orgs, or -1 for an address no organisation registered. */
  org: number;
  hostname: string | null;
  profile: Profile;
  /** The day (0–89) from which it is seen patched; Infinity when never. */
  patchDay: number;
}

export interface World {
  orgs: OrgSeed[];
  /** Seen by the observation stream. */
  servers: ServerSeed[];
  /** Seen only by the Shadowserver CSV import (new addresses). */
  csvServers: ServerSeed[];
}

// Shadowserver tags name the CVE the scan proved; builds are real ones that are open to it.
export const PROFILES: readonly (readonly [Profile, number])[] = [
  [{ tag: 'exchange;cve-2021-26855', cves: ['CVE-2021-26855'], build: '15.1.2176.2' }, 25],
  [{ tag: 'exchange;cve-2021-34473', cves: ['CVE-2021-34473'], build: '15.2.858.5' }, 25],
  [{ tag: 'exchange;cve-2022-41082', cves: ['CVE-2022-41082'], build: '15.2.1118.7' }, 20],
  [{ tag: 'exchange;cve-2021-26855;cve-2021-34473', cves: ['CVE-2021-26855', 'CVE-2021-34473'], build: '15.0.1497.2' }, 10],
  [{ tag: 'exchange;cve-2023-21529', cves: ['CVE-2023-21529'], build: '15.2.1118.20' }, 10],
  [{ tag: 'exchange;cve-2024-21410', cves: ['CVE-2024-21410'], build: '15.2.1258.12' }, 10],
];

const SECTORS: readonly (readonly [string, readonly string[]])[] = [
  ['government', ['Town of {P}', 'City of {P}', '{P} County Council', 'Municipality of {P}', '{P} District Court', '{P} Police Department']],
  ['finance', ['{P} Credit Union', '{P} Savings Bank', '{P} Cooperative Bank', '{P} Insurance Group', '{P} Federal Credit Union']],
  ['health', ['{P} General Hospital', '{P} Medical Centre', '{P} Care Group', '{P} Dental Clinic']],
  ['education', ['{P} University', '{P} School District', '{P} College', '{P} Grammar School']],
  ['energy', ['{P} Energy', '{P} Power & Light', '{P} Gas Company']],
  ['water', ['{P} Water Authority', '{P} Water Board']],
  ['transport', ['{P} Port Authority', '{P} Transit', '{P} Logistics']],
  ['manufacturing', ['{P} Steelworks', '{P} Plastics', '{P} Machinery', '{P} Paper Mill']],
  ['legal', ['{P} & {Q} LLP', '{P} Notaries', '{P} Law Chambers']],
  ['retail', ['{P} Retail Group', '{P} Supermarkets', '{P} Garden Centres']],
];
const HEAD = ['Ash', 'Bar', 'Bel', 'Brin', 'Cal', 'Dun', 'El', 'Fair', 'Glen', 'Har', 'Kings', 'Lin', 'Mar', 'New', 'Oak', 'Red', 'Ros', 'Stan', 'Thorn', 'Wen', 'Wil', 'Ald', 'Bran', 'Cor', 'Dal', 'Fen', 'Gra', 'Hol', 'Ive', 'Kel'];
const MIDDLE = ['', 'a', 'e', 'i', 'o', 'en', 'er', 'ing'];
const TAIL = ['ford', 'dale', 'ton', 'field', 'bury', 'wick', 'mouth', 'ham', 'stead', 'brook', 'by', 'worth', 'more', 'ley', 'port', 'gate', 'hurst', 'vale', 'ridge', 'well'];
const COUNTRIES = ['NL', 'DE', 'BE', 'FR', 'AT', 'CH', 'PL', 'CZ', 'SE', 'DK', 'NO', 'FI', 'IE', 'GB', 'ES', 'IT', 'PT'];

const place = (rng: Rng): string => `${rng.pick(HEAD)}${rng.pick(MIDDLE)}${rng.pick(TAIL)}`;
const v4 = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

/** Packs aligned IPv4 blocks into a pool from its start, so no two blocks overlap. */
class Pool {
  private next: number;
  constructor(private readonly start: number, private readonly end: number) {
    this.next = start;
  }
  take(bits: number): Block {
    const size = 2 ** (32 - bits);
    const base = Math.ceil(this.next / size) * size;
    if (base + size - 1 > this.end) throw new Error(`address pool ${v4(this.start)} is full: lower EXHUNT_BENCH_SCALE`);
    this.next = base + size;
    // Neither the network nor the broadcast address is a host.
    return { cidr: `${v4(base)}/${bits}`, host: (rng) => v4(base + 1 + rng.int(size - 2)) };
  }
}

function v6Block(group: number): Block {
  const prefix = `2001:db8:${group.toString(16)}`;
  return { cidr: `${prefix}::/48`, host: (rng) => `${prefix}:${rng.int(0x10000).toString(16)}::${(1 + rng.int(0xfffe)).toString(16)}` };
}

function organisations(n: number, rng: Rng): OrgSeed[] {
  const names = new Set<string>();
  const domains = new Set<string>();
  const tenNet = new Pool(0x0a000000, 0x0affffff);
  const cgnat = new Pool(0x64400000, 0x647fffff);
  let v6 = 1;
  const orgs: OrgSeed[] = [];
  for (let i = 0; i < n; i++) {
    const [sector, templates] = rng.pick(SECTORS);
    let name: string;
    do {
      name = rng.pick(templates).replace('{P}', place(rng)).replace('{Q}', place(rng));
    } while (names.has(name.toLowerCase()));
    names.add(name.toLowerCase());
    const country = rng.pick(COUNTRIES);
    const slug = name.toLowerCase().replace(/&/g, 'and').replace(/[^a-z0-9]+/g, '');
    let domain = `${slug}.${country === 'GB' ? 'uk' : country.toLowerCase()}`;
    for (let k = 2; domains.has(domain); k++) domain = `${slug}${k}.${country.toLowerCase()}`;
    domains.add(domain);
    const large = i % 100 === 0;
    const count = large ? 3 : rng.weighted([[1, 50], [2, 35], [3, 15]] as const);
    const blocks: Block[] = [];
    for (let b = 0; b < count; b++) {
      if (!large && b === 0 && v6 < 0xfff0 && rng.next() < 0.15) blocks.push(v6Block(v6++));
      else blocks.push((rng.next() < 0.8 ? tenNet : cgnat).take(large ? 24 : rng.weighted([[24, 20], [25, 15], [26, 20], [27, 20], [28, 25]] as const)));
    }
    orgs.push({ name, sector, country, domain, blocks, large });
  }
  return orgs;
}

const HOSTS = ['mail', 'owa', 'exchange', 'webmail', 'autodiscover', 'ex01', 'mx'];

function server(address: string, org: number, hostname: string | null, rng: Rng): ServerSeed {
  return { address, org, hostname, profile: rng.weighted(PROFILES), patchDay: rng.next() < 0.4 ? 10 + rng.int(80) : Infinity };
}

/** `count` servers with addresses not yet in `taken`, drawn 70:30 in organisations' blocks or outside them. */
function servers(count: number, orgs: OrgSeed[], taken: Set<string>, rng: Rng): ServerSeed[] {
  const large = orgs.map((o, i) => (o.large ? i : -1)).filter((i) => i >= 0);
  const out: ServerSeed[] = [];
  while (out.length < count) {
    if (rng.next() < 0.7) {
      const org = rng.next() < 0.3 ? rng.pick(large) : rng.int(orgs.length);
      const o = orgs[org]!;
      const address = rng.pick(o.blocks).host(rng);
      if (taken.has(address)) continue;
      taken.add(address);
      out.push(server(address, org, rng.next() < 0.6 ? `${rng.pick(HOSTS)}.${o.domain}` : null, rng));
    } else {
      const address = rng.next() < 0.9 ? v4(0xc6120000 + rng.int(0x20000)) : `2001:db8:ffff:${rng.int(0x10000).toString(16)}::${(1 + rng.int(0xfffe)).toString(16)}`;
      if (taken.has(address)) continue;
      taken.add(address);
      const host = rng.next() < 0.5 ? `host-${address.replace(/[.:]/g, '-')}.hosting${rng.int(50)}.example` : null;
      out.push(server(address, -1, host, rng));
    }
  }
  return out;
}

export function buildWorld(counts: Counts, seed = 20261127): World {
  const rng = new Rng(seed);
  const orgs = organisations(counts.orgs, rng);
  const taken = new Set<string>();
  return { orgs, servers: servers(counts.servers, orgs, taken, rng), csvServers: servers(Math.round(counts.shadowserverRows * 0.2), orgs, taken, rng) };
}

const quote = (v: string): string => `"${v.replace(/"/g, '""')}"`;

/** The organisation list in the importer's CSV form (name,sector,country,ranges,domains,abuse,contacts). */
export function organisationCsv(orgs: readonly OrgSeed[]): string {
  const lines = ['name,sector,country,ranges,domains,abuse,contacts'];
  for (const o of orgs) {
    lines.push([o.name, o.sector, o.country, o.blocks.map((b) => b.cidr).join(' '), o.domain, `abuse@${o.domain}`, `IT Security <security@${o.domain}>`].map(quote).join(','));
  }
  return `${lines.join('\n')}\n`;
}
