// Indicators of compromise: file hashes, attacker IP addresses (and ranges), user agents, file paths
// and names, URLs, each keeping where it was published. The shipped list (data/indicators.csv, built
// by tools/make-indicators.ts from the sources in shared/reference/data) is extended with --ioc FILE:
// a CSV with a header naming a value column (`indicator`, `value`, `ioc`, `sha256`…) and optionally
// a type column (`type`, `indicator_type`) and a source column, plain text with one value per
// line (hashes, IP addresses and URLs are recognised by shape; other kinds as `type:value`, e.g.
// `user-agent:Mozilla/5.0 zgrab` or `path:C:\inetpub\wwwroot\aspnet_client\x.aspx`), or JSON — a
// STIX 2.1 bundle or MISP events (feeds.ts), told apart by content, not by the file's name.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { splitCsvLine } from '../../core/csv.js';
import { shippedDir } from '../../core/shipped.js';
import { looksLikeJson, parseJsonFeed } from './feeds.js';
import { type Indicator, type IndicatorParse, type IndicatorType, INDICATOR_TYPES, pathParts, readValue } from './values.js';

export { INDICATOR_TYPES, type Indicator, type IndicatorParse, type IndicatorType, pathParts } from './values.js';

/** Plain data (crosses to worker threads). */
export interface IndicatorData {
  indicators: Indicator[];
}

const TYPE_ALIASES: Record<string, IndicatorType> = {
  sha256: 'sha256', 'sha-256': 'sha256', filehash_sha256: 'sha256',
  sha1: 'sha1', 'sha-1': 'sha1', md5: 'md5',
  ip: 'ip', ipv4: 'ip', ipv6: 'ip', 'ip-src': 'ip', 'ip-dst': 'ip', ipaddress: 'ip', ip_address: 'ip', 'ipv4-addr': 'ip', 'ipv6-addr': 'ip',
  'user-agent': 'user-agent', useragent: 'user-agent', user_agent: 'user-agent', ua: 'user-agent',
  'file-path': 'file-path', file_path: 'file-path', filepath: 'file-path', path: 'file-path',
  'file-name': 'file-name', file_name: 'file-name', filename: 'file-name', name: 'file-name',
  url: 'url', uri: 'url', link: 'url',
};

/** The kind of a bare value, from its shape alone (hashes, addresses and ranges, URLs with a scheme). */
function guessType(v: string): IndicatorType | undefined {
  if (/^[0-9a-f]{64}$/i.test(v)) return 'sha256';
  if (/^[0-9a-f]{40}$/i.test(v)) return 'sha1';
  if (/^[0-9a-f]{32}$/i.test(v)) return 'md5';
  if (isIP(v) || (/^[0-9a-f:.]+\/\d{1,3}$/i.test(v) && isIP(v.slice(0, v.indexOf('/'))))) return 'ip';
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/\s]+\/\S/i.test(v)) return 'url';
  return undefined;
}

const VALUE_COLUMNS = ['indicator', 'value', 'ioc', 'observable', 'sha256', 'hash', 'ip', 'url'];
const TYPE_COLUMNS = ['type', 'indicator_type', 'ioc_type', 'kind'];
const SOURCE_COLUMNS = ['source', 'reference', 'feed'];
const NOTE_COLUMNS = ['note', 'name', 'description', 'comment'];

