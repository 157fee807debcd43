/**
 * A small linear-time regular-expression engine for the Sigma `re` modifier.
 *
 * What: Sigma (spec v2.1) defines `re` as a PCRE subset: `.`, anchors `^ $`, quantifiers
 * `* + ? {n,m}`, classes `[a-z] [^a-z]`, alternation and grouping, with sub-modifiers
 * i (case-insensitive), m (^/$ at line breaks) and s (dot matches newline). Real SigmaHQ
 * rules also use `\d \w \s \b \xHH`, `(?:)`, named groups, lazy quantifiers and `(?i)`.
 * We accept that syntax and answer one question: does the pattern match anywhere in a text?
 * Where JavaScript's RegExp accepts a pattern, we give the same answer as RegExp with flags
 * i/m/s (non-unicode mode; `$` without m only at the very end; `\A` = start, `\z` = end,
 * `\Z` = end or before a final "\n"). Deliberate deviation: PCRE's `[]…]` (a `]` first in a
 * class is literal), which JS reads as an empty class. Backreferences, lookaround, atomic
 * groups, possessive quantifiers, conditionals, `\p{…}` and unknown letter escapes are
 * rejected with a one-line reason naming the construct and its offset; compileRegex never throws.
 *
 * Why our own: rules run over attacker-controlled log text (lines can be megabytes), so a
 * backtracking engine is a ReDoS hazard (`(a+)+b`, `.*.*=.*`). V8's experimental linear
 * engine (--enable-experimental-regexp-engine) rejects case-insensitive patterns and counted
 * repetition over ~16 in Node 20, and re2-wasm was measured ~180x slower per test than V8 on
 * a 250-char line. Here the cost is O(text length × pattern size) in the worst case.
 *
 * How: recursive-descent parser → AST in which `.`, classes, escapes and case folding are
 * already plain sets of UTF-16 code units → Thompson NFA (character tests, splits,
 * zero-width assertions) → search by simulating the set of live NFA states. Sets are memoised
 * as DFA states built on the fly (subset construction), each with a transition table (an
 * Int32Array row for char codes < 128, a Map for others), so the common case costs one table
 * lookup per character. The cache is bounded; when full it is cleared and the scan goes on.
 * Assertions are handled by making a DFA state remember the class of the previous character
 * (word / line terminator / other / none) and evaluating them when the next one is known.
 */

export interface RegexFlags { i?: boolean; m?: boolean; s?: boolean }
export interface SafeRegex {
  /** True when the pattern matches somewhere in `text`. Linear in text.length. */
  test(text: string): boolean;
  /** Lower-cased literal strings of which at least one must occur (case-insensitively) in any text the regex matches; [] when no such set can be derived (e.g. `.*` or `[a-z]+`). Used as a prefilter, so it must never exclude a matching text. Prefer few, long literals: e.g. `\\cmd\.exe /c (whoami|net)` → ['\\cmd.exe /c '] ; `(foo|barbaz)x` → ['foo', 'barbaz'] or ['x'] (choose the set whose shortest member is longest); a set of more than 16 alternatives may be replaced by []. */
  readonly literals: readonly string[];
}
export type CompileResult = { ok: true; regex: SafeRegex } | { ok: false; reason: string };

const MAX_NFA_STATES = 50_000;
const MAX_NESTING = 500;
const MAX_DFA_STATES = 2_000; // per regex; the cache is cleared when full
const MAX_CACHED_KERNEL = 1 << 20; // total NFA-state ids held by cached DFA states

// ---------------------------------------------------------------- character sets
/** Sorted, disjoint, non-adjacent inclusive code-unit ranges: [lo0, hi0, lo1, hi1, ...]. */
type CharSet = number[];
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

