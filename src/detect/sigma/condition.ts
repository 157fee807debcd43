// Sigma's condition grammar (rules specification §Condition): `and`, `or`, `not`, parentheses,
// `1 of` / `all of` (and `N of`) over a search-identifier pattern with `*` wildcards or `them`
// (which leaves out identifiers starting with `_`). Precedence, least binding first: or, and, not,
// x of, parentheses. Pipes (`| count() > 5`) are Sigma 1 aggregations, replaced by correlation rules.
import { RuleError } from './errors.js';

export type Condition =
  | { op: 'id'; name: string }
  | { op: 'and' | 'or'; args: Condition[] }
  | { op: 'not'; arg: Condition }
  | { op: 'of'; count: number | 'all'; names: string[]; pattern: string };

type Tok = { t: 'word'; v: string; at: number } | { t: '(' | ')'; at: number };

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  const re = /\s*(?:(\()|(\))|([A-Za-z0-9_*.\-]+)|(\S))/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < s.length && (m = re.exec(s))) {
    const at = m.index + m[0].length - (m[1] ?? m[2] ?? m[3] ?? m[4] ?? '').length;
    if (m[1]) out.push({ t: '(', at });
    else if (m[2]) out.push({ t: ')', at });
    else if (m[3]) out.push({ t: 'word', v: m[3], at });
    else if (m[4] === '|') throw new RuleError(`condition '${s}': aggregations after '|' are Sigma 1 syntax; write a correlation rule instead`);
    else if (m[4]) throw new RuleError(`condition '${s}': unexpected '${m[4]}' at offset ${at}`);
  }
  return out;
}

function wildcardRegex(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\-]/g, '\\$&').replace(/\*/g, '.*')}$`);
}

/** Parses a condition against the rule's search identifiers (names are checked here, once). */
export function parseCondition(text: string, identifiers: readonly string[]): Condition {
  const toks = tokenize(text);
  let i = 0;
  const fail = (why: string): never => {
    throw new RuleError(`condition '${text}': ${why}`);
  };
  const peekWord = (): string | undefined => {
    const t = toks[i];
    return t?.t === 'word' ? t.v.toLowerCase() : undefined;
  };
  const parseOr = (): Condition => {
    const args = [parseAnd()];
    while (peekWord() === 'or') {
      i++;
      args.push(parseAnd());
    }
    return args.length === 1 ? args[0]! : { op: 'or', args };
  };
  const parseAnd = (): Condition => {
    const args = [parseNot()];
    while (peekWord() === 'and') {
      i++;
      args.push(parseNot());
    }
    return args.length === 1 ? args[0]! : { op: 'and', args };
  };
  const parseNot = (): Condition => {
    if (peekWord() === 'not') {
      i++;
      return { op: 'not', arg: parseNot() };
    }
    return parsePrimary();
  };
  const parsePrimary = (): Condition => {
    const t = toks[i];
    if (!t) return fail('ends too early');
    if (t.t === '(') {
      i++;
      const inner = parseOr();
      if (toks[i]?.t !== ')') fail(`missing ')' for '(' at offset ${t.at}`);
      i++;
      return inner;
    }
    if (t.t !== 'word') return fail(`unexpected ')' at offset ${t.at}`);
    const w = t.v.toLowerCase();
    const next = toks[i + 1];
    if ((w === 'all' || w === 'any' || /^\d+$/.test(w)) && next?.t === 'word' && next.v.toLowerCase() === 'of') {
      const target = toks[i + 2];
      if (target?.t !== 'word') return fail(`'${t.v} of' needs a search-identifier pattern or 'them'`);
      i += 3;
      const pattern = target.v;
      const names = pattern.toLowerCase() === 'them' ? identifiers.filter((n) => !n.startsWith('_')) : identifiers.filter((n) => wildcardRegex(pattern).test(n));
      if (names.length === 0) fail(`'${t.v} of ${pattern}' matches no search identifier`);
      const count = w === 'all' ? 'all' : w === 'any' ? 1 : Number(w);
      if (count === 0) fail(`'0 of' is always true`);
      return { op: 'of', count, names, pattern };
    }
    if (['and', 'or', 'not', 'of'].includes(w)) return fail(`unexpected '${t.v}' at offset ${t.at}`);
    if (!identifiers.includes(t.v)) fail(`unknown search identifier '${t.v}'`);
    i++;
    return { op: 'id', name: t.v };
  };
  if (toks.length === 0) fail('is empty');
  const c = parseOr();
  if (i < toks.length) {
    const t = toks[i]!;
    fail(`unexpected '${t.t === 'word' ? t.v : t.t}' at offset ${t.at}`);
  }
  return c;
}

/** Evaluates a condition; `ident` tests one search identifier (cached by the caller as it likes). */
export function evaluate(c: Condition, ident: (name: string) => boolean): boolean {
  switch (c.op) {
    case 'id':
      return ident(c.name);
    case 'and':
      return c.args.every((a) => evaluate(a, ident));
    case 'or':
      return c.args.some((a) => evaluate(a, ident));
    case 'not':
      return !evaluate(c.arg, ident);
    case 'of': {
      if (c.count === 'all') return c.names.every(ident);
      let n = 0;
      for (const name of c.names) if (ident(name) && ++n >= (c.count as number)) return true;
      return false;
    }
  }
}

/** Literals one of which every matching event contains, from the identifiers' own sets. */
export function conditionLiterals(c: Condition, ident: (name: string) => string[] | null, best: (sets: (string[] | null)[]) => string[] | null): string[] | null {
  const union = (sets: (string[] | null)[]) => (sets.some((s) => s === null) ? null : [...new Set(sets.flat() as string[])]);
  switch (c.op) {
    case 'id':
      return ident(c.name);
    case 'and':
      return best(c.args.map((a) => conditionLiterals(a, ident, best)));
    case 'or':
      return union(c.args.map((a) => conditionLiterals(a, ident, best)));
    case 'not':
      return null;
    case 'of':
      return c.count === 'all' ? best(c.names.map(ident)) : c.count === 1 ? union(c.names.map(ident)) : null;
  }
}
