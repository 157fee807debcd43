// Event logs cleared: Security 1102 "The audit log was cleared" and System 104 "The <name> log file
// was cleared", both from the Eventlog service. Intruders clear logs to hide what they did; after
// a clearing, "nothing found" in that log means little.
// Sources: SigmaHQ rules/windows/builtin/security/win_security_audit_log_cleared.yml,
// rules/windows/builtin/system/microsoft_windows_eventlog/win_system_eventlog_cleared.yml.
import { CALL_A_PROFESSIONAL, PRESERVE_FIRST } from '../remediation.js';
import type { Detector, Hit } from '../types.js';
import { EVENTLOG } from '../windows.js';

export const eventLogCleared: Detector = {
  id: 'event-log-cleared',
  title: 'Event log cleared',
  story: 'event logs cleared',
  appliesTo: ['evtx'],
  needles: null,
  cves: [],
  attack: ['T1070.001'],
  explanation:
    'Someone cleared a Windows event log. Administrators rarely do this; intruders do it to remove the traces of their commands and logons. Events older than the clearing are gone from this log, so the absence of findings in it proves little — look for copies (forwarded events, a SIEM, backups).',
  remediation: [PRESERVE_FIRST, 'Find out who cleared the log (the account is in the finding) and whether that person did so on purpose; recover older events from a SIEM, forwarded events or backups.', CALL_A_PROFESSIONAL],
  references: [
    'SigmaHQ rules/windows/builtin/security/win_security_audit_log_cleared.yml',
    'SigmaHQ rules/windows/builtin/system/microsoft_windows_eventlog/win_system_eventlog_cleared.yml',
  ],
  inspect(ev): Hit | undefined {
    const w = ev.win;
    if (!w || w.provider !== EVENTLOG) return undefined;
    const security = w.eventId === 1102;
    if (!security && w.eventId !== 104) return undefined;
    const d = w.data;
    const log = security ? 'Security' : d['Channel'] || 'an event log';
    const user = [d['SubjectDomainName'], d['SubjectUserName']].filter(Boolean).join('\\');
    return {
      key: `${w.computer.toLowerCase()}|${log.toLowerCase()}`,
      title: `${log} log cleared`,
      severity: 'high',
      stage: 'info',
      summary: `${w.computer || 'The server'}: the ${log} log was cleared${user ? ` by ${user}` : ''} (event ${w.eventId}).`,
      facets: { log, user, server: w.computer },
    };
  },
};
