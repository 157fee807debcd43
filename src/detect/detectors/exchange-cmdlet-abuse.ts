// Exchange cmdlets that intruders run once they have administrator PowerShell, as recorded in the
// Rps_Cmdlet log (Logging\CmdletInfra\Powershell-Proxy\Cmdlet): a mailbox exported to an .aspx file
// or to the server's own disk (the ProxyShell web shell), a certificate request written the same
// way, script put into a virtual directory URL, the "Mailbox Import Export" role granted, exports
// removed to hide the trail, transport agents installed and mail forwarded out. Matched on the raw
// record, since the Rps_Cmdlet field layout varies by build; the meaning of each cmdlet is shared
// with the MSExchange Management event-log detector (../cmdlets.ts, which cites the sources).
import { classifyCmdlet } from '../cmdlets.js';
import { CALL_A_PROFESSIONAL, HUNT_WEB_SHELLS, PATCH_PROXYSHELL, PRESERVE_FIRST, REVIEW_MAILBOXES } from '../remediation.js';
import type { Detector, Hit } from '../types.js';

export const CMDLET_NEEDLES = [
  'mailboxexportrequest',
  'managementroleassignment',
  'new-exchangecertificate',
  'virtualdirectory',
  'install-transportagent',
  'forwardingsmtpaddress',
  'forwardingaddress',
  'inboxrule',
  'transportrule',
];

export const exchangeCmdletAbuse: Detector = {
  id: 'exchange-cmdlet-abuse',
  title: 'Exchange cmdlets used to plant files or steal mailboxes',
  story: 'mailbox exported into a web folder',
  appliesTo: ['exchange-rps-cmdlet'],
  needles: CMDLET_NEEDLES,
  cves: [],
  attack: ['T1114.002', 'T1505.003'],
  explanation:
    'Exchange administrators can export a mailbox to a file. ProxyShell attackers used this to write a "mailbox" containing their script as an .aspx page into a web folder — a web shell — after granting themselves the Mailbox Import Export role, and then deleted the export request. An export into a web folder or to the server itself is never legitimate.',
  remediation: [HUNT_WEB_SHELLS, REVIEW_MAILBOXES, PRESERVE_FIRST, PATCH_PROXYSHELL, CALL_A_PROFESSIONAL],
  references: [
    'SigmaHQ rules/windows/builtin/msexchange/win_exchange_proxyshell_mailbox_export.yml',
    'SigmaHQ rules/windows/builtin/msexchange/win_exchange_proxyshell_remove_mailbox_export.yml',
    'SigmaHQ rules/windows/builtin/msexchange/win_exchange_proxyshell_certificate_generation.yml',
    'SigmaHQ rules/windows/builtin/msexchange/win_exchange_transportagent.yml',
  ],
  inspect(ev): Hit | undefined {
    const user = ev.fields['AuthenticatedUser'] ?? ev.fields['User'] ?? '';
    const failed = /fail|error/i.test(ev.fields['ExecutionResult'] ?? '');
    return classifyCmdlet(ev.raw, failed, user);
  },
};
