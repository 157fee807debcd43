// `exhunt rules lint` as a function: load and compile rule files exactly as `hunt --sigma` does,
// and say for each document whether it runs, and if not why — grouped, so that a 3,800-rule tree
// gives a readable summary.
import { parse } from 'yaml';
import { type LintEntry, loadRuleFiles } from '../detect/sigma/load.js';
import { buildRuleSet } from '../detect/sigma/ruleset.js';

export interface LintResult {
  entries: LintEntry[];
  loaded: number;
  rejected: number;
  /** Rejection classes (e.g. "unmapped logsource") with their counts, largest first. */
  reasons: { reason: string; count: number }[];
}

const CLASSES: [RegExp, string][] = [
  [/^unmapped logsource/, 'unmapped logsource'],
  [/unknown modifier/, 'unknown modifier'],
  [/regular expression/, 'unsupported regular expression'],
  [/placeholder/, 'placeholder without values'],
  [/^YAML error|not YAML/, 'YAML error'],
  [/Sigma 1/, 'Sigma 1 syntax'],
  [/^condition|search identifier/, 'bad condition'],
  [/^status: unsupported/, 'status: unsupported'],
  [/correlation|refers to/, 'correlation'],
];

export function reasonClass(reason: string): string {
  for (const [re, name] of CLASSES) if (re.test(reason)) return name;
  return 'invalid rule';
}

export function lintRules(paths: readonly string[], placeholders: Record<string, string[]> = {}): LintResult {
  const loaded = loadRuleFiles(paths);
  const set = buildRuleSet(loaded.docs, { placeholders });
  const entries = [...set.lint, ...loaded.rejected].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const counts = new Map<string, number>();
  for (const e of entries) if (e.status === 'rejected') counts.set(reasonClass(e.reason ?? ''), (counts.get(reasonClass(e.reason ?? '')) ?? 0) + 1);
  const ok = entries.filter((e) => e.status === 'loaded').length;
  return {
    entries,
    loaded: ok,
    rejected: entries.length - ok,
    reasons: [...counts].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1)),
  };
}

/**
 * The --sigma-config file: `placeholders:` mapping each `expand` placeholder name (without `%`) to
 * a value or a list of values. Throws a one-line message on anything else.
 */
export function parseSigmaConfig(text: string, file: string): { placeholders: Record<string, string[]> } {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`${file}: not YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  const placeholders: Record<string, string[]> = {};
  if (doc === null || doc === undefined) return { placeholders };
  const p = (doc as Record<string, unknown>)['placeholders'];
  if (typeof doc !== 'object' || Array.isArray(doc) || (p !== undefined && (typeof p !== 'object' || p === null || Array.isArray(p)))) {
    throw new Error(`${file}: expected 'placeholders:' mapping names to values`);
  }
  for (const [name, v] of Object.entries((p ?? {}) as Record<string, unknown>)) {
    const list = Array.isArray(v) ? v : [v];
    if (list.some((x) => typeof x !== 'string' && typeof x !== 'number')) throw new Error(`${file}: placeholder '${name}' must be a value or a list of values`);
    placeholders[name.replace(/^%|%$/g, '')] = list.map(String);
  }
  return { placeholders };
}
