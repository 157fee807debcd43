// The parts of the HTML report a non-expert reads first: the verdict with what the logs cover, what
// to do now (concrete: the update to install, the files to keep and then remove, the passwords to
// change, the mailboxes to review, when to call for help), and each intrusion told as a story.
import type { Finding, Intrusion, Report } from '../../core/types.js';
import { PHASES, PHASE_LABELS } from '../../core/types.js';
import { phaseIn } from '../phase-of.js';
import { esc, token, when } from './escape.js';

const DAY = 24 * 3600_000;

function list(items: string[], cls = 'plain'): string {
  return items.length === 0 ? '' : `<ul class="${cls}">${items.map((i) => `<li>${i}</li>`).join('')}</ul>`;
}

export function findingLink(f: Pick<Finding, 'id' | 'title'>): string {
  return `<a class="finding-link" href="#${esc(f.id)}">${esc(f.title)}</a>`;
}

function earliestLog(report: Report): string | undefined {
  return report.coverage.first;
}

/** What the attacker did after getting in, in plain words, for the banner. */
const DID: Partial<Record<string, string>> = {
  webshell: 'planted a web shell', commands: 'ran commands on the server', mailbox: 'read or exported mail',
  credentials: 'took passwords', exfiltration: 'packed data to take away', cleanup: 'covered their tracks',
};

/** One sentence a non-expert reads first: how the attacker got in and what they did, from the intrusions. */
function headlineOf(report: Report): string | undefined {
  const xs = (report.intrusions ?? []).filter((x) => x.stage === 'compromise');
  if (xs.length === 0) return undefined;
  const seen = new Set(xs.flatMap((x) => x.steps.map((s) => s.phase)));
  const did = PHASES.filter((p) => seen.has(p) && DID[p]).map((p) => DID[p]!);
  const entry = xs.find((x) => x.entry)?.entry;
  const who = xs.length === 1 ? 'An attacker' : 'Attackers';
  const how = entry ? ` got in (${entry})` : ' got in (how is not visible in the logs)';
  return `${who}${how}${did.length > 0 ? ` and ${did.length === 1 ? did[0] : `${did.slice(0, -1).join(', ')} and ${did[did.length - 1]}`}` : ''}.`;
}

export function verdictSection(report: Report): string {
  const v = report.verdict;
  const rows: string[] = [];
  const start = earliestLog(report);
  if (v.firstActivity) rows.push(`<dt>Attack window</dt><dd>${esc(when(v.firstActivity))} → ${esc(when(v.lastActivity))}</dd>`);
  if (v.attackerIps.length > 0) rows.push(`<dt>Attacker addresses</dt><dd>${esc(v.attackerIps.join(', '))}</dd>`);
  if (start) rows.push(`<dt>Logs reach back to</dt><dd>${esc(when(start))} (last record ${esc(when(report.coverage.last))})</dd>`);
  if (report.exposure) rows.push(`<dt>Exposure</dt><dd>${esc(report.exposure.summary)}</dd>`);
  const warnings: string[] = [];
  if (start && v.firstActivity) {
    const lead = Date.parse(v.firstActivity) - Date.parse(start);
    if (lead < DAY) warnings.push(`The logs reach back to ${when(start)}; the attack window starts ${when(v.firstActivity)}, ${lead < 3600_000 ? 'within the first hour' : 'within the first day'} of the logs. The attack may have started earlier: look for older logs or backups.`);
    else warnings.push(`The logs reach back to ${when(start)}; the attack window starts ${when(v.firstActivity)}.`);
  } else if (start) {
    warnings.push(`Only what the logs cover can be judged: they reach back to ${when(start)}.`);
  }
  for (const g of v.gaps) warnings.push(g);
  const headline = headlineOf(report);
  return `<section id="verdict" data-status="${esc(v.status)}">
<p class="status">${esc(v.status)}</p>
${headline ? `<p class="headline">${esc(headline)}</p>\n<p class="detail">${esc(v.summary)}</p>` : `<p class="summary">${esc(v.summary)}</p>`}
<dl>${rows.join('')}</dl>
${warnings.map((w) => `<p class="warn">${esc(w)}</p>`).join('')}
</section>`;
}

