// What an Exchange cmdlet invocation means for an intruder hunt, shared by the two places Exchange
// records cmdlets: the Rps_Cmdlet log (Logging\CmdletInfra) and the MSExchange Management event
// log (events 1 and 6 of MSExchange CmdletLogs). The text is the cmdlet name and its parameters as
// logged (`-Name 'value'` or `-Name "value"`).
// Sources: SigmaHQ rules/windows/builtin/msexchange (win_exchange_proxyshell_mailbox_export,
// _remove_mailbox_export, _certificate_generation, win_exchange_proxylogon_oabvirtualdir,
// win_exchange_set_oabvirtualdirectory_externalurl, win_exchange_transportagent);
// rules-threat-hunting posh_ps_email_forwarding_activity / posh_ps_inbox_rule_creation_or_update_activity;
// Orange Tsai, ProxyShell (Black Hat USA 2021); MSRC guidance for responders (2021-03-16).
import { CALL_A_PROFESSIONAL, HUNT_WEB_SHELLS, PATCH_MARCH_2021, PRESERVE_FIRST, REVIEW_MAILBOXES } from './remediation.js';
import type { Hit } from './types.js';
import { clip } from './web.js';

// A file path that ends up on the web server: a script extension, the server's own admin share, or
// a web folder.
const WEB_TARGET = /\.(aspx|ashx|asmx|asp)\b|\\\\(localhost|127\.0\.0\.1|\[?::1\]?)\\[a-z]\$\\|\\[a-z]\$\\(inetpub|program files)|\\inetpub\\|\\frontend\\httpproxy\\/i;
// Script planted in a virtual directory URL (the CVE-2021-27065 web shell).
const SCRIPT_IN_URL = /<script|page_load|eval\s*\(|runat\s*=|http:\/\/f\/</i;
const VDIR = /\b(set-\w*virtualdirectory)\b/i;
const FORWARDING = /-(forwardingsmtpaddress|forwardingaddress)\s*[:=]?\s*(?:"([^"]*)"|'([^']*)'|(\S+))/i;
const RULE_FORWARD = /-(forwardto|redirectto|forwardasattachmentto|blindcopyto|redirectmessageto)\s*[:=]?\s*(?:"([^"]*)"|'([^']*)'|(\S+))/i;
const ASSEMBLY = /-(assemblypath)\s*[:=]?\s*(?:"([^"]*)"|'([^']*)'|(\S+))/i;
// Where a legitimate transport agent lives: an installed product's folder.
const PRODUCT_FOLDER = /^[a-z]:\\program files( \(x86\))?\\/i;

export const REVIEW_FORWARDING =
  'Check mail forwarding: Get-Mailbox | Where ForwardingSmtpAddress, Get-InboxRule -Mailbox <user> and Get-TransportRule; remove forwarding nobody ordered and tell the mailbox owner.';
export const REVIEW_TRANSPORT_AGENTS =
  'Run Get-TransportAgent on every Exchange server; an agent you cannot match to an installed product (antispam, archiving, disclaimers) can read and change every message: disable it, preserve its DLL and call an incident-response provider.';

function valueOf(m: RegExpExecArray): string {
  return (m[2] ?? m[3] ?? m[4] ?? '').trim();
}

function isNull(v: string): boolean {
  return v === '' || /^\$null$/i.test(v);
}

/**
 * The hit for one cmdlet record, or undefined when the cmdlet is of no interest. `failed`: the log
 * says the cmdlet failed (MSExchange Management event 6), which turns "done" into "tried".
 */
export function classifyCmdlet(text: string, failed: boolean, user: string): Hit | undefined {
  const hit = classify(text, user);
  if (!hit || !failed) return hit;
  const tried = hit.stage === 'compromise' ? { severity: 'high' as const, stage: 'attempt' as const } : {};
  return { ...hit, ...tried, title: `${hit.title} (the cmdlet failed)`, summary: `${hit.summary} The cmdlet failed.`, key: `${hit.key}|failed` };
}

