// Literal extraction for the Sigma regular-expression engine (see regex.ts): strings of which one
// must occur in any text the pattern matches, used by the rule prefilter. Never excludes a match.
import type { CharSet, Node } from './regex-syntax.js';
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

export function literalsOf(root: Node): string[] {
  const req = literalInfo(root).req;
  if (!req || score(req) < 0) return [];
  // A member containing another member is redundant ("one of them occurs" is unchanged).
  return req.filter((s, k) => !req.some((t, j) => j !== k && t !== s && s.includes(t))).sort();
}

