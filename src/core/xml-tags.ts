// A tolerant, non-validating scan of XML tags for configuration files an intruder may have edited
// (applicationHost.config, web.config): no XML library to trust with them, linear time on hostile
// input, entities decoded in attribute values.

export type Attrs = ReadonlyMap<string, string>;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeXmlText(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (whole, ent: string) => {
    if (!ent.startsWith('#')) return ENTITIES[ent] ?? whole;
    const code = ent.startsWith('#x') ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13;
// Names end at whitespace, `/`, `>`, `<` or `=`; NaN (past the end) ends them too.
const isNameEnd = (c: number): boolean => isSpace(c) || c === 47 || c === 62 || c === 60 || c === 61 || Number.isNaN(c);
const skipPast = (text: string, end: string, from: number): number => {
  const at = text.indexOf(end, from);
  return at < 0 ? text.length : at + end.length;
};

/**
 * A tolerant, non-validating tag scanner: comments, CDATA, processing instructions and
 * declarations are skipped (so a commented-out rule does not count); an unfinished tag is dropped.
 * Every character is looked at a bounded number of times, so hostile input costs linear time.
 */
export function scanTags(text: string, open: (name: string, attrs: Attrs, selfClosing: boolean) => void, close: (name: string) => void): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const lt = text.indexOf('<', i);
    if (lt < 0) return;
    if (text.startsWith('!--', lt + 1)) i = skipPast(text, '-->', lt + 4);
    else if (text.startsWith('![CDATA[', lt + 1)) i = skipPast(text, ']]>', lt + 9);
    else if (text[lt + 1] === '!' || text[lt + 1] === '?') i = skipPast(text, '>', lt + 2);
    else {
      const closing = text[lt + 1] === '/';
      let j = closing ? lt + 2 : lt + 1;
      const nameStart = j;
      while (!isNameEnd(text.charCodeAt(j))) j++;
      const name = text.slice(nameStart, j);
      if (closing) {
        const gt = text.indexOf('>', j);
        if (gt < 0) return;
        if (name !== '') close(name);
        i = gt + 1;
        continue;
      }
      if (name === '') {
        i = lt + 1;
        continue;
      }
      const attrs = new Map<string, string>();
      let end = 0; // 1: `>`, 2: `/>`
      while (j < n) {
        const c = text.charCodeAt(j);
        if (isSpace(c)) j++;
        else if (c === 62) end = 1;
        else if (c === 47 && text.charCodeAt(j + 1) === 62) end = 2;
        else if (c === 60) break; // a new tag starts: this one never ended
        else {
          const attrStart = j;
          while (!isNameEnd(text.charCodeAt(j))) j++;
          if (j === attrStart) {
            j++;
            continue;
          }
          const attr = text.slice(attrStart, j);
          while (isSpace(text.charCodeAt(j))) j++;
          if (text[j] !== '=') continue;
          j++;
          while (isSpace(text.charCodeAt(j))) j++;
          const quote = text[j];
          let value: string;
          if (quote === '"' || quote === "'") {
            const closeQuote = text.indexOf(quote, j + 1);
            if (closeQuote < 0) {
              j = n;
              break;
            }
            value = text.slice(j + 1, closeQuote);
            j = closeQuote + 1;
          } else {
            const valueStart = j;
            while (j < n && !isSpace(text.charCodeAt(j)) && text[j] !== '>' && text[j] !== '<') j++;
            value = text.slice(valueStart, j);
          }
          if (!attrs.has(attr)) attrs.set(attr, decodeXmlText(value));
        }
        if (end > 0) break;
      }
      i = end > 0 ? j + end : j;
      if (end > 0) open(name, attrs, end === 2);
    }
  }
}