function classify(text: string, user: string): Hit | undefined {
  const lower = text.toLowerCase();
  const facets = { user };
  if (lower.includes('new-mailboxexportrequest') || lower.includes('new-exchangecertificate')) {
    const cmdlet = lower.includes('new-mailboxexportrequest') ? 'New-MailboxExportRequest' : 'New-ExchangeCertificate';
    const target = /-?(?:FilePath|RequestFile)\s*[:=]?\s*['"]?([^'",;]+)/i.exec(text)?.[1]?.trim() ?? '';
    if (WEB_TARGET.test(text)) {
      return {
        key: `${cmdlet}|${target.toLowerCase()}`,
        title: `${cmdlet} wrote a file into a web folder (ProxyShell web shell)`,
        severity: 'critical',
        stage: 'compromise',
        summary: `${cmdlet} with file ${clip(target || text, 200)}: a file was written where the web server can run it.`,
        cves: ['CVE-2021-31207'],
        facets: { ...facets, file: target },
      };
    }
    if (cmdlet === 'New-MailboxExportRequest') {
      return {
        key: `export|${target.toLowerCase()}`,
        title: 'Mailbox exported to a file',
        severity: 'low',
        stage: 'info',
        summary: `New-MailboxExportRequest to ${clip(target || '(path not logged)', 200)}: confirm the export was ordered by an administrator.`,
        remediation: [REVIEW_MAILBOXES],
        facets: { ...facets, file: target },
      };
    }
    return undefined;
  }
  const vdir = VDIR.exec(text);
  if (vdir && SCRIPT_IN_URL.test(text)) {
    const name = vdir[1]!;
    return {
      key: `vdir-script|${name.toLowerCase()}`,
      title: `${name} set a URL containing script (CVE-2021-27065 web shell)`,
      severity: 'critical',
      stage: 'compromise',
      summary: `${clip(text, 240)}: a virtual directory URL carrying script is how ProxyLogon attackers wrote a web shell to disk.`,
      // The ECP log tells the same act in the same words (proxylogon-ecp-vdir-script).
      story: 'web shell planted in a virtual directory (CVE-2021-27065)',
      explanation:
        'ProxyLogon attackers put a one-line web shell into a virtual directory URL (usually the OAB ExternalUrl) and then had Exchange save the configuration to a file under the web root: the file becomes a web shell. No administrator puts script into a URL.',
      remediation: [HUNT_WEB_SHELLS, PRESERVE_FIRST, PATCH_MARCH_2021, CALL_A_PROFESSIONAL],
      cves: ['CVE-2021-27065'],
      facets: { ...facets, cmdlet: name },
    };
  }
  if (lower.includes('new-managementroleassignment') && lower.includes('mailbox import export')) {
    return {
      key: 'role-mailbox-import-export',
      title: 'Mailbox Import Export role granted',
      // Microsoft's documented first step for a legitimate PST export; it matters when an export
      // into a web folder follows (reported on its own).
      severity: 'low',
      stage: 'info',
      summary: 'New-ManagementRoleAssignment granted the "Mailbox Import Export" role, the step before exporting mailboxes; confirm an administrator did this.',
      remediation: [REVIEW_MAILBOXES],
      facets,
    };
  }
  if (lower.includes('remove-mailboxexportrequest')) {
    return {
      key: 'remove-export',
      title: 'Mailbox export request removed',
      severity: 'low',
      stage: 'info',
      summary: 'Remove-MailboxExportRequest deleted an export request; ProxyShell attackers did this to hide the web-shell export.',
      remediation: [REVIEW_MAILBOXES],
      facets,
    };
  }
  if (lower.includes('install-transportagent')) {
    const m = ASSEMBLY.exec(text);
    const dll = m ? valueOf(m) : '';
    const odd = dll !== '' && !PRODUCT_FOLDER.test(dll);
    return {
      key: `transport-agent|${dll.toLowerCase()}`,
      title: odd ? 'Transport agent installed from an unusual place' : 'Transport agent installed',
      severity: odd ? 'high' : 'medium',
      stage: odd ? 'attempt' : 'info',
      summary: `Install-TransportAgent ${dll ? `with assembly ${clip(dll, 200)}` : clip(text, 200)}: a transport agent sees and can change every message${odd ? '; this one is not in an installed product\'s folder' : ''}.`,
      story: 'transport agent installed',
      explanation:
        'A transport agent is code Exchange runs on every message. Intruders install one to copy or alter mail and to keep access after the password resets (e.g. the LightNeuron backdoor). Products such as antispam filters install agents too, from their folder under Program Files.',
      remediation: [REVIEW_TRANSPORT_AGENTS, PRESERVE_FIRST],
      facets: { ...facets, assembly: dll },
    };
  }
  const fwd = /set-mailbox\b/i.test(text) ? FORWARDING.exec(text) : null;
  if (fwd && !isNull(valueOf(fwd))) {
    const to = valueOf(fwd);
    return {
      key: `forwarding|${to.toLowerCase()}`,
      title: 'Mailbox forwarding set',
      severity: 'medium',
      stage: 'info',
      summary: `Set-Mailbox -${fwd[1]} ${clip(to, 120)}: mail of this mailbox is now copied to that address; confirm it was ordered.`,
      story: 'mail forwarded out',
      explanation:
        'Forwarding a mailbox to another address is a quiet way to keep reading its mail, used after mailbox compromises. It is also an ordinary administrative setting, so confirm it with whoever owns the mailbox.',
      remediation: [REVIEW_FORWARDING],
      facets: { ...facets, to },
    };
  }
  const rule = /\b(new|set)-(inboxrule|transportrule)\b/i.exec(text);
  const ruleFwd = rule ? RULE_FORWARD.exec(text) : null;
  if (rule && ruleFwd && !isNull(valueOf(ruleFwd))) {
    const to = valueOf(ruleFwd);
    const kind = rule[2]!.toLowerCase() === 'inboxrule' ? 'Inbox rule' : 'Transport rule';
    return {
      key: `rule-forward|${to.toLowerCase()}`,
      title: `${kind} forwarding mail`,
      severity: 'medium',
      stage: 'info',
      summary: `${rule[0]} with -${ruleFwd[1]} ${clip(to, 120)}: matching mail is sent to that address; confirm it was ordered.`,
      story: 'mail forwarded out',
      explanation:
        'A rule that forwards or redirects mail keeps an intruder supplied with messages after the break-in; business-email-compromise actors create them routinely. Rules are also an ordinary feature, so confirm it with the mailbox owner or the mail administrator.',
      remediation: [REVIEW_FORWARDING],
      facets: { ...facets, to },
    };
  }
  return undefined;
}
