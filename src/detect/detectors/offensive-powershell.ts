// PowerShell one-liners of the Exchange intrusions of 2021: Nishang's reverse shell
// (New-Object System.Net.Sockets.TCPClient … GetStream), PowerCat downloaded from GitHub, and the
// Exchange snap-in loaded by hand to export mailboxes outside the management shell. Read from
// process starts (4688 / Sysmon 1) and PowerShell script-block logging (4104).
// Sources: Microsoft Sentinel queries for HAFNIUM (cyware data/sentinel.queries, quoted in
// shared/reference/exchange-logs.md); SigmaHQ proc_creation_win_powershell_snapins_hafnium.yml
// (25676e10-…), excluding Exchange setup started by msiexec.
import { CALL_A_PROFESSIONAL, PRESERVE_FIRST, RESET_CREDENTIALS, REVIEW_MAILBOXES } from '../remediation.js';
import type { Detector, Hit } from '../types.js';
import { clip } from '../web.js';
import { processStart } from '../windows.js';

const POWERSHELL = 'Microsoft-Windows-PowerShell';
const NISHANG = /invoke-powershelltcp|new-object\s+(system\.)?net\.sockets\.tcpclient[^\n]*getstream/i;
const POWERCAT = /powercat(\.ps1)?\b/i;
const SNAPIN = /add-pssnapin\s+["']?microsoft\.exchange\.(powershell\.snapin|management\.powershell\.(snapin|e2010))/i;

export const offensivePowershell: Detector = {
  id: 'offensive-powershell',
  title: 'Attack PowerShell: reverse shells, PowerCat, Exchange snap-in',
  story: 'attacker PowerShell run',
  appliesTo: ['evtx'],
  needles: null,
  cves: [],
  attack: ['T1059.001', 'T1114.001'],
  explanation:
    'HAFNIUM and others ran PowerShell one-liners after breaking in: Nishang\'s reverse shell and PowerCat give them an interactive connection out of the network, and loading the Exchange snap-in by hand lets a script export mailboxes without going through the management shell.',
  remediation: [PRESERVE_FIRST, RESET_CREDENTIALS, REVIEW_MAILBOXES, CALL_A_PROFESSIONAL],
  references: ['SigmaHQ rules/windows/process_creation/proc_creation_win_powershell_snapins_hafnium.yml', 'Microsoft Sentinel HAFNIUM hunting queries (Nishang, PowerCat, Add-PSSnapin)'],
  inspect(ev): Hit | undefined {
    const w = ev.win;
    if (!w) return undefined;
    let text = '';
    let via = '';
    let parent = '';
    let user = '';
    const p = processStart(ev);
    if (p) {
      text = p.commandLine;
      via = p.via;
      parent = p.parentName;
      user = p.user;
    } else if (w.eventId === 4104 && w.provider === POWERSHELL) {
      text = w.data['ScriptBlockText'] ?? '';
      via = 'PowerShell 4104';
    } else {
      return undefined;
    }
    if (!text) return undefined;
    const what = NISHANG.test(text) ? 'Nishang reverse shell' : POWERCAT.test(text) ? 'PowerCat' : SNAPIN.test(text) && parent !== 'msiexec.exe' ? 'Exchange snap-in' : '';
    if (!what) return undefined;
    const snapin = what === 'Exchange snap-in';
    const command = clip(text, 240);
    return {
      key: `${w.computer.toLowerCase()}|${what}`,
      title: snapin ? 'Exchange snap-in loaded from a script' : `${what} run`,
      // Administrators' own scripts load the snap-in too: worth a look, not proof.
      severity: snapin ? 'medium' : 'critical',
      stage: snapin ? 'info' : 'compromise',
      summary: `${w.computer || 'The server'}: "${command}" (${via}${user ? `, as ${user}` : ''}).`,
      facets: { command, server: w.computer, user },
    };
  },
};
