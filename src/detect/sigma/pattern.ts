// Sigma string values: wildcards (`*`, `?`), the backslash escapes of the rules specification
// (§Escape Character), windash character classes, and matching such a pattern against a field value.
// Matching never backtracks more than O(value × pattern): `*` is handled by the classic
// "remember the last star" algorithm, and the common shapes (exact, prefix, suffix, substring)
// take the plain string functions.

/** The dash-like characters `windash` makes interchangeable (modifiers appendix). */
export const WINDASH_CHARS = '-/\u2013\u2014\u2015';

export type Token =
  | { kind: 'text'; text: string }
  | { kind: 'one' } // `?`: exactly one character
  | { kind: 'any' } // `*`: any run of characters
  | { kind: 'dash' }; // one of WINDASH_CHARS

export type Pattern = Token[];

/**
 * Parses a Sigma string: `*`/`?` are wildcards; `\*`, `\?` plain; `\\` before a wildcard is one
 * backslash (then the wildcard is live); a backslash before anything else is itself.
 */
export function parseSigmaString(s: string): Pattern {
  const out: Pattern = [];
  let text = '';
  const flush = () => {
    if (text) out.push({ kind: 'text', text });
    text = '';
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      const n = s[i + 1];
      if (n === '*' || n === '?') {
        text += n;
        i++;
      } else if (n === '\\') {
        // `\\` is one backslash whatever follows; `\\\*` then continues as an escaped star.
        text += '\\';
        i++;
      } else {
        text += '\\';
      }
    } else if (c === '*') {
      flush();
      if (out.at(-1)?.kind !== 'any') out.push({ kind: 'any' });
    } else if (c === '?') {
      flush();
      out.push({ kind: 'one' });
    } else {
      text += c;
    }
  }
  flush();
  return out;
}

/** A pattern of plain text (no wildcards) from a value that is already final (base64 output…). */
export function literalPattern(s: string): Pattern {
  return s ? [{ kind: 'text', text: s }] : [];
}

export function hasWildcards(p: Pattern): boolean {
  return p.some((t) => t.kind !== 'text');
}

export function patternText(p: Pattern): string {
  return p.map((t) => (t.kind === 'text' ? t.text : t.kind === 'any' ? '*' : t.kind === 'one' ? '?' : '-')).join('');
}

const WORD = /\w/;

/**
 * windash: a `-` or `/` that starts a command-line flag (not after a word character, followed by
 * one: pySigma's `\B[-/]\b`) becomes the class of dash-like characters, so `-enc` also matches
 * `/enc` and `–enc`; the dash inside `Invoke-Expression` stays as written.
 */
export function windash(p: Pattern): Pattern {
  const out: Pattern = [];
  for (const t of p) {
    if (t.kind !== 'text') {
      out.push(t);
      continue;
    }
    let run = '';
    const s = t.text;
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      if (WINDASH_CHARS.includes(c) && !(i > 0 && WORD.test(s[i - 1]!)) && i + 1 < s.length && WORD.test(s[i + 1]!)) {
        if (run) out.push({ kind: 'text', text: run });
        run = '';
        out.push({ kind: 'dash' });
      } else {
        run += c;
      }
    }
    if (run) out.push({ kind: 'text', text: run });
  }
  return out;
}

export function wrap(p: Pattern, before: boolean, after: boolean): Pattern {
  const out = [...p];
  if (before && out[0]?.kind !== 'any') out.unshift({ kind: 'any' });
  if (after && out.at(-1)?.kind !== 'any') out.push({ kind: 'any' });
  return out;
}

/** The longest plain run of a pattern, for the literal prefilter ('' when there is none). */
export function longestText(p: Pattern): string {
  let best = '';
  for (const t of p) if (t.kind === 'text' && t.text.length > best.length) best = t.text;
  return best;
}

export type StringTest = (value: string) => boolean;

function lower(p: Pattern): Pattern {
  return p.map((t) => (t.kind === 'text' ? { kind: 'text', text: t.text.toLowerCase() } : t));
}

/**
 * A test for values already lower-cased when `cased` is false (the caller lower-cases each field
 * value once per event, however many rules read it).
 */
export function compilePattern(p: Pattern, cased: boolean): StringTest {
  const pat = cased ? p : lower(p);
  const inner = pat.filter((t, i) => !(t.kind === 'any' && (i === 0 || i === pat.length - 1)));
  const lead = pat[0]?.kind === 'any';
  const trail = pat.length > 1 && pat.at(-1)?.kind === 'any';
  if (pat.length === 1 && lead) return () => true;
  if (inner.length === 1 && inner[0]!.kind === 'text') {
    const s = inner[0].text;
    if (lead && trail) return (v) => v.includes(s);
    if (lead) return (v) => v.endsWith(s);
    if (trail) return (v) => v.startsWith(s);
    return (v) => v === s;
  }
  if (inner.length === 0) return (v) => v === '';
  return (v) => globMatch(pat, v);
}

function matchesAt(t: Token, v: string, i: number): number {
  // Returns how many characters the token consumes at i, or -1.
  switch (t.kind) {
    case 'text':
      return v.startsWith(t.text, i) ? t.text.length : -1;
    case 'one':
      return i < v.length ? 1 : -1;
    case 'dash':
      return i < v.length && WINDASH_CHARS.includes(v[i]!) ? 1 : -1;
    case 'any':
      return 0;
  }
}

/** Wildcard match: on a mismatch, retry from the last `*` one character further (no deeper backtracking). */
function globMatch(p: Pattern, v: string): boolean {
  let pi = 0;
  let vi = 0;
  let starP = -1;
  let starV = 0;
  while (vi < v.length || pi < p.length) {
    if (pi < p.length) {
      const t = p[pi]!;
      if (t.kind === 'any') {
        starP = pi++;
        starV = vi;
        continue;
      }
      const n = matchesAt(t, v, vi);
      if (n >= 0) {
        pi++;
        vi += n;
        continue;
      }
    }
    if (starP === p.length - 1) return true; // a trailing `*` takes the rest
    if (starP < 0 || starV >= v.length) return false;
    pi = starP + 1;
    vi = ++starV;
  }
  return true;
}
