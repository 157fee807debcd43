// One `field|modifier…: value(s)` entry of a detection map (or a keyword list) compiled to a test,
// with the literals of which one must occur in any event it matches (for the prefilter).
import { RuleError } from './errors.js';
import {
  type Encoded,
  type Encoding,
  ENCODING,
  NUMERIC,
  REGEX_FLAGS,
  type NumericOp,
  TIME,
  type TimePart,
  cidrTest,
  compareNumber,
  encode,
  encodedText,
  expandPlaceholders,
  isKnownModifier,
  timePart,
  toNumber,
} from './modifiers.js';
import { type Pattern, compilePattern, hasWildcards, literalPattern, longestText, parseSigmaString, patternText, windash, wrap } from './pattern.js';
import { compileRegex } from './regex.js';
import type { Predicate, SigmaView } from './view.js';

export interface CompileOptions {
  /** Values for `expand` placeholders, by name without the percent signs. */
  placeholders: Readonly<Record<string, readonly string[]>>;
  /** Fields whose log writes spaces as '+' (IIS user agents): '+' and ' ' are one character there. */
  plusIsSpace?: ReadonlySet<string>;
}

export interface Compiled {
  test: Predicate;
  /** Lower-case literals, one of which occurs in every matching event; null when none can be named. */
  literals: string[] | null;
  /** Sigma field names read (for evidence); '' for a keyword search. */
  fields: string[];
  /**
   * Fields the test requires to equal one of a few values (lower-cased), e.g. EventID ∈ {1102}: the
   * engine checks them once per event kind (channel, event id, provider) instead of per event.
   */
  constraints?: Constraints;
}

export type Constraints = ReadonlyMap<string, ReadonlySet<string>>;

/** All of several tests: each field's allowed values intersect. */
export function andConstraints(list: readonly (Constraints | undefined)[]): Constraints | undefined {
  const out = new Map<string, Set<string>>();
  for (const c of list) {
    if (!c) continue;
    for (const [f, vs] of c) {
      const prev = out.get(f);
      out.set(f, prev ? new Set([...prev].filter((v) => vs.has(v))) : new Set(vs));
    }
  }
  return out.size > 0 ? out : undefined;
}

/** Any of several tests: only fields every one of them constrains, with the union of values. */
export function orConstraints(list: readonly (Constraints | undefined)[]): Constraints | undefined {
  if (list.length === 0 || list.some((c) => !c)) return undefined;
  const out = new Map<string, Set<string>>();
  for (const [f] of list[0]!) {
    if (!list.every((c) => c!.has(f))) continue;
    out.set(f, new Set(list.flatMap((c) => [...c!.get(f)!])));
  }
  return out.size > 0 ? out : undefined;
}

type Scalar = string | number | boolean | null;

interface Mods {
  all: boolean;
  cased: boolean;
  before: boolean;
  after: boolean;
  exists: boolean;
  windash: boolean;
  expand: boolean;
  fieldref: boolean;
  cidr: boolean;
  re: boolean;
  reFlags: { i?: boolean; m?: boolean; s?: boolean };
  numeric?: NumericOp;
  time?: TimePart;
  encodings: Encoding[];
}

function parseMods(names: readonly string[]): Mods {
  const m: Mods = { all: false, cased: false, before: false, after: false, exists: false, windash: false, expand: false, fieldref: false, cidr: false, re: false, reFlags: {}, encodings: [] };
  for (const name of names) {
    if (!isKnownModifier(name)) throw new RuleError(`unknown modifier '${name}'`);
    if ((REGEX_FLAGS as readonly string[]).includes(name) && !m.re) throw new RuleError(`modifier '${name}' is only valid after 're'`);
    if ((ENCODING as readonly string[]).includes(name)) m.encodings.push(name as Encoding);
    else if ((NUMERIC as readonly string[]).includes(name)) {
      if (m.numeric) throw new RuleError(`two comparison modifiers ('${m.numeric}' and '${name}')`);
      m.numeric = name as NumericOp;
    } else if ((TIME as readonly string[]).includes(name)) m.time = name as TimePart;
    else
      switch (name) {
        case 'all':
          m.all = true;
          break;
        case 'cased':
          m.cased = true;
          break;
        case 'contains':
          m.before = m.after = true;
          break;
        case 'startswith':
          m.after = true;
          break;
        case 'endswith':
          m.before = true;
          break;
        case 'exists':
          m.exists = true;
          break;
        case 'windash':
          m.windash = true;
          break;
        case 'expand':
          m.expand = true;
          break;
        case 'fieldref':
          m.fieldref = true;
          break;
        case 'cidr':
          m.cidr = true;
          break;
        case 're':
          m.re = true;
          break;
        case 'i':
        case 'ignorecase':
          m.reFlags.i = true;
          break;
        case 'm':
        case 'multiline':
          m.reFlags.m = true;
          break;
        case 's':
        case 'dotall':
          m.reFlags.s = true;
          break;
      }
  }
  if (m.exists && names.length > 1) throw new RuleError(`'exists' cannot be combined with other modifiers`);
  if (m.re && (m.encodings.length > 0 || m.windash || m.expand)) throw new RuleError(`'re' cannot be combined with encodings, windash or expand`);
  if (m.re && names[0] !== 're') throw new RuleError(`'re' must come first: it applies to the value as written`);
  return m;
}

