// The verdict at the top of every report: what the findings mean for this server, where the logs
// reach, which evidence sources are missing, and what to do next — in words a non-expert can act on.
import type { Coverage, Finding, Intrusion, SourceKind, Verdict, VerdictStatus } from '../core/types.js';
import { sourceName } from '../core/source-names.js';
import { findingIps, severityRank, stageRank } from '../core/types.js';

// The logs each family of checks needs, to say what could not be checked.
const EXPECTED: { source: SourceKind; why: string }[] = [
  { source: 'iis', why: 'IIS logs (inetpub\\logs\\LogFiles): web-shell use, ProxyShell, ProxyNotShell' },
  { source: 'exchange-httpproxy', why: 'HttpProxy logs (Logging\\HttpProxy): CVE-2021-26855' },
  { source: 'exchange-ecp-server', why: 'ECP Server logs (Logging\\ECP\\Server): CVE-2021-27065' },
  { source: 'evtx', why: 'Windows event logs (Windows\\System32\\winevt\\Logs: Security, Application, MSExchange Management, Sysmon): commands run by Exchange, LSASS dumps, CVE-2021-26857, cmdlet abuse' },
];

function day(iso: string | undefined): string {
  return iso ? iso.slice(0, 16).replace('T', ' ') + ' UTC' : 'unknown';
}

export function describeCoverage(coverage: Coverage): string {
  if (coverage.sources.length === 0) return 'No log files were recognised in the input.';
  return coverage.sources
    .map((s) => `${sourceName(s.source)} ${day(s.first)} → ${day(s.last)} (${s.files} file${s.files === 1 ? '' : 's'})`)
    .join('; ');
}

export function coverageGaps(coverage: Coverage): string[] {
  const have = new Set(coverage.sources.map((s) => s.source));
  return EXPECTED.filter((e) => !have.has(e.source)).map((e) => `Not in the collection: ${e.why}.`);
}

const STATUS_BY_STAGE: Record<string, VerdictStatus> = {
  compromise: 'COMPROMISED',
  attempt: 'EXPLOITATION ATTEMPTED',
  scan: 'SCANNED ONLY',
};

const GENERIC_STEPS: Record<VerdictStatus, string[]> = {
  COMPROMISED: [
    'Treat the server as breached: restrict its internet exposure (block inbound 443 at the firewall or take OWA/ECP offline) until it is patched and cleaned.',
  ],
  'EXPLOITATION ATTEMPTED': [
    'Confirm the server was already patched when the attempts happened (`exhunt build <version>`); if it was not, treat it as possibly breached and look for web shells.',
  ],
  'SCANNED ONLY': ['No attack succeeded in the logs read. Keep the server on a supported, fully patched build; scanners revisit daily.'],
  'NOTHING FOUND': ['Nothing suspicious in the logs read. Check that they cover the period you worry about ("Logs read"), and keep the server patched.'],
};

/** What the file sweep read: `filesOnly` for exhunt scan-files, where log gaps are not gaps. */
export interface SweepScope {
  files: number;
  filesOnly: boolean;
}

export function computeVerdict(findings: readonly Finding[], coverage: Coverage, sweep?: SweepScope, intrusions: readonly Intrusion[] = []): Verdict {
  let top = -1;
  for (const f of findings) top = Math.max(top, stageRank(f.stage));
  const topStage = findings.find((f) => stageRank(f.stage) === top)?.stage;
  const status: VerdictStatus = (topStage && STATUS_BY_STAGE[topStage]) || 'NOTHING FOUND';

  const relevant = findings.filter((f) => f.stage !== 'info' && (status === 'SCANNED ONLY' || f.stage !== 'scan'));
  const ips = new Set<string>();
  let first: string | undefined;
  let last: string | undefined;
  for (const f of relevant) {
    for (const ip of findingIps(f)) ips.add(ip);
    if (f.time && (!first || f.time < first)) first = f.time;
    const end = f.lastSeen ?? f.time;
    if (end && (!last || end > last)) last = end;
  }

  const worst = [...findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || stageRank(b.stage) - stageRank(a.stage))[0];
  let summary: string;
  switch (status) {
    case 'COMPROMISED': {
      // What happened, each kind once, in the order it first happened.
      const done = findings.filter((f) => f.stage === 'compromise').sort((a, b) => ((a.time ?? '~') < (b.time ?? '~') ? -1 : 1));
      const story = [...new Set(done.map((f) => f.story))];
      summary = `An attack succeeded: ${story.join(', ')}.`;
      const entries = intrusions.filter((x) => x.stage === 'compromise' && x.entry);
      if (entries.length > 0) summary += ` Way in: ${entries.map((x) => x.entry).join('; ')}.`;
      break;
    }
    case 'EXPLOITATION ATTEMPTED':
      summary = `Exploitation was attempted but no success is visible in the logs (most serious: ${worst!.title}).`;
      break;
    case 'SCANNED ONLY':
      summary = 'The server was scanned or probed; no exploitation attempt is visible.';
      break;
    default:
      if (sweep?.filesOnly) summary = `No web shell or attack artefact among the ${sweep.files} files swept.`;
      else if (coverage.sources.length > 0) summary = sweep && sweep.files > 0 ? `No sign of exploitation in the logs read, and none among the ${sweep.files} other files swept.` : 'No sign of exploitation in the logs read.';
      else summary = sweep && sweep.files > 0 ? `No log file could be read; nothing suspicious among the ${sweep.files} files swept.` : 'No log file could be read, so nothing could be checked.';
  }

  const steps: string[] = sweep?.filesOnly && status === 'NOTHING FOUND'
    ? ['Nothing suspicious among the files swept. Rules and lists cannot know every web shell: also hunt the server\'s logs (exhunt hunt) for requests to pages in these folders, and keep the server patched.']
    : [...GENERIC_STEPS[status]];
  const ordered = [...findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
  for (const f of ordered) {
    if (f.stage === 'scan' && status !== 'SCANNED ONLY') continue;
    for (const r of f.remediation) if (!steps.includes(r)) steps.push(r);
  }

  const verdict: Verdict = {
    status,
    summary,
    coverage: describeCoverage(coverage),
    gaps: sweep?.filesOnly ? [] : coverageGaps(coverage),
    attackerIps: [...ips].sort(),
    nextSteps: steps,
  };
  if (first) verdict.firstActivity = first;
  if (last) verdict.lastActivity = last;
  return verdict;
}