function phaseFindings(report: Report, phase: string): Finding[] {
  return report.findings.filter((f) => phaseIn(report, f) === phase && f.stage !== 'scan' && f.stage !== 'info');
}

/** "What to do now": the concrete steps first, then every step the findings ask for. */
export function actionsSection(report: Report): string {
  const v = report.verdict;
  const items: string[] = [];
  const breached = v.status === 'COMPROMISED';
  const deep = ['commands', 'credentials', 'exfiltration'].some((p) => phaseFindings(report, p).length > 0);
  if (breached) {
    items.push(`<strong>Call for help now.</strong> ${deep ? 'Commands ran on the server' : 'The server was breached'}: contact an incident-response provider or your national CERT before cleaning up, and keep this report for them. ${deep ? 'The attacker may have moved on to other machines.' : ''}`);
    items.push(`<strong>Cut the attacker off.</strong> Block inbound HTTPS to the server at the firewall (or take OWA/ECP offline) until it is patched and cleaned${v.attackerIps.length > 0 ? `, and block ${esc(v.attackerIps.join(', '))}` : ''}.`);
  }
  const files = report.findings.filter((f) => f.file && f.stage === 'compromise');
  const shells = [...new Set((report.intrusions ?? []).flatMap((x) => x.webShells).filter((w) => w.startsWith('/')))];
  if (files.length > 0 || shells.length > 0) {
    const rows = files.map((f) => `<li><code>${esc(f.file!.path)}</code>${f.file!.sha256 ? ` <span class="muted">SHA-256 ${esc(f.file!.sha256)}</span>` : ''}</li>`);
    rows.push(...shells.map((s) => `<li>web page requested by the attacker: <code>${esc(s)}</code> (find the file behind it on every Exchange server)</li>`));
    items.push(`<strong>Preserve, then remove these files.</strong> Copy each one with its timestamps to evidence storage, then delete it and restart IIS (<code>iisreset</code>):<ul>${rows.join('')}</ul>`);
  }
  const exposure = report.exposure;
  if (exposure && exposure.cves.length > 0) {
    const byUpdate = new Map<string, string[]>();
    for (const c of exposure.cves) {
      const k = `${c.fixedIn}${c.kb ? ` — ${c.kb}` : ''}`;
      byUpdate.set(k, [...(byUpdate.get(k) ?? []), c.id]);
    }
    const rows = [...byUpdate].map(([u, cves]) => `<li>${esc(u)}: closes ${esc(cves.join(', '))}</li>`);
    items.push(`<strong>Install the updates.</strong> ${esc(exposure.product ?? 'Exchange')} ${esc(exposure.build ?? '')} is open to ${exposure.cves.length} known vulnerabilities. Install the newest Cumulative Update and Security Update; these are the minimum fixes:<ul>${rows.join('')}</ul>`);
  } else if (v.status !== 'NOTHING FOUND') {
    items.push('<strong>Install the updates.</strong> Install the current Cumulative Update and Security Update for your Exchange version (<code>exhunt build &lt;version&gt;</code> tells which vulnerabilities a build is open to).');
  }
  if (phaseFindings(report, 'credentials').length > 0 || (breached && deep)) {
    const users = [...new Set(phaseFindings(report, 'credentials').concat(phaseFindings(report, 'commands')).flatMap((f) => f.details['user'] ?? []))].filter((u) => !u.startsWith('…'));
    items.push(`<strong>Reset passwords.</strong> Passwords of every account that signed in to the server may be in the attacker's hands: reset administrator and service accounts, then the <code>krbtgt</code> account twice (a day apart) if the server is in a domain.${users.length > 0 ? ` Accounts named in the evidence: ${esc(users.join(', '))}.` : ''}`);
  }
  const mail = phaseFindings(report, 'mailbox');
  if (mail.length > 0) {
    const targets = [...new Set(mail.flatMap((f) => [...(f.details['mailbox'] ?? []), ...(f.details['target'] ?? []), ...(f.details['file'] ?? [])]))].filter((t) => !t.startsWith('…')).slice(0, 20);
    items.push(`<strong>Review mailboxes.</strong> Mail was read or exported: check mailbox audit logs and <code>Get-MailboxExportRequest</code>, and tell the owners of affected mailboxes.${targets.length > 0 ? ` Named in the evidence: ${targets.map((t) => `<code>${esc(t)}</code>`).join(', ')}.` : ''}`);
  }
  if (!breached && v.status !== 'NOTHING FOUND') items.push('<strong>Check the patch level at the time.</strong> If the server was not patched when these attempts came, treat it as possibly breached and look for web shells.');
  const more = v.nextSteps.map((s) => esc(s));
  return `<section id="actions"><h2>What to do now</h2>
${items.length > 0 ? `<ol class="checklist">${items.map((i) => `<li>${i}</li>`).join('')}</ol>` : ''}
<details${items.length === 0 ? ' open' : ''}><summary>All recommended steps (${more.length})</summary>${list(more, 'plain')}</details>
</section>`;
}

