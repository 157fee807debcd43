// Which step of an intrusion a finding belongs to. The finding's story is the curated few words a
// detector (or the hit) chose for what happened, so it is read first; ATT&CK techniques and the
// stage decide when the words do not (Sigma rules bring titles and tags of their own).
import type { Finding, Phase } from '../core/types.js';

// First match wins: the more specific outcome before the means.
const BY_WORDS: [RegExp, Phase][] = [
  [/lsass|password|credential|mimikatz|ntds/i, 'credentials'],
  [/mailbox|\bmail\b|\bews\b|inbox/i, 'mailbox'],
  [/pack|exfiltrat|download|archiv|staged|stolen|theft/i, 'exfiltration'],
  [/log(s)? (were |was )?cleared|cleared|defender (was )?disabled|tamper/i, 'cleanup'],
  [/command|tunnel|\btool/i, 'commands'],
  [/web ?shell|planted|written|\.aspx|malware/i, 'webshell'],
  [/exploit|ssrf|cve-\d|deserial/i, 'exploit'],
  [/powershell|cmdlet|process/i, 'commands'],
  [/scan|fingerprint|probe|recon|reached the server/i, 'scan'],
];

const BY_ATTACK: [RegExp, Phase][] = [
  [/^T1003/, 'credentials'],
  [/^T1114/, 'mailbox'],
  [/^T1(560|041|567|074|048)/, 'exfiltration'],
  [/^T1(070|562)/, 'cleanup'],
  [/^T1(059|047|569|572|090)/, 'commands'],
  [/^T1505/, 'webshell'],
  [/^T1(190|203|068)/, 'exploit'],
  [/^T1(595|592|590)/, 'scan'],
];

export function phaseOf(f: Finding): Phase {
  for (const [re, phase] of BY_WORDS) if (re.test(f.story)) return phase;
  for (const [re, phase] of BY_WORDS) if (re.test(f.title)) return phase;
  for (const [re, phase] of BY_ATTACK) if (f.attack.some((a) => re.test(a))) return phase;
  return f.stage === 'scan' || f.stage === 'info' ? 'scan' : 'exploit';
}
