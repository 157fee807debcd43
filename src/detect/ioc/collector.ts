// Gathers what one feed file (STIX, MISP) gives: values normalised and de-duplicated, problems named
// by the file — listed up to a limit, then only counted, so a feed of a million unusable entries
// gives a few lines — and tallies of what was left out on purpose, reported as one line each.
import { type Indicator, type IndicatorParse, type IndicatorType, readValue } from './values.js';

const LISTED_PROBLEMS = 20;

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A JSON string value, trimmed; undefined for anything else or an empty string. */
export const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

export function clip(s: string, max: number): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** Counts by name, described most frequent first: `domain ×10, email-src ×2`. */
export class Tally {
  private readonly counts = new Map<string, number>();
  total = 0;

  add(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
    this.total++;
  }

  describe(): string {
    return [...this.counts.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([name, n]) => `${name} ×${n}`)
      .join(', ');
  }
}

export class FeedCollector {
  private readonly indicators: Indicator[] = [];
  private readonly seen = new Set<string>();
  private readonly problems: string[] = [];
  private readonly summaries: string[] = [];
  private unlisted = 0;

  constructor(readonly file: string) {}

  /** Adds a value; returns why it cannot be used, when it cannot. The first source of a value wins. */
  add(type: IndicatorType, raw: string, source: string, note?: string): string | undefined {
    const read = readValue(type, raw);
    if ('problem' in read) return read.problem;
    const key = `${type}\0${read.value}`;
    if (this.seen.has(key)) return undefined;
    this.seen.add(key);
    const ind: Indicator = { type, value: read.value, source };
    if (note) ind.note = note;
    this.indicators.push(ind);
    return undefined;
  }

  problem(message: string): void {
    if (this.problems.length < LISTED_PROBLEMS) this.problems.push(`${this.file}: ${message}`);
    else this.unlisted++;
  }

  /** One closing line (`N attributes of types … were skipped`); always shown. */
  summary(message: string): void {
    this.summaries.push(`${this.file}: ${message}`);
  }

  result(): IndicatorParse {
    const more = this.unlisted > 0 ? [`${this.file}: ${this.unlisted} more problems like the ones above were not listed`] : [];
    return { indicators: this.indicators, errors: [...this.problems, ...more, ...this.summaries] };
  }
}
