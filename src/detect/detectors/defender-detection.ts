// Microsoft Defender detections (Microsoft-Windows-Windows Defender/Operational 1006/1007 from the
// old engine, 1116/1117 "threat detected / action taken"). Names Microsoft gave the Exchange attacks
// of 2021–2022 — web shells, exploit artefacts, LSASS dumping — say the server was compromised;
// other detections are listed for context.
// Sources: Defender names quoted by cyware data/defender.queries and artefacts.help
// (shared/reference/exchange-logs.md: Exmann, Chopper, SecChecker, IISExchgSpawnCMD, DumpLsass,
// CVE-2021-31207, SuspExchgSession); SigmaHQ rules/category/antivirus/av_webshell.yml.
import { CALL_A_PROFESSIONAL, HUNT_WEB_SHELLS, PRESERVE_FIRST, RESET_CREDENTIALS } from '../remediation.js';
import type { Detector, Hit } from '../types.js';
import { clip } from '../web.js';
import { DEFENDER } from '../windows.js';

const EVENTS = new Set([1006, 1007, 1116, 1117]);
// Names that mean a web shell, a dump or code run by an Exchange exploit: the compromise happened.
const COMPROMISE = /chopper|webshell|web_shell|backdoor:(asp|aspx|jscript|msil)\/|secchecker|iisexchgspawncmd|dumplsass|hafnium|godzilla|antsword|behinder|aspxspy|regeorg|tunna/i;
// Names of the exploits themselves.
const EXPLOIT = /exmann|suspexchgsession|cve-2021-(26855|26857|26858|27065|31207|34473|34523)|cve-2022-(41040|41082)|proxylogon|proxyshell|exchange/i;
const WEB_PATH = /\\frontend\\httpproxy\\|\\aspnet_client\\|\\inetpub\\|\\exchange server\\/i;

export const defenderDetection: Detector = {
  id: 'defender-detection',
  title: 'Microsoft Defender detection',
  story: 'malware detected by Defender',
  appliesTo: ['evtx'],
  needles: null,
  cves: [],
  attack: ['T1505.003'],
  explanation:
    'Microsoft Defender recognised malicious code on the server. Names such as Exmann, Chopper or SecChecker are the web shells and exploit artefacts of the 2021 Exchange attacks; a detection means the file was there, even when Defender then removed it — the attacker may have used it before, or left others Defender did not recognise.',
  remediation: [HUNT_WEB_SHELLS, PRESERVE_FIRST, RESET_CREDENTIALS, CALL_A_PROFESSIONAL],
  references: ['SigmaHQ rules/category/antivirus/av_webshell.yml', 'Defender threat names of the Exchange attacks (shared/reference/exchange-logs.md)'],
  inspect(ev): Hit | undefined {
    const w = ev.win;
    if (!w || !EVENTS.has(w.eventId) || w.provider !== DEFENDER) return undefined;
    const d = w.data;
    const name = d['Threat Name'] ?? d['Name'] ?? '';
    const file = d['Path'] ?? '';
    const action = d['Action Name'] ?? '';
    const text = `${name} ${file}`;
    const compromise = COMPROMISE.test(name) || (WEB_PATH.test(file) && /\.(aspx|ashx|asmx|asp)\b/i.test(file));
    const exploit = !compromise && EXPLOIT.test(text);
    const label = name || '(unnamed threat)';
    return {
      key: `${w.computer.toLowerCase()}|${label.toLowerCase()}`,
      title: compromise ? `Defender found ${clip(label, 80)} (web shell or attack tool)` : exploit ? `Defender found ${clip(label, 80)} (Exchange exploit)` : `Defender found ${clip(label, 80)}`,
      severity: compromise ? 'critical' : exploit ? 'high' : 'low',
      stage: compromise ? 'compromise' : exploit ? 'attempt' : 'info',
      summary: `${w.computer || 'The server'}: Defender event ${w.eventId}, ${clip(label, 120)}${file ? ` in ${clip(file, 160)}` : ''}${action ? ` (action: ${action})` : ''}.`,
      story: compromise ? 'web shell or attack tool found by Defender' : undefined,
      facets: { threat: label, file, server: w.computer },
    };
  },
};
