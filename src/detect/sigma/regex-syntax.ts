// The syntax half of the Sigma regular-expression engine (see regex.ts): character sets as sorted
// code-unit ranges, case folding as JavaScript's non-unicode /i does it, and the recursive-descent
// parser from a pattern to the AST the NFA is built from. Errors name the construct and its offset.
import type { RegexFlags } from './regex.js';

const MAX_NESTING = 500;
/** Largest NFA a pattern may compile to (e.g. `(a{1000}){1000}` is refused). */
export const MAX_NFA_STATES = 50_000;

// ---------------------------------------------------------------- character sets
/** Sorted, disjoint, non-adjacent inclusive code-unit ranges: [lo0, hi0, lo1, hi1, ...]. */
export type CharSet = number[];
const MAX_CHAR = 0xffff;

function normalize(r: number[]): CharSet {
  const pairs: [number, number][] = [];
  for (let k = 0; k < r.length; k += 2) pairs.push([r[k], r[k + 1]]);
  pairs.sort((x, y) => x[0] - y[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const n = out.length;
    if (n > 0 && lo <= out[n - 1] + 1) out[n - 1] = Math.max(out[n - 1], hi);
    else out.push(lo, hi);
  }
  return out;
}

function negate(s: CharSet): CharSet {
  const out: number[] = [];
  let next = 0;
  for (let k = 0; k < s.length; k += 2) {
    if (s[k] > next) out.push(next, s[k] - 1);
    next = s[k + 1] + 1;
  }
  if (next <= MAX_CHAR) out.push(next, MAX_CHAR);
  return out;
}

export function has(s: CharSet, c: number): boolean {
  let lo = 0, hi = (s.length >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (c < s[2 * mid]) hi = mid - 1;
    else if (c > s[2 * mid + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

const DIGIT: CharSet = [48, 57];
const WORD: CharSet = normalize([48, 57, 65, 90, 95, 95, 97, 122]);
const SPACE: CharSet = normalize([9, 13, 32, 32, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029,
  0x202f, 0x202f, 0x205f, 0x205f, 0x3000, 0x3000, 0xfeff, 0xfeff]);
const LINE_TERMS: CharSet = [10, 10, 13, 13, 0x2028, 0x2029];
const ANY: CharSet = [0, MAX_CHAR];
const DOT: CharSet = negate(LINE_TERMS);

/**
 * Case folding as in JS non-unicode /i: two code units match when Canonicalize() (toUpperCase
 * of the single unit, unless that gives several units or maps a non-ASCII unit to ASCII)
 * agrees. Built once on first use: unit → the other units of its equivalence class.
 */
let partners: Map<number, number[]> | undefined;
function casePartners(): Map<number, number[]> {
  if (partners) return partners;
  const byCanon = new Map<number, number[]>();
  for (let c = 0; c <= MAX_CHAR; c++) {
    const u = String.fromCharCode(c).toUpperCase();
    const k = u.length === 1 && !(c >= 128 && u.charCodeAt(0) < 128) ? u.charCodeAt(0) : c;
    const g = byCanon.get(k);
    if (g) g.push(c); else byCanon.set(k, [c]);
  }
  partners = new Map();
  for (const g of byCanon.values()) if (g.length > 1) for (const c of g) partners.set(c, g.filter((d) => d !== c));
  return partners;
}

/** Adds every case variant of every member. */
function fold(s: CharSet): CharSet {
  if (s.length === 2 && s[0] === s[1]) { // a single character: the common case
    const others = casePartners().get(s[0]);
    return others ? normalize(s.concat(...others.map((o) => [o, o]))) : s;
  }
  const extra: number[] = [];
  for (const [c, others] of casePartners()) if (has(s, c)) for (const o of others) extra.push(o, o);
  return extra.length > 0 ? normalize(s.concat(extra)) : s;
}

// ---------------------------------------------------------------- parser → AST
// Assertion kinds.
export const TEXT_START = 0, LINE_START = 1, TEXT_END = 2, LINE_END = 3, TEXT_END_NL = 4, WORD_B = 5, NOT_WORD_B = 6;

/** `size` is the number of NFA states the node compiles to (see Nfa.build). */
export type Node =
  | { t: 'set'; set: CharSet; size: number }
  | { t: 'asr'; a: number; size: number }
  | { t: 'cat' | 'alt'; xs: Node[]; size: number }
  | { t: 'rep'; x: Node; min: number; max: number; size: number };

const setNode = (set: CharSet): Node => ({ t: 'set', set, size: 1 });
const catNode = (xs: Node[]): Node => (xs.length === 1 ? xs[0] : { t: 'cat', xs, size: xs.reduce((n, x) => n + x.size, 0) });
const altNode = (xs: Node[]): Node =>
  xs.length === 1 ? xs[0] : { t: 'alt', xs, size: xs.reduce((n, x) => n + x.size, xs.length - 1) };

export class RegexError extends Error {}
function fail(what: string, at: number): never {
  throw new RegexError(`${what} at offset ${at}`);
}

const BRACES = /\{(\d+)(,(\d*))?\}/y;
const NAMED_GROUP = /\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/y;
const FLAG_GROUP = /\(\?([ims]*)(?:-([ims]*))?([:)])/y;
const POSIX_CLASS = /\[([:=.])[A-Za-z]*\1\]/y;
const ESCAPE_SETS: Record<string, CharSet> = {
  d: DIGIT, D: negate(DIGIT), w: WORD, W: negate(WORD), s: SPACE, S: negate(SPACE),
  t: [9, 9], n: [10, 10], v: [11, 11], f: [12, 12], r: [13, 13], b: [8, 8], // `\b` is a backspace only in classes
};
const ESCAPE_ASSERTIONS: Record<string, number> = { B: NOT_WORD_B, A: TEXT_START, z: TEXT_END, Z: TEXT_END_NL };

export class Parser {
  private i = 0;
  private depth = 0;
  private flags: { i: boolean; m: boolean; s: boolean };
  /** True when an assertion occurs, so DFA states must remember the previous character's class. */
  usesContext = false;
  /** True when `\Z` occurs (needs to know whether a "\n" is the last character). */
  hasBigZ = false;

  constructor(private readonly p: string, f: RegexFlags) {
    this.flags = { i: !!f.i, m: !!f.m, s: !!f.s };
  }

  parse(): Node {
    const root = this.alternation();
    if (this.i < this.p.length) fail("unbalanced ')'", this.i);
    if (root.size + 1 > MAX_NFA_STATES) fail(`pattern needs more than ${MAX_NFA_STATES} NFA states`, 0);
    return root;
  }

  private alternation(): Node {
    const xs = [this.sequence()];
    while (this.p[this.i] === '|') { this.i++; xs.push(this.sequence()); }
    return altNode(xs);
  }

  private sequence(): Node {
    const xs: Node[] = [];
    while (this.i < this.p.length && this.p[this.i] !== '|' && this.p[this.i] !== ')') {
      const bare = this.p[this.i] !== '('; // `^*` is an error, `(?:^)*` is not
      const a = this.atom();
      if (a) xs.push(this.quantifier(a, bare));
    }
    return catNode(xs);
  }

  /** Reads `{n}`, `{n,}` or `{n,m}` at `at`; null when the text there is not a quantifier (then `{` is a literal, as in JS). */
  private braces(at: number): { min: number; max: number; end: number } | null {
    BRACES.lastIndex = at;
    const m = BRACES.exec(this.p);
    if (!m) return null;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    if (min > max) fail(`quantifier '${m[0]}' has minimum greater than maximum`, at);
    return { min, max, end: at + m[0].length };
  }

  private isQuantifierAt(at: number): boolean {
    const c = this.p[at];
    return c === '*' || c === '+' || c === '?' || (c === '{' && this.braces(at) !== null);
  }

  private quantifier(x: Node, bare: boolean): Node {
    const at = this.i, c = this.p[at];
    let min: number, max: number;
    if (c === '*') { min = 0; max = Infinity; this.i++; }
    else if (c === '+') { min = 1; max = Infinity; this.i++; }
    else if (c === '?') { min = 0; max = 1; this.i++; }
    else {
      const b = c === '{' ? this.braces(at) : null;
      if (!b) return x;
      ({ min, max } = b);
      this.i = b.end;
    }
    if (x.t === 'asr' && bare) fail(`quantifier '${c}' with nothing to repeat (follows an anchor)`, at);
    if (this.p[this.i] === '+') fail('possessive quantifier is not supported', this.i);
    if (this.p[this.i] === '?') this.i++; // lazy: same yes/no answer
    if (this.isQuantifierAt(this.i)) fail(`quantifier '${this.p[this.i]}' with nothing to repeat`, this.i);
    if (max === 0 || x.size === 0) return catNode([]);
    const s = x.size;
    const size = min * s + (max === Infinity ? s + 1 : (max - min) * (s + 1));
    if (size > MAX_NFA_STATES) fail(`repetition '${this.p.slice(at, this.i)}' needs more than ${MAX_NFA_STATES} NFA states`, at);
    return { t: 'rep', x, min, max, size };
  }

  private lit(set: CharSet): Node {
    return setNode(this.flags.i ? fold(set) : set);
  }

  private assertion(a: number): Node {
    this.usesContext = true;
    if (a === TEXT_END_NL) this.hasBigZ = true;
    return { t: 'asr', a, size: 1 };
  }

  private atom(): Node | null {
    const p = this.p, at = this.i, c = p[at];
    switch (c) {
      case '(': return this.group();
      case '[': return setNode(this.charClass());
      case '.': this.i++; return setNode(this.flags.s ? ANY : DOT);
      case '^': this.i++; return this.assertion(this.flags.m ? LINE_START : TEXT_START);
      case '$': this.i++; return this.assertion(this.flags.m ? LINE_END : TEXT_END);
      case '\\': {
        const e = this.escape(false);
        return typeof e === 'number' ? this.assertion(e) : this.lit(e);
      }
      case '*': case '+': case '?':
        return fail(`quantifier '${c}' with nothing to repeat`, at);
      case '{':
        if (this.braces(at)) fail('quantifier with nothing to repeat', at);
    }
    this.i++;
    const code = p.charCodeAt(at);
    return this.lit([code, code]);
  }

  private group(): Node | null {
    const p = this.p, at = this.i;
    const saved = { ...this.flags };
    const starts = (s: string) => p.startsWith(s, at);
    if (p[at + 1] !== '?') this.i++;
    else if (starts('(?:')) this.i += 3;
    else if (starts('(?=') || starts('(?!')) fail(`lookahead '${p.slice(at, at + 3)}' is not supported`, at);
    else if (starts('(?<=') || starts('(?<!')) fail(`lookbehind '${p.slice(at, at + 4)}' is not supported`, at);
    else if (starts('(?>')) fail("atomic group '(?>' is not supported", at);
    else if (starts('(?P=') || starts('(?P>') || starts('(?&')) fail(`backreference/recursion '${p.slice(at, at + 4)}' is not supported`, at);
    else if (starts('(?(')) fail("conditional group '(?(' is not supported", at);
    else {
      NAMED_GROUP.lastIndex = at;
      FLAG_GROUP.lastIndex = at;
      let m: RegExpExecArray | null;
      if ((m = NAMED_GROUP.exec(p))) this.i += m[0].length;
      else if ((m = FLAG_GROUP.exec(p))) {
        for (const f of m[1]) this.flags[f as 'i' | 'm' | 's'] = true;
        for (const f of m[2] ?? '') this.flags[f as 'i' | 'm' | 's'] = false;
        this.i += m[0].length;
        if (m[3] === ')') return null; // `(?i)`: applies to the rest of the enclosing group
      } else fail(`unsupported group syntax '${p.slice(at, at + 3)}'`, at);
    }
    if (++this.depth > MAX_NESTING) fail('groups nested too deeply', at);
    const body = this.alternation();
    if (p[this.i] !== ')') fail("unbalanced '('", at);
    this.i++;
    this.depth--;
    this.flags = saved;
    return body;
  }

  private charClass(): CharSet {
    const p = this.p, at = this.i;
    this.i++;
    const neg = p[this.i] === '^';
    if (neg) this.i++;
    const r: number[] = [];
    const add = (a: number | CharSet) => (typeof a === 'number' ? r.push(a, a) : r.push(...a));
    for (let first = true; ; first = false) {
      if (this.i >= p.length) fail("unterminated character class '['", at);
      if (p[this.i] === ']' && !first) break; // a `]` first is a literal (PCRE)
      const a = this.classAtom();
      if (p[this.i] === '-' && this.i + 1 < p.length && p[this.i + 1] !== ']') {
        const dash = this.i++;
        const b = this.classAtom();
        if (typeof a === 'number' && typeof b === 'number') {
          if (a > b) fail('character class range out of order', dash);
          r.push(a, b);
        } else { add(a); add(45); add(b); } // `[\d-z]`: JS (Annex B) reads a literal '-'
      } else add(a);
    }
    this.i++;
    let set = normalize(r);
    if (this.flags.i) set = fold(set);
    return neg ? negate(set) : set;
  }

  /** One class member: a code unit, or a set for `\d`-style escapes. */
  private classAtom(): number | CharSet {
    const p = this.p;
    if (p[this.i] === '\\') {
      const e = this.escape(true) as CharSet;
      return e.length === 2 && e[0] === e[1] ? e[0] : e;
    }
    POSIX_CLASS.lastIndex = this.i;
    if (POSIX_CLASS.test(p)) fail('POSIX class syntax [: :] is not supported', this.i);
    return p.charCodeAt(this.i++);
  }

  /** Parses `\…` at this.i: a set, or (outside classes) an assertion kind. */
  private escape(inClass: boolean): CharSet | number {
    const p = this.p, at = this.i, c = p[at + 1];
    if (c === undefined) fail('trailing backslash', at);
    this.i += 2;
    const one = (code: number): CharSet => [code, code];
    const hex = (n: number, what: string): CharSet => {
      const h = p.slice(this.i, this.i + n);
      if (h.length !== n || !/^[0-9a-fA-F]+$/.test(h)) fail(`escape ${what} needs ${n} hex digits`, at);
      this.i += n;
      return one(parseInt(h, 16));
    };
    if (ESCAPE_SETS[c]) return c === 'b' ? (inClass ? one(8) : WORD_B) : ESCAPE_SETS[c];
    if (ESCAPE_ASSERTIONS[c] !== undefined) {
      return inClass ? fail(`escape \\${c} is not allowed in a character class`, at) : ESCAPE_ASSERTIONS[c];
    }
    switch (c) {
      case 'x': return hex(2, '\\x');
      case 'u': return hex(4, '\\u');
      case 'c':
        if (!/[A-Za-z]/.test(p[this.i] ?? '')) fail('escape \\c needs a letter', at);
        return one(p.charCodeAt(this.i++) % 32);
      case '0':
        if (/[0-9]/.test(p[this.i] ?? '')) fail('octal escape is not supported', at);
        return one(0);
      case 'k': case 'g': return fail(`backreference '\\${c}' is not supported`, at);
      case 'p': case 'P': return fail(`unicode property escape '\\${c}' is not supported`, at);
    }
    if (/[1-9]/.test(c)) fail(`backreference '\\${c}' is not supported`, at);
    if (/[A-Za-z0-9]/.test(c)) fail(`unsupported escape '\\${c}'`, at);
    return one(p.charCodeAt(at + 1)); // escaped punctuation (or any other non-alphanumeric) is literal
  }
}

