// Indicators from STIX 2.x JSON (OASIS STIX 2.1, sections 4 "Indicator" and 6 "Cyber-observable
// objects"): `indicator` objects with a STIX pattern, and observables shared as they are (`ipv4-addr`,
// `file`, `url`… at the top of a bundle, or inside a STIX 2.0 `observed-data` object's `objects`).
// Revoked indicators are left out; expired ones are kept — a hunt looks at the past — with their
// validity in the note.
import { FeedCollector, type Json, Tally, clip, isObject, text } from './collector.js';
import { type StixComparison, readStixPattern } from './stix-pattern.js';
import { type IndicatorType, fileNameType } from './values.js';

/** STIX hash names (`SHA-256`, 2.0 also `SHA256`, any case) → kind; SHA-512, SSDEEP, TLSH are not compared. */
function hashType(name: string): IndicatorType | undefined {
  const n = name.toLowerCase().replace('-', '');
  return n === 'sha256' || n === 'sha1' || n === 'md5' ? n : undefined;
}

/** The kind a comparison's object path holds, if exhunt can look for it. */
function pathType(c: StixComparison, value: string): IndicatorType | undefined {
  const prop = c.property.map((p) => p.toLowerCase());
  const is = (...steps: string[]) => prop.length === steps.length && steps.every((s, i) => s === prop[i]);
  switch (c.object) {
    case 'ipv4-addr':
    case 'ipv6-addr':
      return is('value') ? 'ip' : undefined;
    case 'url':
      return is('value') ? 'url' : undefined;
    case 'file':
      if (prop.length === 2 && prop[0] === 'hashes') return hashType(prop[1]!);
      return is('name') ? fileNameType(value) : undefined;
    case 'network-traffic':
      // STIX 2.1 header values are lists: `request_header.'User-Agent'[*]`; 2.0 wrote a string.
      if (is('extensions', 'http-request-ext', 'request_header', 'user-agent') || is('extensions', 'http-request-ext', 'request_header', 'user-agent', '*')) return 'user-agent';
      return is('extensions', 'http-request-ext', 'request_value') ? 'url' : undefined;
    default:
      return undefined;
  }
}

/** Whether a parsed JSON value looks like STIX: a bundle, an indicator, or objects with `type` and `--` ids. */
export function looksLikeStix(doc: unknown): boolean {
  const first = Array.isArray(doc) ? doc[0] : doc;
  return isObject(first) && typeof first['type'] === 'string' && (first['type'] === 'bundle' || (typeof first['id'] === 'string' && first['id'].includes('--')));
}

class StixReader {
  private readonly patternTypes = new Tally();

  constructor(private readonly out: FeedCollector) {}

  read(doc: unknown): void {
    const objects = Array.isArray(doc) ? doc : isObject(doc) && doc['type'] === 'bundle' ? doc['objects'] : [doc];
    if (!Array.isArray(objects)) {
      this.out.problem('a STIX bundle without an "objects" list');
      return;
    }
    for (const o of objects) if (isObject(o) && o['type'] === 'indicator') this.indicator(o);
    for (const o of objects) {
      if (!isObject(o)) continue;
      if (o['type'] === 'observed-data' && isObject(o['objects'])) {
        for (const embedded of Object.values(o['objects'])) if (isObject(embedded)) this.observable(embedded, `${this.out.file} (STIX observed-data ${text(o['id']) ?? '?'})`);
      } else if (o['type'] !== 'indicator') {
        this.observable(o, `${this.out.file} (STIX ${text(o['type'])} ${text(o['id']) ?? '?'})`);
      }
    }
    if (this.patternTypes.total > 0) this.out.summary(`${this.patternTypes.total} indicators with pattern types exhunt does not read (${this.patternTypes.describe()}) were skipped`);
  }

  private indicator(o: Json): void {
    if (o['revoked'] === true) return;
    const id = text(o['id']) ?? '(no id)';
    const patternType = text(o['pattern_type']) ?? 'stix';
    if (patternType.toLowerCase() !== 'stix') return this.patternTypes.add(patternType);
    const pattern = text(o['pattern']);
    if (!pattern) return this.out.problem(`indicator ${id}: no pattern`);
    const source = `${this.out.file} (STIX indicator ${clip(text(o['name']) ?? id, 120)})`;
    const validity = [text(o['valid_from']) && `from ${text(o['valid_from'])}`, text(o['valid_until']) && `until ${text(o['valid_until'])}`].filter(Boolean).join(' ');
    const about = text(o['description']) ?? text(o['name']);
    const note = [about && clip(about, 300), text(o['valid_until']) && `valid ${validity}`].filter(Boolean).join('; ') || undefined;
    const read = readStixPattern(pattern);
    const unusable = (why?: string) => this.out.problem(`indicator ${id}: no usable comparison in pattern "${clip(pattern, 160)}"${why ? `: ${why}` : ''}`);
    if ('error' in read) return unusable(`cannot read it: ${read.error}`);
    let used = 0;
    let why: string | undefined;
    for (const c of read.comparisons) {
      if (c.negated || (c.operator !== '=' && c.operator !== 'IN')) continue;
      for (const v of c.values) {
        const type = pathType(c, v);
        if (!type) continue;
        const problem = this.out.add(type, v, source, note);
        if (problem) why ??= problem;
        else used++;
      }
    }
    if (used === 0) unusable(why);
  }

  /** A cyber-observable shared as such; other object types (malware, relationship, identity…) say nothing to look for. */
  private observable(o: Json, source: string): void {
    const add = (type: IndicatorType | undefined, v: unknown) => {
      const value = text(v);
      if (type && value) this.out.add(type, value, source);
    };
    switch (o['type']) {
      case 'ipv4-addr':
      case 'ipv6-addr':
        return add('ip', o['value']);
      case 'url':
        return add('url', o['value']);
      case 'file': {
        const hashes = isObject(o['hashes']) ? o['hashes'] : {};
        for (const [name, v] of Object.entries(hashes)) add(hashType(name), v);
        const name = text(o['name']);
        return add(name ? fileNameType(name) : undefined, name);
      }
      case 'network-traffic': {
        const http = isObject(o['extensions']) ? o['extensions']['http-request-ext'] : undefined;
        if (!isObject(http)) return;
        const headers = isObject(http['request_header']) ? http['request_header'] : {};
        // Header values are strings in STIX 2.0 examples and lists of strings in the 2.1 schema.
        for (const [name, v] of Object.entries(headers)) if (name.toLowerCase() === 'user-agent') for (const ua of [v].flat()) add('user-agent', ua);
        return add('url', http['request_value']);
      }
    }
  }
}

export function readStix(doc: unknown, out: FeedCollector): void {
  new StixReader(out).read(doc);
}
