// The step of the attack a finding belongs to, as the correlation stage decided it (the intrusions'
// steps); findings outside every intrusion (other scanners, context) count as reconnaissance or, when
// they say more, as exploitation.
import type { Finding, Phase, Report } from '../core/types.js';

const cache = new WeakMap<Report, Map<string, Phase>>();

export function phaseMap(report: Report): Map<string, Phase> {
  let map = cache.get(report);
  if (!map) {
    map = new Map();
    for (const x of report.intrusions ?? []) for (const s of x.steps) for (const id of s.findings) map.set(id, s.phase);
    cache.set(report, map);
  }
  return map;
}

export function phaseIn(report: Report, f: Finding): Phase {
  return phaseMap(report).get(f.id) ?? (f.stage === 'scan' || f.stage === 'info' ? 'scan' : 'exploit');
}
