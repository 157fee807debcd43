// Reads the comparison expressions out of a STIX 2.1 pattern (STIX 2.1 specification, section 9
// "STIX Patterning"): `[ipv4-addr:value = '198.51.100.1' OR file:hashes.'SHA-256' IN ('…', '…')]
// FOLLOWEDBY [url:value = '…'] WITHIN 600 SECONDS`. An indicator list only needs each comparison's
// object path, operator and string values, so the boolean structure and the qualifiers are read past,
// not evaluated: a hunt looks for every value a pattern names. One pass over the text, no recursion,
// so a feed's longest pattern costs what its length does.

export interface StixComparison {
  /** Object type: `file`, `ipv4-addr`… */
  object: string;
  /** Property steps with quotes removed (`hashes`, `SHA-256`); a list index `[*]` or `[0]` is `*`. */
  property: string[];
  /** `=`, `!=`, `<`…, or a keyword upper-cased: `IN`, `LIKE`, `MATCHES`, `ISSUBSET`, `ISSUPERSET`. */
  operator: string;
  /** Written with NOT before the operator. */
  negated: boolean;
  /** The string values compared with (one, or a set's); empty for numbers, booleans, timestamps… */
  values: string[];
}

type Token =
  | { kind: 'path'; object: string; property: string[] }
  | { kind: 'string'; value: string }
  /** Numbers, booleans, timestamps t'…', binaries b'…', hex h'…': values exhunt has no use for. */
  | { kind: 'other-literal' }
  | { kind: 'word'; text: string }
  | { kind: 'punct'; text: string };

const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;
const STEP = /[A-Za-z0-9_-]+/y;
const INDEX = /\[(?:\*|\d+)\]/y;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const OPERATOR = /!=|<=|>=|=|<|>/y;
const KEYWORD_OPERATORS = new Set(['IN', 'LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET']);

class PatternError extends Error {}

function sticky(re: RegExp, s: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(s)?.[0];
}

/** A quoted string from its opening quote: `\'` and `\\` are the only escapes STIX defines. */
function readString(s: string, start: number): { value: string; end: number } {
  const parts: string[] = [];
  let from = start + 1;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && (s[i + 1] === "'" || s[i + 1] === '\\')) {
      parts.push(s.slice(from, i), s[i + 1]!);
      from = ++i + 1;
    } else if (c === "'") {
      parts.push(s.slice(from, i));
      return { value: parts.join(''), end: i + 1 };
    }
  }
  throw new PatternError(`unterminated string starting at offset ${start}`);
}

/** The steps after `type:` — `hashes.'SHA-256'`, `extensions.'http-request-ext'.request_header.'User-Agent'`, `values[*]`. */
function readProperty(s: string, start: number): { property: string[]; end: number } {
  const property: string[] = [];
  let i = start;
  for (;;) {
    if (s[i] === "'") {
      const str = readString(s, i);
      property.push(str.value);
      i = str.end;
    } else {
      const step = sticky(STEP, s, i);
      if (!step) throw new PatternError(`expected a property name at offset ${i}`);
      property.push(step);
      i += step.length;
    }
    for (let index; (index = sticky(INDEX, s, i)); i += index.length) property.push('*');
    if (s[i] !== '.') return { property, end: i };
    i++;
  }
}

function tokenize(s: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      const str = readString(s, i);
      tokens.push({ kind: 'string', value: str.value });
      i = str.end;
    } else if ('[](),'.includes(c)) {
      tokens.push({ kind: 'punct', text: c });
      i++;
    } else if (sticky(OPERATOR, s, i)) {
      const op = sticky(OPERATOR, s, i)!;
      tokens.push({ kind: 'punct', text: op });
      i += op.length;
    } else if (sticky(NUMBER, s, i)) {
      tokens.push({ kind: 'other-literal' });
      i += sticky(NUMBER, s, i)!.length;
    } else {
      const word = sticky(IDENT, s, i);
      if (!word) throw new PatternError(`unexpected "${c}" at offset ${i}`);
      i += word.length;
      if (s[i] === ':') {
        const prop = readProperty(s, i + 1);
        tokens.push({ kind: 'path', object: word.toLowerCase(), property: prop.property });
        i = prop.end;
      } else if (s[i] === "'" && /^[tbh]$/i.test(word)) {
        i = readString(s, i).end;
        tokens.push({ kind: 'other-literal' });
      } else {
        tokens.push({ kind: 'word', text: word.toUpperCase() });
      }
    }
  }
  return tokens;
}

/** The values after an operator: one literal, or a parenthesised set for IN. */
function readOperand(tokens: Token[], at: number): { values: string[]; end: number } {
  const t = tokens[at];
  if (t?.kind === 'punct' && t.text === '(') {
    const values: string[] = [];
    let i = at + 1;
    for (; i < tokens.length; i++) {
      const item = tokens[i]!;
      if (item.kind === 'punct' && item.text === ')') return { values, end: i + 1 };
      if (item.kind === 'string') values.push(item.value);
      else if (!(item.kind === 'other-literal' || item.kind === 'word' || (item.kind === 'punct' && item.text === ','))) break;
    }
    throw new PatternError('a set of values is not closed with ")"');
  }
  if (t?.kind === 'string') return { values: [t.value], end: at + 1 };
  if (t?.kind === 'other-literal' || t?.kind === 'word') return { values: [], end: at + 1 };
  throw new PatternError('a comparison has no value');
}

/** Every comparison in the pattern, or why the pattern cannot be read. */
export function readStixPattern(pattern: string): { comparisons: StixComparison[] } | { error: string } {
  try {
    const tokens = tokenize(pattern);
    const comparisons: StixComparison[] = [];
    let depth = 0;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.kind === 'punct' && (t.text === '[' || t.text === ']')) {
        depth += t.text === '[' ? 1 : -1;
        if (depth < 0 || depth > 1) throw new PatternError('unbalanced "[" and "]"');
      }
      if (t.kind !== 'path') continue;
      if (depth !== 1) throw new PatternError(`${t.object}:${t.property.join('.')} is outside an observation expression "[…]"`);
      let at = i + 1;
      const negated = tokens[at]?.kind === 'word' && (tokens[at] as { text: string }).text === 'NOT';
      if (negated) at++;
      const op = tokens[at];
      const operator = op?.kind === 'punct' && op.text !== '(' && op.text !== ')' && op.text !== ',' && op.text !== '[' && op.text !== ']' ? op.text : op?.kind === 'word' && KEYWORD_OPERATORS.has(op.text) ? op.text : undefined;
      if (!operator) throw new PatternError(`${t.object}:${t.property.join('.')} is not followed by a comparison operator`);
      const operand = readOperand(tokens, at + 1);
      comparisons.push({ object: t.object, property: t.property, operator, negated, values: operand.values });
      i = operand.end - 1;
    }
    if (depth !== 0) throw new PatternError('unbalanced "[" and "]"');
    return { comparisons };
  } catch (err) {
    if (err instanceof PatternError) return { error: err.message };
    throw err;
  }
}