function intrusionArticle(report: Report, x: Intrusion): string {
  const byId = new Map(report.findings.map((f) => [f.id, f]));
  const seen = new Set(x.steps.map((s) => s.phase));
  const chain = PHASES.map((p) => `<li class="${seen.has(p) ? 'seen' : ''}" data-phase="${token(p)}">${esc(PHASE_LABELS[p])}</li>`).join('');
  const steps = x.steps.map((s) => {
    const links = s.findings.map((id) => byId.get(id)).filter((f): f is Finding => !!f).map(findingLink);
    return `<li><strong>${esc(PHASE_LABELS[s.phase])}</strong> (${esc(when(s.first))} → ${esc(when(s.last))}): ${esc(s.summary)}${links.length > 0 ? `<br><span class="muted">Findings: ${links.join(' · ')}</span>` : ''}</li>`;
  });
  const links = x.links.map((l) => `<li>${esc(l.kind === 'request-id' ? 'same request in several logs' : l.kind === 'ecp-canary' ? 'same control-panel session' : 'web-shell file, its writer and its users')}: <code>${esc(l.value)}</code><br><span class="muted">${esc(l.records.join(' · '))}</span></li>`);
  const context = (report.context?.events ?? []).filter((c) => c.intrusion === x.id).length;
  return `<article class="intrusion" id="${esc(x.id)}" data-stage="${token(x.stage)}">
<h3>${esc(x.title)}</h3>
<p><span class="sev sev-${token(x.severity)}">${esc(x.severity)}</span> ${esc(when(x.firstSeen))} → ${esc(when(x.lastSeen))}</p>
<p><strong>Way in:</strong> ${x.entry ? esc(x.entry) : 'not visible in the logs (they may not reach back far enough)'}</p>
<ol class="chain" aria-label="Steps of the attack">${chain}</ol>
<h4>What happened, in order</h4>
<ol class="story">${x.story.map((s) => `<li>${esc(s)}</li>`).join('')}</ol>
<h4>Steps</h4>
<ul class="plain">${steps.join('')}</ul>
${x.webShells.length > 0 ? `<p><strong>Web shells:</strong> ${x.webShells.map((w) => `<code>${esc(w)}</code>`).join(', ')}</p>` : ''}
${x.userAgents.length > 0 ? `<p><strong>User agents:</strong> ${x.userAgents.map((u) => `<code>${esc(u)}</code>`).join(', ')}</p>` : ''}
${context > 0 ? `<p class="muted">${context} other records of this attack are in the timeline below.</p>` : ''}
${links.length > 0 ? `<details><summary>How the records were joined (${links.length})</summary><ul class="plain">${links.join('')}</ul></details>` : ''}
</article>`;
}

export function intrusionsSection(report: Report): string {
  const xs = report.intrusions ?? [];
  const body = xs.length === 0
    ? `<p>No attack was pieced together from the findings${report.findings.length > 0 ? ': what was found is listed below' : ''}.</p>`
    : `<p>${xs.length === 1 ? 'One attack' : `${xs.length} attacks`} pieced together from the findings: addresses, requests, sessions and files that belong together.</p>${xs.map((x) => intrusionArticle(report, x)).join('\n')}`;
  return `<section id="intrusions"><h2>What happened</h2>\n${body}\n</section>`;
}
