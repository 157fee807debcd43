// Exchange cmdlets that ProxyShell chains ran once they had administrator PowerShell, as recorded
// in the Rps_Cmdlet log (Logging\CmdletInfra\Powershell-Proxy\Cmdlet): a mailbox exported to an
// .aspx file or to the server's own disk (the PST-shaped web shell), a certificate request written
// the same way, the "Mailbox Import Export" role granted, and exports removed to hide the trail.
// Matched on the raw record, since the Rps_Cmdlet field layout varies by build.
// Sources: Sigma win_exchange_proxyshell_mailbox_export.yml, win_exchange_proxyshell_remove_mailbox_export.yml,
// win_exchange_proxyshell_certificate_generation.yml (rules/windows/builtin/msexchange); Orange Tsai,
// ProxyShell (Black Hat USA 2021); Neo23x0/signature-base expl_proxyshell.yar.
import type { Detector, Hit } from '../types.js';
import { CALL_A_PROFESSIONAL, HUNT_WEB_SHELLS, PATCH_PROXYSHELL, PRESERVE_FIRST, REVIEW_MAILBOXES } from '../remediation.js';
import { clip } from '../web.js';

// A file path that ends up on the web server: a script extension, the server's own admin share, or
// a web folder.
const WEB_TARGET = /\.(aspx|ashx|asmx|asp)\b|\\\\(localhost|127\.0\.0\.1|\[?::1\]?)\\[a-z]\$\\|\\[a-z]\$\\(inetpub|program files)|\\inetpub\\|\\frontend\\httpproxy\\/i;

export const exchangeCmdletAbuse: Detector = {
  id: 'exchange-cmdlet-abuse',
  title: 'Exchange cmdlets used to plant files or steal mailboxes',
  story: 'mailbox exported into a web folder',
  appliesTo: ['exchange-rps-cmdlet'],
  needles: ['mailboxexportrequest', 'managementroleassignment', 'new-exchangecertificate'],
  cves: ['CVE-2021-31207'],
  attack: ['T1114.002', 'T1505.003'],
  explanation:
    'Exchange administrators can export a mailbox to a file. ProxyShell attackers used this to write a "mailbox" containing their script as an .aspx page into a web folder — a web shell — after granting themselves the Mailbox Import Export role, and then deleted the export request. An export into a web folder or to the server itself is never legitimate.',
  remediation: [HUNT_WEB_SHELLS, REVIEW_MAILBOXES, PRESERVE_FIRST, PATCH_PROXYSHELL, CALL_A_PROFESSIONAL],
  references: [
    'SigmaHQ rules/windows/builtin/msexchange/win_exchange_proxyshell_mailbox_export.yml',
    'SigmaHQ rules/windows/builtin/msexchange/win_exchange_proxyshell_remove_mailbox_export.yml',
    'SigmaHQ rules/windows/builtin/msexchange/win_exchange_proxyshell_certificate_generation.yml',
  ],
  inspect(ev): Hit | undefined {
    const raw = ev.raw;
    const lower = raw.toLowerCase();
    const facets = { user: ev.fields['AuthenticatedUser'] ?? ev.fields['User'] ?? '' };
    if (lower.includes('new-mailboxexportrequest') || lower.includes('new-exchangecertificate')) {
      const cmdlet = lower.includes('new-mailboxexportrequest') ? 'New-MailboxExportRequest' : 'New-ExchangeCertificate';
      const target = /(?:FilePath|RequestFile)\W{0,4}([^'",;]+)/i.exec(raw)?.[1]?.trim() ?? '';
      if (WEB_TARGET.test(raw)) {
        return {
          key: `${cmdlet}|${target.toLowerCase()}`,
          title: `${cmdlet} wrote a file into a web folder (ProxyShell web shell)`,
          severity: 'critical',
          stage: 'compromise',
          summary: `${cmdlet} with file ${clip(target || raw, 200)}: a file was written where the web server can run it.`,
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
    return undefined;
  },
};
