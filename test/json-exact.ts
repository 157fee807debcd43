// A JSON reader for the golden files that keeps integers beyond 2^53 exact (as BigInt), which
// JSON.parse on Node 20 cannot; the parser's records carry such values as BigInt too.
export type Exact = string | number | bigint | boolean | null | Exact[] | { [k: string]: Exact };

export function parseExact(text: string): Exact {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`JSON: ${what} at ${i}`);
  };
  const value = (): Exact => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: { [k: string]: Exact } = {};
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        const k = value();
        if (typeof k !== 'string') fail('key');
        ws();
        if (text[i++] !== ':') fail('colon');
        obj[k as string] = value();
        ws();
        const d = text[i++];
        if (d === '}') return obj;
        if (d !== ',') fail('comma');
      }
    }
    if (c === '[') {
      i++;
      const arr: Exact[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        const d = text[i++];
        if (d === ']') return arr;
        if (d !== ',') fail('comma');
      }
    }
    if (c === '"') {
      const start = i;
      i++;
      while (text[i] !== '"') {
        if (text[i] === '\\') i++;
        i++;
        if (i >= text.length) fail('string');
      }
      i++;
      return JSON.parse(text.slice(start, i)) as string;
    }
    const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?|^true|^false|^null/.exec(text.slice(i, i + 400));
    if (!m) return fail('value');
    i += m[0].length;
    if (m[0] === 'true') return true;
    if (m[0] === 'false') return false;
    if (m[0] === 'null') return null;
    if (!m[1] && !m[2]) {
      const n = Number(m[0]);
      return Number.isSafeInteger(n) ? n : BigInt(m[0]);
    }
    return Number(m[0]);
  };
  const out: Exact[] = [];
  ws();
  while (i < text.length) {
    out.push(value());
    ws();
  }
  return out.length === 1 ? out[0]! : out;
}

/** Every top-level JSON value in a file holding one or several back to back. */
export function parseAllExact(text: string): Exact[] {
  const v = parseExact(text.trim());
  // A single top-level array is one value, not a list of records.
  return text.trim().startsWith('[') || !Array.isArray(v) ? [v] : v;
}
