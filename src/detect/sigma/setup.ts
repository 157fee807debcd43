// What a scanning thread needs to run Sigma rules, as plain data (rule documents and placeholder
// values): each thread compiles its own copy, since compiled rules are closures and cannot be sent.
import { SigmaEngine } from './engine.js';
import type { RuleDoc } from './load.js';
import { buildRuleSet } from './ruleset.js';

export interface SigmaSetup {
  docs: RuleDoc[];
  /** Values for `expand` placeholders, by name without the percent signs. */
  placeholders: Record<string, string[]>;
}

export function sigmaEngine(setup: SigmaSetup): SigmaEngine {
  return new SigmaEngine(buildRuleSet(setup.docs, { placeholders: setup.placeholders }));
}