function has(s: CharSet, c: number): boolean {
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
const TEXT_START = 0, LINE_START = 1, TEXT_END = 2, LINE_END = 3, TEXT_END_NL = 4, WORD_B = 5, NOT_WORD_B = 6;

/** `size` is the number of NFA states the node compiles to (see Nfa.build). */
type Node =
  | { t: 'set'; set: CharSet; size: number }
  | { t: 'asr'; a: number; size: number }
  | { t: 'cat' | 'alt'; xs: Node[]; size: number }
  | { t: 'rep'; x: Node; min: number; max: number; size: number };

const setNode = (set: CharSet): Node => ({ t: 'set', set, size: 1 });
const catNode = (xs: Node[]): Node => (xs.length === 1 ? xs[0] : { t: 'cat', xs, size: xs.reduce((n, x) => n + x.size, 0) });
const altNode = (xs: Node[]): Node =>
  xs.length === 1 ? xs[0] : { t: 'alt', xs, size: xs.reduce((n, x) => n + x.size, xs.length - 1) };

class RegexError extends Error {}
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

class Parser {
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

// ---------------------------------------------------------------- Thompson NFA
const CHAR = 0, SPLIT = 1, ASSERT = 2, MATCH = 3;

class Nfa {
  readonly kind: number[] = [];
  readonly out1: number[] = [];
  readonly out2: number[] = [];
  /** CHAR: index into `sets`; ASSERT: assertion kind. */
  readonly arg: number[] = [];
  readonly sets: CharSet[] = [];
  private readonly setIds = new Map<string, number>();

  add(kind: number, out1: number, out2: number, arg: number): number {
    this.kind.push(kind); this.out1.push(out1); this.out2.push(out2); this.arg.push(arg);
    return this.kind.length - 1;
  }

  private setId(s: CharSet): number {
    const key = s.join(',');
    let id = this.setIds.get(key);
    if (id === undefined) { id = this.sets.push(s) - 1; this.setIds.set(key, id); }
    return id;
  }

  /** Compiles `n` so that it continues to state `next`; returns its entry state (built back to front). */
  build(n: Node, next: number): number {
    switch (n.t) {
      case 'set': return this.add(CHAR, next, -1, this.setId(n.set));
      case 'asr': return this.add(ASSERT, next, -1, n.a);
      case 'cat':
        for (let k = n.xs.length - 1; k >= 0; k--) next = this.build(n.xs[k], next);
        return next;
      case 'alt': {
        let e = this.build(n.xs[n.xs.length - 1], next);
        for (let k = n.xs.length - 2; k >= 0; k--) e = this.add(SPLIT, this.build(n.xs[k], next), e, 0);
        return e;
      }
      case 'rep': {
        let cont = next;
        if (n.max === Infinity) { // x* : split → (x → split) | next
          cont = this.add(SPLIT, -1, next, 0);
          this.out1[cont] = this.build(n.x, cont);
        } else { // (x(x(x)?)?)? for the optional copies, each exit straight to `next`
          for (let k = n.min; k < n.max; k++) cont = this.add(SPLIT, this.build(n.x, cont), next, 0);
        }
        for (let k = 0; k < n.min; k++) cont = this.build(n.x, cont);
        return cont;
      }
    }
  }
}

/** True when every match must begin with a text-start assertion (then threads need only start at 0). */
function anchoredAtStart(n: Node): boolean {
  switch (n.t) {
    case 'asr': return n.a === TEXT_START;
    case 'cat': return n.xs.length > 0 && anchoredAtStart(n.xs[0]);
    case 'alt': return n.xs.every(anchoredAtStart);
    case 'rep': return n.min > 0 && anchoredAtStart(n.x);
    default: return false;
  }
}

// ---------------------------------------------------------------- matcher (lazy DFA)
// Character classes for assertions: of the previous character (NONE = start of text) and the next (END = end of text).
const NONE = 0, WORD_C = 1, LT_C = 2, OTHER_C = 3, END_C = 4;
const classOf = (c: number): number =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 ? WORD_C
    : c === 10 || c === 13 || c === 0x2028 || c === 0x2029 ? LT_C : OTHER_C;

function holds(a: number, prev: number, next: number, finalNewline: boolean): boolean {
  switch (a) {
    case TEXT_START: return prev === NONE;
    case LINE_START: return prev === NONE || prev === LT_C;
    case TEXT_END: return next === END_C;
    case LINE_END: return next === END_C || next === LT_C;
    case TEXT_END_NL: return next === END_C || finalNewline;
    case WORD_B: return (prev === WORD_C) !== (next === WORD_C);
    default: return (prev === WORD_C) === (next === WORD_C); // NOT_WORD_B
  }
}

// Transition table entries: a DFA state index, or one of these.
const UNKNOWN = -1, FOUND = -2, DEAD = -3;

class Matcher implements SafeRegex {
  // NFA, as typed arrays.
  private readonly kind: Uint8Array;
  private readonly out1: Int32Array;
  private readonly out2: Int32Array;
  private readonly arg: Int32Array;
  private readonly sets: CharSet[];
  // Scratch space for closures.
  private readonly stamp: Uint32Array;
  private gen = 0;
  private readonly stack: Int32Array;
  private readonly chars: Int32Array;
  private nChars = 0;
  // DFA cache. State s: `kernels[s]` = NFA states entered by the last character (before closure),
  // `prevs[s]` = class of that character. Row s of `trans` (128 entries) and `other[s]` hold its transitions.
  private trans = new Int32Array(0);
  private other: (Map<number, number> | undefined)[] = [];
  private kernels: Int32Array[] = [];
  private prevs: number[] = [];
  private ends: number[] = []; // -1 unknown, 0/1: whether the regex matches if the text ends here
  private readonly index = new Map<string, number>();
  private kernelTotal = 0;
  private epoch = 0;

  constructor(nfa: Nfa, private readonly start: number, private readonly anchored: boolean,
    private readonly usesContext: boolean, private readonly hasBigZ: boolean, readonly literals: readonly string[]) {
    this.kind = Uint8Array.from(nfa.kind);
    this.out1 = Int32Array.from(nfa.out1);
    this.out2 = Int32Array.from(nfa.out2);
    this.arg = Int32Array.from(nfa.arg);
    this.sets = nfa.sets;
    const n = this.kind.length;
    this.stamp = new Uint32Array(n);
    this.stack = new Int32Array(n);
    this.chars = new Int32Array(n);
    this.reset();
  }

  test(text: string): boolean {
    const n = text.length;
    // With `\Z`, a final "\n" is special (end of text is right after it); it is stepped uncached below.
    const end = this.hasBigZ && n > 0 && text.charCodeAt(n - 1) === 10 ? n - 1 : n;
    let trans = this.trans;
    let s = 0;
    for (let i = 0; i < end; i++) {
      let c = text.charCodeAt(i);
      // Hot loop: ASCII characters whose transitions are cached.
      while (c < 128) {
        const t = trans[(s << 7) | c];
        if (t < 0) break;
        s = t;
        if (++i === end) break;
        c = text.charCodeAt(i);
      }
      if (i === end) break;
      let t = c < 128 ? trans[(s << 7) | c] : this.other[s]?.get(c) ?? UNKNOWN;
      if (t === UNKNOWN) { t = this.miss(s, c); trans = this.trans; }
      if (t === FOUND) return true;
      if (t === DEAD) return false;
      s = t;
    }
    if (end === n) {
      if (this.ends[s] < 0) this.ends[s] = this.close(this.kernels[s], this.prevs[s], END_C, false) ? 1 : 0;
      return this.ends[s] === 1;
    }
    if (this.close(this.kernels[s], this.prevs[s], LT_C, true)) return true;
    return this.close(this.advance(10), LT_C, END_C, false);
  }

  /** Computes (and caches, unless the cache had to be cleared meanwhile) the transition of state s on c. */
  private miss(s: number, c: number): number {
    const epoch = this.epoch;
    const next = classOf(c);
    let t: number;
    if (this.close(this.kernels[s], this.prevs[s], next, false)) t = FOUND;
    else {
      const k = this.advance(c);
      t = k.length === 0 && this.anchored ? DEAD : this.intern(k, this.usesContext ? next : NONE);
    }
    if (this.epoch === epoch) {
      if (c < 128) this.trans[(s << 7) | c] = t;
      else (this.other[s] ??= new Map()).set(c, t);
    }
    return t;
  }

  private bump(): number {
    if (++this.gen === 0xffffffff) { this.stamp.fill(0); this.gen = 1; }
    return this.gen;
  }

  /**
   * Epsilon closure of `kernel` (plus the start state when unanchored) at a position between a
   * character of class `prev` and one of class `next`. Leaves the reached CHAR states in
   * `chars`; returns true as soon as MATCH is reached.
   */
  private close(kernel: Int32Array, prev: number, next: number, finalNewline: boolean): boolean {
    const g = this.bump(), { stamp, stack, kind, out1, out2 } = this;
    let sp = 0;
    this.nChars = 0;
    const push = (s: number) => { if (stamp[s] !== g) { stamp[s] = g; stack[sp++] = s; } };
    if (!this.anchored) push(this.start);
    for (const s of kernel) push(s);
    while (sp > 0) {
      const s = stack[--sp];
      switch (kind[s]) {
        case CHAR: this.chars[this.nChars++] = s; break;
        case MATCH: return true;
        case SPLIT: push(out2[s]); push(out1[s]); break;
        case ASSERT: if (holds(this.arg[s], prev, next, finalNewline)) push(out1[s]); break;
      }
    }
    return false;
  }

  /** The states entered by stepping the CHAR states of the last closure over c, in ascending order. */
  private advance(c: number): Int32Array {
    const g = this.bump(), { stamp, chars, out1, arg, sets } = this;
    const out: number[] = [];
    for (let k = 0; k < this.nChars; k++) {
      const s = chars[k], t = out1[s];
      if (stamp[t] !== g && has(sets[arg[s]], c)) { stamp[t] = g; out.push(t); }
    }
    if (out.length <= 64) return Int32Array.from(out).sort();
    const sorted = new Int32Array(out.length); // a linear scan beats sorting large sets
    for (let s = 0, j = 0; j < out.length; s++) if (stamp[s] === g) sorted[j++] = s;
    return sorted;
  }

  /** The DFA state for (kernel, prev), adding it (and clearing a full cache first) when new. */
  private intern(kernel: Int32Array, prev: number): number {
    const key = `${prev}:${kernel.join(',')}`;
    const known = this.index.get(key);
    if (known !== undefined) return known;
    if (this.kernels.length >= MAX_DFA_STATES || this.kernelTotal + kernel.length > MAX_CACHED_KERNEL) this.reset();
    const id = this.kernels.length;
    if (id * 128 >= this.trans.length) {
      const grown = new Int32Array(Math.min(Math.max(16, id * 2), MAX_DFA_STATES) * 128).fill(UNKNOWN);
      grown.set(this.trans);
      this.trans = grown;
    }
    this.kernels.push(kernel);
    this.prevs.push(prev);
    this.ends.push(-1);
    this.other.push(undefined);
    this.kernelTotal += kernel.length;
    this.index.set(key, id);
    return id;
  }

  /** Empties the DFA cache; state 0 is always the state at the start of the text. */
  private reset(): void {
    this.epoch++;
    this.trans.fill(UNKNOWN);
    this.other = [];
    this.kernels = [];
    this.prevs = [];
    this.ends = [];
    this.index.clear();
    this.kernelTotal = 0;
    this.intern(this.anchored ? Int32Array.of(this.start) : new Int32Array(0), NONE);
  }
}

// ---------------------------------------------------------------- literal prefilter
const MAX_LITS = 16;

/** Lower-cased strings a set's single character can be, if all are ASCII and few; else null. */
function setLiterals(s: CharSet): string[] | null {
  if (s.length === 0 || s[s.length - 1] > 127) return null;
  const out = new Set<string>();
  for (let k = 0; k < s.length; k += 2) {
    if (s[k + 1] - s[k] > 8) return null;
    for (let c = s[k]; c <= s[k + 1]; c++) out.add(String.fromCharCode(c).toLowerCase());
  }
  return out.size <= 4 ? [...out] : null;
}

function cross(a: string[], b: string[]): string[] | null {
  if (a.length * b.length > MAX_LITS) return null;
  const out = new Set<string>();
  for (const x of a) for (const y of b) out.add(x + y);
  return [...out];
}

function union(a: string[] | null, b: string[] | null): string[] | null {
  if (!a || !b) return null;
  const u = [...new Set([...a, ...b])];
  return u.length <= MAX_LITS ? u : null;
}

/** Prefer the longest shortest member, up to 8 chars; beyond that fewer members, then longer. */
function score(x: string[] | null): number {
  if (!x || x.length === 0) return -1;
  const min = Math.min(...x.map((s) => s.length));
  return min === 0 ? -1 : Math.min(min, 8) * 1e6 - x.length * 1e3 + Math.min(min, 999);
}
const better = (a: string[] | null, b: string[] | null): string[] | null => (score(b) > score(a) ? b : a);

interface LitInfo {
  /** Every string the node can match, lower-cased; null if unknown or too many. */
  exact: string[] | null;
  /** One member occurs in every match; null when none is known. */
  req: string[] | null;
  /** Every match starts (pre) / ends (suf) with a member; [''] when nothing is known. */
  pre: string[];
  suf: string[];
}

function literalInfo(n: Node): LitInfo {
  const none = { exact: null, req: null, pre: [''], suf: [''] };
  switch (n.t) {
    case 'set': { const e = setLiterals(n.set); return e ? { exact: e, req: e, pre: e, suf: e } : none; }
    case 'asr': return { ...none, exact: [''] };
    case 'alt': {
      const ls = n.xs.map(literalInfo);
      const all = (f: (l: LitInfo) => string[] | null) => ls.reduce<string[] | null>((u, l) => union(u, f(l)), []);
      const exact = all((l) => l.exact);
      return { exact, req: better(all((l) => l.req), exact), pre: all((l) => l.pre) ?? [''], suf: all((l) => l.suf) ?? [''] };
    }
    case 'cat': {
      // `run`: the text matched so far ends with one of these (a suffix set); it is a candidate whenever it is about to change.
      let req: string[] | null = null, run = [''], pre = [''], preOpen = true, whole = true;
      for (const x of n.xs) {
        const l = literalInfo(x);
        req = better(better(req, l.req), run);
        if (l.exact) {
          const ext = cross(run, l.exact);
          if (!ext) whole = false;
          run = ext ?? l.exact;
          if (preOpen) { const p = cross(pre, l.exact); if (p) pre = p; else preOpen = false; }
        } else {
          req = better(req, cross(run, l.pre));
          run = l.suf;
          whole = false;
          if (preOpen) { pre = cross(pre, l.pre) ?? pre; preOpen = false; }
        }
      }
      return { exact: whole ? run : null, req: better(req, run), pre, suf: run };
    }
    case 'rep': {
      const l = literalInfo(n.x);
      let exact: string[] | null = null;
      if (l.exact && n.max <= 8) {
        let pow: string[] | null = [''];
        exact = [];
        for (let k = 0; k <= n.max && pow && exact; k++) {
          if (k >= n.min) exact = union(exact, pow);
          if (k < n.max) pow = cross(pow, l.exact);
        }
        if (!pow) exact = null;
      }
      if (exact) return { exact, req: exact, pre: exact, suf: exact };
      if (n.min === 0) return none;
      let req = l.req;
      if (l.exact) { // x{3,}: x^3 occurs (at most 8 copies, to keep literals short)
        let pow: string[] | null = l.exact;
        for (let k = 1; k < Math.min(n.min, 8) && pow; k++) pow = cross(pow, l.exact);
        req = better(req, pow);
      }
      return { exact: null, req, pre: l.pre, suf: l.suf };
    }
  }
}

function literalsOf(root: Node): string[] {
  const req = literalInfo(root).req;
  if (!req || score(req) < 0) return [];
  // A member containing another member is redundant ("one of them occurs" is unchanged).
  return req.filter((s, k) => !req.some((t, j) => j !== k && t !== s && s.includes(t))).sort();
}

// ---------------------------------------------------------------- API
export function compileRegex(pattern: string, flags: RegexFlags = {}): CompileResult {
  try {
    const parser = new Parser(pattern, flags);
    const root = parser.parse();
    const nfa = new Nfa();
    const start = nfa.build(root, nfa.add(MATCH, -1, -1, 0));
    const regex = new Matcher(nfa, start, anchoredAtStart(root), parser.usesContext, parser.hasBigZ, literalsOf(root));
    return { ok: true, regex };
  } catch (e) {
    if (e instanceof RegexError) return { ok: false, reason: e.message };
    return { ok: false, reason: `cannot compile pattern: ${e instanceof Error ? e.message : String(e)}` };
  }
}
