// Bounds the number of findings one rule can open, without ever dropping a serious one: high and
// critical findings are never limited; medium and low ones are, per rule, each tier keeping the
// findings whose subjects (keys) sort first. Keeping "the first N keys" rather than "the first N to
// arrive" makes the result the same whatever order worker threads report in, and means a flood of
// scanner noise can never push an attack out of the report.
import { type Severity, severityRank } from '../core/types.js';

type Tier = 'low' | 'medium' | 'top';

export const TIER_LIMITS: Record<Exclude<Tier, 'top'>, number> = { low: 2000, medium: 20000 };

function tierOf(severity: Severity): Tier {
  const r = severityRank(severity);
  if (r >= severityRank('high')) return 'top';
  return r >= severityRank('medium') ? 'medium' : 'low';
}

/** A max-heap of strings with lazy deletion (stale entries are skipped when they surface). */
class MaxKeyHeap {
  private readonly a: string[] = [];

  push(k: string): void {
    const a = this.a;
    a.push(k);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! >= a[i]!) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }

  peek(): string | undefined {
    return this.a[0];
  }

  pop(): string | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]! > a[m]!) m = l;
        if (r < a.length && a[r]! > a[m]!) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}

interface RuleTiers {
  tierOfKey: Map<string, Tier>;
  heaps: Record<Exclude<Tier, 'top'>, MaxKeyHeap>;
  live: Record<Exclude<Tier, 'top'>, number>;
}

export interface Placement {
  /** The finding may exist (in its tier). */
  admitted: boolean;
  /** Findings of the same rule pushed out to make room. */
  evicted: string[];
}

export class GroupLimiter {
  private readonly rules = new Map<string, RuleTiers>();

  constructor(private readonly limits = TIER_LIMITS) {}

  private tiers(rule: string): RuleTiers {
    let t = this.rules.get(rule);
    if (!t) {
      t = { tierOfKey: new Map(), heaps: { low: new MaxKeyHeap(), medium: new MaxKeyHeap() }, live: { low: 0, medium: 0 } };
      this.rules.set(rule, t);
    }
    return t;
  }

  /** The largest live key of a tier (stale heap entries are discarded on the way). */
  private maxLive(t: RuleTiers, tier: Exclude<Tier, 'top'>): string | undefined {
    const heap = t.heaps[tier];
    for (;;) {
      const k = heap.peek();
      if (k === undefined || t.tierOfKey.get(k) === tier) return k;
      heap.pop();
    }
  }

  /** Places a new finding, or one whose severity just rose, in its tier. */
  place(rule: string, key: string, severity: Severity): Placement {
    const t = this.tiers(rule);
    const tier = tierOf(severity);
    const before = t.tierOfKey.get(key);
    if (before === tier) return { admitted: true, evicted: [] };
    if (before && before !== 'top') t.live[before]--;
    const evicted: string[] = [];
    if (tier === 'top') {
      t.tierOfKey.set(key, 'top');
      return { admitted: true, evicted };
    }
    if (t.live[tier] >= this.limits[tier]) {
      const max = this.maxLive(t, tier);
      if (max === undefined || key >= max) {
        t.tierOfKey.delete(key);
        return { admitted: false, evicted };
      }
      t.heaps[tier].pop();
      t.tierOfKey.delete(max);
      t.live[tier]--;
      evicted.push(max);
    }
    t.tierOfKey.set(key, tier);
    t.heaps[tier].push(key);
    t.live[tier]++;
    return { admitted: true, evicted };
  }

  /** Whether a key was refused or pushed out earlier (so later records for it are refused too). */
  isPlaced(rule: string, key: string): boolean {
    return this.rules.get(rule)?.tierOfKey.has(key) ?? false;
  }
}
