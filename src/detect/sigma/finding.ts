// How a Sigma rule reads as a finding: its id under the `sigma:` prefix, its title and description,
// ATT&CK and CVE tags, the file it came from, and remediation a non-expert can follow.
import type { FindingRule } from '../types.js';
import type { RuleMeta } from './ruleset.js';

export type SigmaFindingRule = FindingRule & { origin: string };

const REMEDIATION = [
  'Review the evidence records: the rule describes suspicious activity, and its known false positives are listed in the explanation.',
  'If the activity is not explained by administration or software on this host, preserve the logs and the host, then treat it as an incident.',
];

export function sigmaFindingRule(rule: RuleMeta): SigmaFindingRule {
  const fp = rule.falsepositives.filter((f) => f && f.toLowerCase() !== 'unknown');
  const explanation = [rule.description || rule.title, fp.length > 0 ? `Known false positives: ${fp.join('; ')}.` : ''].filter(Boolean).join(' ');
  return {
    id: `sigma:${rule.id}`,
    story: `Sigma: ${rule.title}`,
    explanation,
    remediation: REMEDIATION,
    cves: rule.cves,
    attack: rule.attack,
    origin: rule.file,
  };
}
