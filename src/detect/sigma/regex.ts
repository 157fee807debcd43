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
 * The parser and character sets are in regex-syntax.ts, the prefilter literals in
 * regex-literals.ts; this file builds the NFA and searches.
 */

import { literalsOf } from './regex-literals.js';
import { type CharSet, LINE_END, LINE_START, type Node, Parser, RegexError, TEXT_END, TEXT_END_NL, TEXT_START, WORD_B, has } from './regex-syntax.js';

export interface RegexFlags { i?: boolean; m?: boolean; s?: boolean }
export interface SafeRegex {
  /** True when the pattern matches somewhere in `text`. Linear in text.length. */
  test(text: string): boolean;
  /**
   * Lower-cased strings of which at least one occurs (case-insensitively) in any text the regex
   * matches; [] when none can be named (`.*`, `[a-z]+`). A prefilter: it never excludes a match.
   * Few, long literals are preferred: `\\cmd\.exe /c (whoami|net)` → ['\\cmd.exe /c '].
   */
  readonly literals: readonly string[];
}
export type CompileResult = { ok: true; regex: SafeRegex } | { ok: false; reason: string };

const MAX_DFA_STATES = 2_000; // per regex; the cache is cleared when full
const MAX_CACHED_KERNEL = 1 << 20; // total NFA-state ids held by cached DFA states

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
