// One CSV record per physical line (RFC 4180 quoting, as Exchange writes its logs and as indicator
// feeds are written): fields that contain commas or quotes are wrapped in double quotes, inner quotes doubled.

export interface CsvLine {
  values: string[];
  /** A quoted field was still open at the end of the line (a cut or corrupt record). */
  unterminated: boolean;
}

export function splitCsvLine(line: string): CsvLine {
  if (line.indexOf('"') === -1) return { values: line.split(','), unterminated: false };
  const values: string[] = [];
  const len = line.length;
  let i = 0;
  for (;;) {
    if (i < len && line.charCodeAt(i) === 34 /* " */) {
      let value = '';
      let start = i + 1;
      let closed = false;
      let j = start;
      while (j < len) {
        const q = line.indexOf('"', j);
        if (q === -1) break;
        if (line.charCodeAt(q + 1) === 34) {
          value += line.slice(start, q + 1);
          j = q + 2;
          start = j;
          continue;
        }
        value += line.slice(start, q);
        j = q + 1;
        closed = true;
        break;
      }
      if (!closed) {
        values.push(value + line.slice(start));
        return { values, unterminated: true };
      }
      // Anything between the closing quote and the next comma belongs to the field (lenient).
      const comma = line.indexOf(',', j);
      if (comma === -1) {
        values.push(value + line.slice(j));
        return { values, unterminated: false };
      }
      values.push(value + line.slice(j, comma));
      i = comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      if (comma === -1) {
        values.push(line.slice(i));
        return { values, unterminated: false };
      }
      values.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
}

/** The records of a small CSV text (header line first) as objects keyed by the header's names. */
export function csvRecords(text: string): Record<string, string>[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  const head = splitCsvLine(lines[0]!).values;
  return lines.slice(1).map((l) => Object.fromEntries(splitCsvLine(l).values.map((v, i) => [head[i] ?? `c${i}`, v])));
}
