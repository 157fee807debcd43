// Shadowserver's daily Vulnerable-Exchange-Server report (scan_exchange, and its IPv6 twin with the
// same columns): one row per Exchange server seen vulnerable or with a web shell. Columns as in
// IntelMQ's test data (certtools/intelmq 80c6cb99): "timestamp","ip","port","hostname","tag","asn",
// "geo","region","city","naics","sic","sector","version","servername","url". Read by header name,
// because Shadowserver adds and reorders columns over time.
import { isIP } from 'node:net';
import type { Kysely } from 'kysely';
import { splitCsvLine } from '../../core/csv.js';
import { UsageError } from '../../core/errors.js';
import { assessBuild } from '../../exposure/assess.js';
import type { Database } from '../db/schema.js';
import { audit } from '../store/audit.js';
import { type ObservationInput, type RecordResult, recordObservations } from '../store/observations.js';

const REQUIRED = ['timestamp', 'ip', 'tag'] as const;
/** Past this many, bad rows are counted, not listed: a wrong file must not flood the answer. */
const MAX_ERRORS = 200;
// Shadowserver writes "2021-05-14 00:11:30" in UTC; an ISO form with a zone is accepted too.
const STAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(?:\s*(Z|UTC|[+-]\d{2}:?\d{2}))?$/i;
const CVE_TAG = /^cve-\d{4}-\d{4,7}$/;

interface BuildFacts {
  product: string;
  verdict: string;
  cves: string[];
}

/** The timestamp as ISO UTC, or undefined when it is not a real time. */
function utcTime(text: string): string | undefined {
  const m = STAMP.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, s, m[7] ? Math.round(Number(m[7]) * 1000) : 0);
  const back = new Date(t);
  // Date.UTC rolls 2021-02-30 over to March; such a value is a corrupt row, not a time.
  if (back.getUTCDate() !== d || back.getUTCMonth() !== mo - 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const zone = (m[8] ?? 'Z').toUpperCase();
  const offset = zone === 'Z' || zone === 'UTC' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2)));
  return new Date(t - offset * 60_000).toISOString();
}

/** What the build table says about a reported version; undefined when it is not an Exchange build we know. */
function buildFacts(version: string, cache: Map<string, BuildFacts | undefined>): BuildFacts | undefined {
  if (cache.has(version)) return cache.get(version);
  let facts: BuildFacts | undefined;
  try {
    const a = assessBuild(version);
    // Only CVEs open whatever the configuration: a conditional one (a role, a setting) is not a sighting.
    facts = { product: a.product, verdict: a.verdict, cves: a.cves.filter((c) => c.condition === undefined).map((c) => c.id) };
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
  }
  cache.set(version, facts);
  return facts;
}

/** Rows of a scan_exchange CSV as observations; bad rows become `FILE:LINE: …` errors and are skipped. */
export function parseShadowserverCsv(text: string, fileName: string): { rows: ObservationInput[]; errors: string[] } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const rows: ObservationInput[] = [];
  const errors: string[] = [];
  let unlisted = 0;
  const fail = (line: number, what: string): void => {
    if (errors.length < MAX_ERRORS) errors.push(`${fileName}:${line}: ${what}`);
    else unlisted++;
  };
  const head = lines.findIndex((l) => l.trim() !== '');
  if (head === -1) return { rows, errors: [`${fileName}:1: the file is empty; expected a Shadowserver scan_exchange CSV with a header line`] };
  const names = splitCsvLine(lines[head]!).values.map((v) => v.trim().toLowerCase());
  const missing = REQUIRED.filter((c) => !names.includes(c));
  if (missing.length > 0) {
    const list = missing.map((c) => `"${c}"`).join(', ');
    return { rows, errors: [`${fileName}:${head + 1}: no column ${list} in the header; a Shadowserver scan_exchange header starts "timestamp","ip","port","hostname","tag"`] };
  }
  const at = Object.fromEntries(names.map((n, i) => [n, i]));
  const builds = new Map<string, BuildFacts | undefined>();
  for (let i = head + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const { values, unterminated } = splitCsvLine(line);
    if (unterminated) {
      fail(i + 1, 'a quoted field is not closed (a cut or corrupt row)');
      continue;
    }
    const get = (name: string): string => (at[name] === undefined ? '' : (values[at[name]] ?? '').trim());
    const observedAt = utcTime(get('timestamp'));
    if (!observedAt) {
      fail(i + 1, `timestamp "${get('timestamp')}" is not a time such as 2021-05-14 00:11:30`);
      continue;
    }
    const ip = get('ip');
    if (isIP(ip) === 0) {
      fail(i + 1, ip === '' ? 'the ip column is empty' : `ip "${ip}" is not an IPv4 or IPv6 address`);
      continue;
    }
    const tag = get('tag');
    const parts = tag.toLowerCase().split(';').map((p) => p.trim());
    const compromised = parts.includes('webshell');
    const cves = new Set(parts.filter((p) => CVE_TAG.test(p)).map((p) => p.toUpperCase()));
    const version = get('version');
    const facts = version ? buildFacts(version, builds) : undefined;
    for (const c of facts?.cves ?? []) cves.add(c);
    const port = get('port');
    rows.push({
      address: ip,
      hostname: get('hostname') || null,
      port: /^\d{1,5}$/.test(port) && Number(port) <= 65535 ? Number(port) : null,
      observedAt,
      source: 'shadowserver',
      tag,
      build: version || null,
      product: facts?.product ?? null,
      verdict: compromised ? 'compromised' : cves.size > 0 ? 'vulnerable' : (facts?.verdict ?? null),
      vulnerable: cves.size > 0,
      compromised,
      cves: [...cves].sort(),
      url: get('url') || null,
    });
  }
  if (unlisted > 0) errors.push(`${fileName}: ${unlisted} more bad row${unlisted === 1 ? '' : 's'} not listed`);
  return { rows, errors };
}

/** Parses a report, records its rows and writes one audit entry for the import. */
export async function importShadowserver(db: Kysely<Database>, text: string, fileName: string, actor: string, now = new Date()): Promise<RecordResult & { errors: string[] }> {
  const { rows, errors } = parseShadowserverCsv(text, fileName);
  const result = await recordObservations(db, rows, actor, now);
  await audit(db, {
    actor, action: 'import', entity: 'shadowserver', entityId: fileName,
    detail: { rows: rows.length, inserted: result.inserted, duplicates: result.duplicates, unmatched: result.unmatched, servers: result.servers, errors: errors.length },
  }, now);
  return { ...result, errors };
}