function scalars(field: string, value: unknown): Scalar[] {
  const list = Array.isArray(value) ? value : [value];
  for (const v of list) {
    if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new RuleError(`field '${field}': values must be strings, numbers, booleans or null, not ${Array.isArray(v) ? 'a list' : typeof v}`);
    }
  }
  if (list.length === 0) throw new RuleError(`field '${field}': empty list of values`);
  return list as Scalar[];
}

function str(v: Exclude<Scalar, null>): string {
  return typeof v === 'string' ? v : String(v);
}

/** Combines per-value tests: any of them, or all of them with `all`. */
function combine(tests: ((v: SigmaView) => boolean)[], all: boolean): Predicate {
  if (tests.length === 1) return tests[0]!;
  return all ? (v) => tests.every((t) => t(v)) : (v) => tests.some((t) => t(v));
}

/** Literal sets per value combined: all values → the best single set; any value → the union. */
function combineLiterals(sets: (string[] | null)[], all: boolean): string[] | null {
  if (all) return bestLiterals(sets);
  if (sets.some((s) => s === null)) return null;
  return [...new Set(sets.flat() as string[])];
}

/**
 * Of several sufficient literal sets, the one whose least selective literal is most selective: longer
 * is better, and punctuation counts extra ('={{' is rarer in a log than 'get').
 */
export function bestLiterals(sets: readonly (string[] | null)[]): string[] | null {
  let best: string[] | null = null;
  let score = -1;
  for (const s of sets) {
    if (!s || s.length === 0) continue;
    const sc = Math.min(...s.map((x) => x.length + (/[^a-z0-9 ]/.test(x) ? 2 : 0))) - s.length / 1000;
    if (sc > score) {
      best = s;
      score = sc;
    }
  }
  return best;
}

/** Literal a pattern guarantees, lower-cased; null when it has none of at least 2 characters. */
function patternLiteral(p: Pattern): string[] | null {
  const t = longestText(p).toLowerCase();
  return t.length >= 2 ? [t] : null;
}

/** String patterns of one rule value after placeholders, encodings and windash. */
function valuePatterns(raw: string, m: Mods, opts: CompileOptions): Pattern[] {
  const texts = m.expand ? expandPlaceholders(raw, opts.placeholders) : [raw];
  const out: Pattern[] = [];
  for (const t of texts) {
    let p = parseSigmaString(t);
    if (m.encodings.length > 0) {
      if (hasWildcards(p)) throw new RuleError(`'${m.encodings[0]}' cannot encode a value with wildcards ('${raw}')`);
      let vals: Encoded[] = [p.map((x) => (x.kind === 'text' ? x.text : '')).join('')];
      for (const e of m.encodings) vals = vals.flatMap((v) => encode(v, e));
      for (const v of vals) out.push(literalPattern(encodedText(v)));
      continue;
    }
    if (m.windash) p = windash(p);
    out.push(p);
  }
  return out.map((p) => wrap(p, m.before, m.after));
}

function stringField(field: string, values: Scalar[], m: Mods, opts: CompileOptions): Compiled {
  const keyword = field === '';
  const perValue: ((v: SigmaView) => boolean)[] = [];
  const literalSets: (string[] | null)[] = [];
  for (const raw of values) {
    if (raw === null) {
      if (keyword) throw new RuleError('a keyword cannot be null');
      perValue.push((v) => {
        const x = v.get(field);
        return x === undefined || x === '';
      });
      literalSets.push(null);
      continue;
    }
    let patterns = valuePatterns(str(raw), m, opts);
    if (opts.plusIsSpace?.has(field)) patterns = patterns.map((p) => p.map((t) => (t.kind === 'text' ? { kind: 'text', text: t.text.replace(/\+/g, ' ') } : t)));
    const tests = patterns.map((p) => compilePattern(keyword && !m.before && !m.after ? wrap(p, true, true) : p, m.cased));
    const matchOne = (s: string) => tests.some((t) => t(s));
    if (keyword) perValue.push((v) => v.anyValue(matchOne, m.cased));
    else if (m.cased) perValue.push((v) => { const x = v.get(field); return x !== undefined && matchOne(x); });
    else perValue.push((v) => { const x = v.lower(field); return x !== undefined && matchOne(x); });
    const lits = patterns.map(patternLiteral);
    literalSets.push(lits.some((l) => l === null) ? null : lits.flat() as string[]);
  }
  const out: Compiled = { test: combine(perValue, m.all), literals: combineLiterals(literalSets, m.all), fields: [field] };
  const plain = !keyword && !m.all && !m.cased && !m.before && !m.after && !m.windash && !m.expand && m.encodings.length === 0;
  if (plain && values.every((x) => x !== null && !hasWildcards(parseSigmaString(str(x))))) {
    out.constraints = new Map([[field, new Set(values.map((x) => patternText(parseSigmaString(str(x!))).toLowerCase()))]]);
  }
  return out;
}

