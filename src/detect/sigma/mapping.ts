// Log-source routing and field mapping, read from the data files in mappings/*.yaml: which events a
// rule's `logsource` selects (per source kind, by channel / event id / provider) and how Sigma field
// names become the log's own. No log source is special-cased in code.
import { readFileSync, readdirSync } from 'node:fs';
import { shippedDir } from '../../core/shipped.js';
import { parse } from 'yaml';
import type { SourceKind } from '../../core/types.js';

export type FieldSpec =
  | { kind: 'rename'; from: string; plusIsSpace: boolean }
  | { kind: 'join'; from: string[]; separator: string };

export interface Logsource {
  product?: string;
  category?: string;
  service?: string;
}

/** One selection of events and the field names that go with it. */
export interface Variant {
  source: SourceKind;
  /** Lower-cased channel names; empty: any. */
  channels: string[];
  eventIds: number[];
  /** Lower-cased provider names; empty: any. */
  providers: string[];
  fields: ReadonlyMap<string, FieldSpec>;
}

export interface MappingEntry {
  logsource: Logsource;
  variants: Variant[];
  /** The mapping file, for messages. */
  file: string;
}

const SOURCES: readonly SourceKind[] = ['evtx', 'exchange-ecp-activity', 'exchange-ecp-server', 'exchange-httpproxy', 'exchange-oab-generator', 'exchange-rps-cmdlet', 'exchange-rps-http', 'iis'];
const LOGSOURCE_KEYS = ['product', 'category', 'service'] as const;

class MappingError extends Error {}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strings(v: unknown, what: string): string[] {
  const list = v === undefined ? [] : Array.isArray(v) ? v : [v];
  for (const x of list) if (typeof x !== 'string') throw new MappingError(`${what} must be text`);
  return (list as string[]).map((s) => s.toLowerCase());
}

function numbers(v: unknown, what: string): number[] {
  const list = v === undefined ? [] : Array.isArray(v) ? v : [v];
  for (const x of list) if (!Number.isInteger(x)) throw new MappingError(`${what} must be whole numbers`);
  return list as number[];
}

function fieldSpecs(v: unknown, where: string): Map<string, FieldSpec> {
  const out = new Map<string, FieldSpec>();
  if (v === undefined) return out;
  if (!isMap(v)) throw new MappingError(`${where}: fields must be a map`);
  for (const [name, spec] of Object.entries(v)) {
    if (typeof spec === 'string') out.set(name, { kind: 'rename', from: spec, plusIsSpace: false });
    else if (isMap(spec) && typeof spec['from'] === 'string') out.set(name, { kind: 'rename', from: spec['from'], plusIsSpace: spec['plusIsSpace'] === true });
    else if (isMap(spec) && Array.isArray(spec['join']) && spec['join'].every((x) => typeof x === 'string') && typeof (spec['separator'] ?? '') === 'string') {
      out.set(name, { kind: 'join', from: spec['join'] as string[], separator: (spec['separator'] as string | undefined) ?? '' });
    } else throw new MappingError(`${where}: field '${name}' must be a name, {from, plusIsSpace} or {join, separator}`);
  }
  return out;
}

/** Parses one mapping file's text; throws with the entry at fault. */
export function parseMapping(text: string, file: string): MappingEntry[] {
  try {
    const doc: unknown = parse(text);
    if (!isMap(doc)) throw new MappingError('not a map');
    const source = doc['source'];
    if (typeof source !== 'string' || !SOURCES.includes(source as SourceKind)) throw new MappingError(`source must be one of ${SOURCES.join(', ')}`);
    const common = fieldSpecs(doc['fields'], 'top level');
    const list = doc['logsources'];
    if (!Array.isArray(list)) throw new MappingError('logsources must be a list');
    return list.map((e, i) => {
      const where = `logsources[${i}]`;
      if (!isMap(e) || !isMap(e['logsource']) || !Array.isArray(e['events'])) throw new MappingError(`${where}: needs logsource (a map) and events (a list)`);
      const logsource: Logsource = {};
      for (const [k, v] of Object.entries(e['logsource'])) {
        if (!(LOGSOURCE_KEYS as readonly string[]).includes(k) || typeof v !== 'string') throw new MappingError(`${where}: logsource keys are product, category, service`);
        logsource[k as keyof Logsource] = v.toLowerCase();
      }
      const variants = (e['events'] as unknown[]).map((ev, j): Variant => {
        const w = `${where}.events[${j}]`;
        if (!isMap(ev)) throw new MappingError(`${w}: must be a map`);
        for (const k of Object.keys(ev)) if (!['Channel', 'EventID', 'Provider_Name', 'fields'].includes(k)) throw new MappingError(`${w}: unknown key '${k}'`);
        const fields = new Map([...common, ...fieldSpecs(ev['fields'], w)]);
        return { source: source as SourceKind, channels: strings(ev['Channel'], `${w}.Channel`), eventIds: numbers(ev['EventID'], `${w}.EventID`), providers: strings(ev['Provider_Name'], `${w}.Provider_Name`), fields };
      });
      return { logsource, variants, file };
    });
  } catch (err) {
    throw new Error(`field mapping ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

let builtIn: MappingEntry[] | undefined;

/** The shipped mappings, read once per thread. */
export function builtInMappings(): MappingEntry[] {
  if (!builtIn) {
    const dir = shippedDir('detect/sigma/mappings', '.yaml');
    builtIn = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .flatMap((f) => parseMapping(readFileSync(`${dir}/${f}`, 'utf8'), f));
  }
  return builtIn;
}

function sameLogsource(a: Logsource, b: Logsource): boolean {
  return LOGSOURCE_KEYS.every((k) => a[k] === b[k]);
}

/** The rule's logsource, lower-cased, without `definition` and other free text. */
export function normaliseLogsource(v: Record<string, unknown>): Logsource {
  const out: Logsource = {};
  for (const k of LOGSOURCE_KEYS) if (typeof v[k] === 'string') out[k] = (v[k] as string).toLowerCase();
  return out;
}

/**
 * The events a rule's logsource selects: the entry with the same product/category/service; failing
 * that, one without the product (category-only sources such as webserver, proxy and antivirus).
 */
export function resolveLogsource(ls: Logsource, entries: readonly MappingEntry[]): Variant[] | undefined {
  const exact = entries.filter((e) => sameLogsource(e.logsource, ls));
  if (exact.length > 0) return exact.flatMap((e) => e.variants);
  if (ls.product && ls.category) {
    const loose = entries.filter((e) => e.logsource.product === undefined && sameLogsource(e.logsource, { ...ls, product: undefined }));
    if (loose.length > 0) return loose.flatMap((e) => e.variants);
  }
  return undefined;
}

export function describeLogsource(ls: Logsource): string {
  const parts = LOGSOURCE_KEYS.filter((k) => ls[k]).map((k) => `${k}: ${ls[k]}`);
  return parts.length > 0 ? parts.join(', ') : '(empty)';
}
