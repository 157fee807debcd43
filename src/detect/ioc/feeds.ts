// Indicator files in JSON: STIX 2.x (stix.ts) or MISP events (misp.ts), told apart by content. A
// file that is not valid JSON gives one line with the offset of the first error and no indicators.
import { FeedCollector } from './collector.js';
import { readMisp, looksLikeMisp } from './misp.js';
import { looksLikeStix, readStix } from './stix.js';
import type { IndicatorParse } from './values.js';

/** JSON starts, after a byte order mark and white space, with `{` or `[`. */
export function looksLikeJson(text: string): boolean {
  return /^\uFEFF?\s*[[{]/.test(text.slice(0, 4096));
}

/**
 * Where the first syntax error is, for the message: V8 only says "at position N" for some errors.
 * A walk over the text with an explicit stack (no recursion: feeds nest deeply); -1 when it finds none.
 */
export function jsonErrorOffset(s: string): number {
  const VALUE = /"(?:[^"\\\u0000-\u001f]+|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
  const stack: string[] = [];
  let expect: 'value' | 'value-or-close' | 'key' | 'key-or-close' | 'colon' | 'comma-or-close' | 'end' = 'value';
  const after = () => (stack.length > 0 ? 'comma-or-close' : 'end');
  let i = 0;
  for (;;) {
    while (i < s.length && ' \t\n\r'.includes(s[i]!)) i++;
    if (i >= s.length) return expect === 'end' ? -1 : s.length;
    const c = s[i]!;
    const close = stack.at(-1) === '{' ? '}' : ']';
    if ((expect === 'value-or-close' && c === ']') || (expect === 'key-or-close' && c === '}') || (expect === 'comma-or-close' && c === close)) {
      stack.pop();
      i++;
      expect = after();
    } else if (expect === 'value' || expect === 'value-or-close') {
      if (c === '{' || c === '[') {
        stack.push(c);
        i++;
        expect = c === '{' ? 'key-or-close' : 'value-or-close';
        continue;
      }
      VALUE.lastIndex = i;
      if (!VALUE.test(s)) return i;
      i = VALUE.lastIndex;
      expect = after();
    } else if (expect === 'key' || expect === 'key-or-close') {
      VALUE.lastIndex = i;
      if (c !== '"' || !VALUE.test(s)) return i;
      i = VALUE.lastIndex;
      expect = 'colon';
    } else if (expect === 'colon' && c === ':') {
      i++;
      expect = 'value';
    } else if (expect === 'comma-or-close' && c === ',') {
      i++;
      expect = stack.at(-1) === '{' ? 'key' : 'value';
    } else {
      return i;
    }
  }
}

/** Reads a STIX or MISP JSON document; `text` is the whole file. */
export function parseJsonFeed(text: string, file: string): IndicatorParse {
  const out = new FeedCollector(file);
  // The mark is replaced, not removed, so offsets stay those of the file.
  const body = text.replace(/^\uFEFF/, ' ');
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (err) {
    const offset = jsonErrorOffset(body);
    const why = (err instanceof Error ? err.message : String(err)).replace(/ in JSON at position \d+$/, '').replace(/, .*is not valid JSON$/s, '');
    return { indicators: [], errors: [`${file}: not valid JSON${offset >= 0 ? ` at offset ${offset}` : ''}: ${why}`] };
  }
  if (looksLikeMisp(doc)) readMisp(doc, out);
  else if (looksLikeStix(doc)) readStix(doc, out);
  else out.problem('JSON that is neither a STIX 2.1 bundle (or STIX objects) nor a MISP event');
  return out.result();
}