/** Reads an indicator file (STIX or MISP JSON, CSV with a header, or plain text); `file` is the source when rows name none. */
export function parseIndicators(text: string, file: string): IndicatorParse {
  if (looksLikeJson(text)) return parseJsonFeed(text, file);
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const indicators: Indicator[] = [];
  const errors: string[] = [];
  const bad = (i: number, msg: string) => {
    if (errors.length < 20) errors.push(`${file}:${i + 1}: ${msg}`);
  };
  const first = lines.findIndex((l) => l.trim() && !l.startsWith('#'));
  const header = first >= 0 ? splitCsvLine(lines[first]!).values.map((h) => h.trim().toLowerCase()) : [];
  const col = (names: string[]) => header.findIndex((h) => names.includes(h));
  const valueCol = col(VALUE_COLUMNS);
  if (header.length > 1 && valueCol >= 0) {
    const typeCol = col(TYPE_COLUMNS);
    const sourceCol = col(SOURCE_COLUMNS);
    const noteCol = col(NOTE_COLUMNS);
    const fixedType = typeCol < 0 && header[valueCol] !== 'indicator' && header[valueCol] !== 'value' ? TYPE_ALIASES[header[valueCol]!] : undefined;
    for (let i = first + 1; i < lines.length; i++) {
      const line = lines[i]!;
      if (!line.trim() || line.startsWith('#')) continue;
      const f = splitCsvLine(line).values;
      const raw = (f[valueCol] ?? '').trim();
      const typeName = typeCol >= 0 ? (f[typeCol] ?? '').trim().toLowerCase() : '';
      const type = typeCol >= 0 ? TYPE_ALIASES[typeName] : (fixedType ?? guessType(raw));
      if (!type) {
        bad(i, typeCol >= 0 ? `unknown indicator type "${typeName.slice(0, 40)}" (known: ${INDICATOR_TYPES.join(', ')})` : `cannot tell what "${raw.slice(0, 40)}" is; add a type column`);
        continue;
      }
      const read = readValue(type, raw);
      if ('problem' in read) {
        bad(i, read.problem);
        continue;
      }
      const ind: Indicator = { type, value: read.value, source: (sourceCol >= 0 ? f[sourceCol]?.trim() : '') || file };
      const note = noteCol >= 0 ? f[noteCol]?.trim() : '';
      if (note) ind.note = note;
      indicators.push(ind);
    }
    return { indicators, errors };
  }
  lines.forEach((line, i) => {
    const v = line.trim();
    if (!v || v.startsWith('#')) return;
    const prefixed = /^([a-z0-9_-]+):(.+)$/i.exec(v);
    const aliased = prefixed ? TYPE_ALIASES[prefixed[1]!.toLowerCase()] : undefined;
    const type = aliased ?? guessType(v);
    const raw = aliased ? prefixed![2]! : v;
    if (!type) return bad(i, `cannot tell what "${v.slice(0, 40)}" is; write it as type:value (types: ${INDICATOR_TYPES.join(', ')})`);
    const read = readValue(type, raw);
    if ('problem' in read) return bad(i, read.problem);
    indicators.push({ type, value: read.value, source: file });
  });
  return { indicators, errors };
}

/** The indicators shipped with exhunt. */
export function shippedIndicators(): Indicator[] {
  const file = `${shippedDir('detect/ioc/data', '.csv')}/indicators.csv`;
  const parsed = parseIndicators(readFileSync(file, 'utf8'), 'indicators.csv');
  if (parsed.errors.length > 0) throw new Error(`shipped indicators: ${parsed.errors[0]}`);
  return parsed.indicators;
}

/** Indicators by kind, for lookups. */
export class IndicatorSet {
  readonly byHash = new Map<string, Indicator>();
  readonly byIp = new Map<string, Indicator>();
  readonly userAgents: Indicator[] = [];
  readonly byName = new Map<string, Indicator>();
  /** file-path indicators keyed by their last three folders (enough to place a file, not tied to a drive). */
  readonly byPathTail = new Map<string, Indicator>();
  hasSha1 = false;
  hasMd5 = false;

  constructor(indicators: readonly Indicator[]) {
    for (const ind of indicators) {
      switch (ind.type) {
        case 'sha256':
        case 'sha1':
        case 'md5':
          if (ind.type === 'sha1') this.hasSha1 = true;
          if (ind.type === 'md5') this.hasMd5 = true;
          if (!this.byHash.has(ind.value)) this.byHash.set(ind.value, ind);
          break;
        case 'ip':
          if (!this.byIp.has(ind.value)) this.byIp.set(ind.value, ind);
          break;
        case 'user-agent':
          this.userAgents.push(ind);
          break;
        case 'file-name':
          if (!this.byName.has(ind.value)) this.byName.set(ind.value, ind);
          break;
        case 'file-path': {
          const key = ind.value.split('/').slice(-3).join('/');
          if (!this.byPathTail.has(key)) this.byPathTail.set(key, ind);
          break;
        }
      }
    }
  }

  /** A file-path indicator naming this collection path (compared on the last three folders). */
  pathIndicator(rel: string): Indicator | undefined {
    const parts = pathParts(rel);
    return this.byPathTail.get(parts.slice(-3).join('/')) ?? this.byPathTail.get(parts.slice(-2).join('/'));
  }
}
