// The MSExchange Management event log (provider MSExchange CmdletLogs): event 1 "cmdlet succeeded"
// and event 6 "cmdlet failed", whose unnamed Data values start with the cmdlet name and its
// parameters (a string array in a native log, separate <Data> elements when forwarded). The same
// cmdlets mean the same thing here as in the Rps_Cmdlet log: see ../cmdlets.ts.
// Sources: SigmaHQ rules/windows/builtin/msexchange/*.yml (service msexchange-management);
// artefacts.help and the CSS-Exchange fixture for the event layout (shared/reference/exchange-logs.md).
import { classifyCmdlet } from '../cmdlets.js';
import { CALL_A_PROFESSIONAL, HUNT_WEB_SHELLS, PATCH_PROXYSHELL, PRESERVE_FIRST, REVIEW_MAILBOXES } from '../remediation.js';
import type { Detector, Hit } from '../types.js';
import { EXCHANGE_CMDLET_LOGS } from '../windows.js';

export const exchangeManagementLog: Detector = {
  id: 'exchange-management-cmdlet',
  title: 'Exchange cmdlets used to plant files, persist or steal mail (MSExchange Management log)',
  story: 'Exchange cmdlets abused',
  appliesTo: ['evtx'],
  needles: null,
  cves: [],
  attack: ['T1114.002', 'T1505.003', 'T1114.003'],
  explanation:
    'Exchange records every cmdlet run through its management shell in the MSExchange Management event log. Intruders with administrator access export mailboxes into web folders (a web shell), put script into virtual directory URLs, install transport agents and forward mail out; none of these is routine.',
  remediation: [HUNT_WEB_SHELLS, REVIEW_MAILBOXES, PRESERVE_FIRST, PATCH_PROXYSHELL, CALL_A_PROFESSIONAL],
  references: [
    'SigmaHQ rules/windows/builtin/msexchange/win_exchange_proxyshell_mailbox_export.yml',
    'SigmaHQ rules/windows/builtin/msexchange/win_exchange_proxylogon_oabvirtualdir.yml',
    'SigmaHQ rules/windows/builtin/msexchange/win_exchange_transportagent.yml',
    'SigmaHQ rules/windows/builtin/msexchange/win_exchange_transportagent_failed.yml',
  ],
  inspect(ev): Hit | undefined {
    const w = ev.win;
    if (!w || (w.eventId !== 1 && w.eventId !== 6) || w.provider !== EXCHANGE_CMDLET_LOGS) return undefined;
    const list = w.list;
    // Cmdlet and parameters; the caller is the third value ("domain/Users/Administrator").
    const text = list.length > 0 ? `${list[0]} ${list[1] ?? ''}` : ev.raw;
    const hit = classifyCmdlet(text, w.eventId === 6, list[2] ?? '');
    if (!hit) return undefined;
    return { ...hit, facets: { ...hit.facets, server: w.computer } };
  },
};
