// Indicators from MISP event JSON (the MISP core format, draft-dulaunoy-misp-core-format): an
// `{"Event": …}` export, a REST search `{"response": [{"Event": …}]}`, or a list of events. Attributes
// of the event and of its objects are read whatever their `to_ids` flag — a hunt wants every lead —
// but not deleted ones. Attribute types exhunt cannot look for (domains, e-mail addresses…) are
// counted and reported as one line.
import { FeedCollector, type Json, Tally, clip, isObject, text } from './collector.js';
import { type IndicatorType, fileNameType } from './values.js';

/** The parts of a MISP attribute value (`a|b` for composite types): a kind, a file name, or a port (ignored). */
type Part = IndicatorType | 'file' | 'port';

const ATTRIBUTE_TYPES: Record<string, readonly Part[]> = {
  ip: ['ip'],
  'ip-src': ['ip'],
  'ip-dst': ['ip'],
  'ip-src|port': ['ip', 'port'],
  'ip-dst|port': ['ip', 'port'],
  md5: ['md5'],
  sha1: ['sha1'],
  sha256: ['sha256'],
  filename: ['file'],
  'filename|md5': ['file', 'md5'],
  'filename|sha1': ['file', 'sha1'],
  'filename|sha256': ['file', 'sha256'],
  url: ['url'],
  uri: ['url'],
  'user-agent': ['user-agent'],
};

function eventsOf(doc: unknown): Json[] {
  const unwrap = (e: unknown) => (isObject(e) && isObject(e['Event']) ? e['Event'] : e);
  const list = isObject(doc) && Array.isArray(doc['response']) ? doc['response'] : Array.isArray(doc) ? doc : [doc];
  return list.map(unwrap).filter(isObject);
}

export function looksLikeMisp(doc: unknown): boolean {
  if (isObject(doc)) return isObject(doc['Event']) || Array.isArray(doc['response']);
  const first: unknown = Array.isArray(doc) ? doc[0] : undefined;
  return isObject(first) && (isObject(first['Event']) || Array.isArray(first['Attribute']));
}

const isDeleted = (a: Json) => a['deleted'] === true || a['deleted'] === 1 || a['deleted'] === '1';

export function readMisp(doc: unknown, out: FeedCollector): void {
  const skipped = new Tally();
  for (const event of eventsOf(doc)) {
    const id = text(event['id']) ?? (typeof event['id'] === 'number' ? String(event['id']) : undefined) ?? text(event['uuid']) ?? '?';
    const source = `${out.file} (MISP event ${id}: ${clip(text(event['info']) ?? '', 120)})`;
    const objects = Array.isArray(event['Object']) ? event['Object'].filter(isObject) : [];
    const attributes = [event['Attribute'], ...objects.map((o) => o['Attribute'])].flatMap((list) => (Array.isArray(list) ? list.filter(isObject) : []));
    attributes.forEach((a, i) => {
      if (isDeleted(a)) return;
      const type = text(a['type'])?.toLowerCase() ?? '(no type)';
      const parts = ATTRIBUTE_TYPES[type];
      if (!parts) return skipped.add(type);
      const value = text(a['value']) ?? '';
      const cut = value.lastIndexOf('|');
      const values = parts.length === 2 ? (cut < 0 ? [] : [value.slice(0, cut), value.slice(cut + 1)]) : [value];
      const where = `MISP event ${id} attribute ${text(a['uuid']) ?? `#${i + 1}`}`;
      if (values.length !== parts.length) return out.problem(`${where}: "${clip(value, 60)}" is not a ${type} value (expected a|b)`);
      parts.forEach((part, k) => {
        if (part === 'port') return;
        const v = values[k]!;
        const problem = out.add(part === 'file' ? fileNameType(v) : part, v, source, text(a['comment']));
        if (problem) out.problem(`${where}: ${problem}`);
      });
    });
  }
  if (skipped.total > 0) {
    const n = skipped.total;
    out.summary(`${n} ${n === 1 ? 'attribute of a type' : 'attributes of types'} exhunt does not match (${skipped.describe()}) ${n === 1 ? 'was' : 'were'} skipped`);
  }
}