/**
 * Compiles one detection-map entry (`key` is `field|mod|…`, or `|mod…` / '' for keywords). `neq`
 * negates the whole entry, as pySigma does: `User|neq: [a, b]` is "not (a or b)", true also when
 * the field is missing.
 */
export function compileField(key: string, value: unknown, opts: CompileOptions): Compiled {
  const [field = '', ...modNames] = key.split('|');
  if (modNames.includes('neq')) {
    if (field === '') throw new RuleError(`keyword search cannot use 'neq'`);
    const inner = compileField([field, ...modNames.filter((n) => n !== 'neq')].join('|'), value, opts);
    return { test: (v) => !inner.test(v), literals: null, fields: inner.fields };
  }
  const m = parseMods(modNames);
  const values = scalars(field || 'keywords', value);
  if (m.all && values.length === 1) throw new RuleError(`field '${key}': 'all' needs a list of values`);

  if (m.exists) {
    const want = values[0] === true || values[0] === 'true' ? true : values[0] === false || values[0] === 'false' ? false : null;
    if (want === null || values.length !== 1) throw new RuleError(`field '${key}': 'exists' takes true or false`);
    return { test: (v) => (v.get(field) !== undefined) === want, literals: null, fields: [field] };
  }
  if (field === '' && (m.numeric || m.time || m.cidr || m.fieldref || m.exists)) {
    throw new RuleError(`keyword search cannot use '${modNames.join('|')}'`);
  }
  if (m.re) {
    const tests = values.map((raw) => {
      if (raw === null) throw new RuleError(`field '${key}': null is not a regular expression`);
      // contains leaves a search as it is; startswith / endswith anchor it (pySigma does the same).
      const [, flags = '', body = ''] = /^(\(\?[a-z]+\))?([\s\S]*)$/.exec(str(raw))!;
      const source = `${flags}${m.after && !m.before ? '^(?:' : '(?:'}${body})${m.before && !m.after ? '$' : ''}`;
      const r = compileRegex(m.before || m.after ? source : str(raw), m.reFlags);
      if (!r.ok) throw new RuleError(`regular expression '${str(raw)}': ${r.reason}`);
      return r.regex;
    });
    const perValue = field === '' ? tests.map((r) => (v: SigmaView) => v.anyValue((s) => r.test(s), true)) : tests.map((r) => (v: SigmaView) => { const x = v.get(field); return x !== undefined && r.test(x); });
    const lits = combineLiterals(tests.map((r) => (r.literals.length > 0 ? [...r.literals] : null)), m.all);
    return { test: combine(perValue, m.all), literals: lits, fields: [field] };
  }
  if (m.cidr) {
    const nets = values.map((x) => (x === null ? '' : str(x)));
    const inNet = cidrTest(nets);
    const test: Predicate = (v) => {
      const x = v.get(field);
      return x !== undefined && inNet(x);
    };
    return { test, literals: null, fields: [field] };
  }
  if (m.fieldref) return fieldrefField(field, values, m);
  if (m.numeric || m.time) return numericField(field, values, m);
  return stringField(field, values, m, opts);
}

function fieldrefField(field: string, values: Scalar[], m: Mods): Compiled {
  const tests = values.map((raw) => {
    if (typeof raw !== 'string' || raw === '') throw new RuleError(`field '${field}': 'fieldref' takes field names`);
    const other = raw;
    return (v: SigmaView) => {
      const a = m.cased ? v.get(field) : v.lower(field);
      const b = m.cased ? v.get(other) : v.lower(other);
      if (a === undefined || b === undefined) return false;
      return m.before && m.after ? a.includes(b) : m.before ? a.endsWith(b) : m.after ? a.startsWith(b) : a === b;
    };
  });
  return { test: combine(tests, m.all), literals: null, fields: [field, ...values.map(String)] };
}

function numericField(field: string, values: Scalar[], m: Mods): Compiled {
  const tests = values.map((raw) => {
    const n = raw === null || typeof raw === 'boolean' ? NaN : typeof raw === 'number' ? raw : toNumber(raw);
    if (Number.isNaN(n)) throw new RuleError(`field '${field}': '${String(raw)}' is not a number (${m.numeric ?? m.time} modifier)`);
    return (v: SigmaView) => {
      const x = v.get(field);
      if (x === undefined) return false;
      const got = m.time ? timePart(x, m.time) : toNumber(x);
      if (Number.isNaN(got)) return false;
      return m.numeric ? compareNumber(m.numeric, got, n) : got === n;
    };
  });
  return { test: combine(tests, m.all), literals: null, fields: [field] };
}
