// Aho-Corasick over UTF-16 code units: which of many literals occur in a text, in one pass. The Sigma
// prefilter asks it, per event, which rules' required literals are present, so a thousand rules on a
// log source cost one scan of the event plus the few rules whose literals occur.
//
// Transitions for ASCII characters are resolved on first use into a per-state table (a lazily built
// DFA), so scanning costs one array load per character once the states an event visits are warm;
// other characters walk the failure links.

export class AhoCorasick {
  private readonly children: Map<number, number>[] = [new Map()];
  private readonly fail: number[] = [0];
  /** Per state: ids of the literals that end here (own and through failure links). */
  private readonly out: number[][] = [[]];
  /** Per state, once visited: the ASCII transitions resolved so far (-1 unknown). */
  private readonly dense: (Int32Array | undefined)[] = [];

  constructor(literals: readonly string[]) {
    literals.forEach((lit, id) => {
      let s = 0;
      for (let i = 0; i < lit.length; i++) {
        const c = lit.charCodeAt(i);
        let t = this.children[s]!.get(c);
        if (t === undefined) {
          t = this.children.length;
          this.children.push(new Map());
          this.fail.push(0);
          this.out.push([]);
          this.children[s]!.set(c, t);
        }
        s = t;
      }
      this.out[s]!.push(id);
    });
    const queue: number[] = [...this.children[0]!.values()];
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q]!;
      for (const [c, t] of this.children[s]!) {
        let f = this.fail[s]!;
        while (f !== 0 && !this.children[f]!.has(c)) f = this.fail[f]!;
        const ft = this.children[f]!.get(c);
        this.fail[t] = ft !== undefined && ft !== t ? ft : 0;
        if (this.out[this.fail[t]!]!.length > 0) this.out[t] = [...this.out[t]!, ...this.out[this.fail[t]!]!];
        queue.push(t);
      }
    }
  }

  private walk(s: number, c: number): number {
    for (;;) {
      const t = this.children[s]!.get(c);
      if (t !== undefined) return t;
      if (s === 0) return 0;
      s = this.fail[s]!;
    }
  }

  /** Calls `hit(id)` once per occurrence of each literal in `text` (the caller de-duplicates). */
  scan(text: string, hit: (id: number) => void): void {
    let s = 0;
    const dense = this.dense;
    const out = this.out;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 128) {
        let d = dense[s];
        if (d === undefined) {
          d = new Int32Array(128).fill(-1);
          dense[s] = d;
        }
        let t = d[c]!;
        if (t < 0) {
          t = this.walk(s, c);
          d[c] = t;
        }
        s = t;
      } else {
        s = this.walk(s, c);
      }
      const o = out[s]!;
      for (let k = 0; k < o.length; k++) hit(o[k]!);
    }
  }
}

/** Up to this many literals, one `includes` each beats an automaton pass (V8's search is vectorised). */
const FEW = 24;

/** Which of a set of literals occur in a text: `includes` for a few, Aho-Corasick for many. */
export class LiteralMatcher {
  private readonly ac?: AhoCorasick;

  constructor(private readonly literals: readonly string[]) {
    if (literals.length > FEW) this.ac = new AhoCorasick(literals);
  }

  scan(text: string, hit: (id: number) => void): void {
    if (this.ac) {
      this.ac.scan(text, hit);
      return;
    }
    for (let i = 0; i < this.literals.length; i++) if (text.includes(this.literals[i]!)) hit(i);
  }
}
