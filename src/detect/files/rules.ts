// What the file sweep can conclude about one file, as finding rules: each states what it means and
// what to do. A file flagged for several reasons becomes one finding under its strongest rule, with
// every reason listed.
import type { FindingRule } from '../types.js';

const PRESERVE = 'Preserve a copy first: copy the file (with its timestamps) and its hash to evidence storage before anything is deleted.';
const HUNT_IIS = 'Search the IIS logs (inetpub\\logs\\LogFiles\\W3SVC*) and Exchange HttpProxy logs for requests to this file name: they give the attacker\'s IP addresses and the time of every use (exhunt hunt does this when the logs are in the collection).';
const DELETE = 'Delete the file once preserved, then recycle the MSExchange application pools (or restart IIS) so no compiled copy stays loaded.';
const CREDS = 'Assume every credential on the server is known to the attacker: reset the passwords of administrators and service accounts that logged on to it, and reset the krbtgt password twice if a domain admin was exposed.';
const PATCH = 'Install the latest Cumulative Update and Security Update for this Exchange version (exhunt build tells which); the hole the file came through is still open otherwise.';

function rule(id: string, story: string, explanation: string, remediation: string[], cves: string[] = [], attack: string[] = ['T1505.003']): FindingRule {
  return { id, story, explanation, remediation, cves, attack };
}

export const FILE_RULES = {
  knownBadHash: rule(
    'file-known-bad-hash',
    'a known web shell or attack tool was on disk',
    'The file\'s SHA-256 is on a published list of files used in attacks on Exchange servers (the source is named below). It is the attacker\'s file, byte for byte.',
    [PRESERVE, HUNT_IIS, DELETE, CREDS, PATCH],
  ),
  yara: rule(
    'file-yara-match',
    'a web shell was planted',
    'The file\'s content matches YARA rules that describe web shells or attack artefacts (rule names and the offsets of the matching strings are listed). A web shell lets anyone who knows its address run commands on the server.',
    [PRESERVE, HUNT_IIS, DELETE, CREDS, PATCH],
  ),
  disguised: rule(
    'file-disguised-content',
    'a file was written under a web page name',
    'The file has a name IIS runs as a page (.aspx, .ashx…) but its content is another kind of file (a mailbox export, certificate, archive, memory dump or program). ProxyShell attackers exported mailboxes as PST files named .aspx to plant web shells (CVE-2021-34473/-34523/-31207); other content under a page name is staged for download.',
    [PRESERVE, HUNT_IIS, DELETE, PATCH],
    ['CVE-2021-34473', 'CVE-2021-34523', 'CVE-2021-31207'],
  ),
  knownPath: rule(
    'file-known-webshell-path',
    'a web shell was planted',
    'The file sits at a path, or has a name, that published reports list as a web shell dropped on Exchange servers in 2021 (the source is named below).',
    [PRESERVE, HUNT_IIS, DELETE, PATCH],
  ),
  unexpectedScript: rule(
    'file-unexpected-web-script',
    'an unknown page was placed in an Exchange web folder',
    'The file is a page IIS would run (.aspx, .ashx, .asmx…) in a folder Exchange serves, but Microsoft\'s file list for Exchange does not contain it. Web shells are planted exactly like this (owa\\auth, ecp\\auth, aspnet_client, OAB).',
    [PRESERVE, HUNT_IIS, 'Compare the file with the same path on a clean Exchange server of the same build; if it is not Microsoft\'s, treat it as a web shell.', DELETE, PATCH],
  ),
  modifiedShipped: rule(
    'file-modified-exchange-file',
    'a shipped Exchange page was altered',
    'Exchange ships a file at this path, but this content matches none of the known builds. Attackers have overwritten legitimate pages (GTSC 2022: owa\\auth\\RedirSuiteServiceProxy.aspx) so that a name check does not notice.',
    [PRESERVE, HUNT_IIS, 'Restore the file from the installation media of the same build (or re-run the latest Cumulative Update setup, which rewrites every shipped file).', PATCH],
  ),
  unverified: rule(
    'file-unverified-exchange-files',
    'shipped Exchange pages could not be verified',
    'The Exchange web files in the collection belong to a build exhunt has no file list for, so changed pages cannot be told from that build\'s own. Add the build\'s baseline with --baseline FILE (docs/files.md says how to make one).',
    ['Give exhunt a baseline of this build (--baseline) and run the sweep again.'],
    [],
    [],
  ),
  changedInWindow: rule(
    'file-changed-during-intrusion',
    'files in the web folders changed during the intrusion',
    'The file, in a folder IIS serves, was last modified inside the time window in which the logs show the attack. Legitimate changes to these folders come only from Exchange setup and updates.',
    [PRESERVE, 'Check whether an Exchange update was installed at that time; if not, treat the file as planted by the attacker.', HUNT_IIS],
  ),
  memoryDump: rule(
    'file-memory-dump',
    'credentials were dumped from memory',
    'The file is a Windows memory dump (minidump). A dump of the LSASS process holds the password hashes and Kerberos tickets of everyone logged on; attackers dump it (procdump, comsvcs.dll MiniDump) and take it away, often through a web folder.',
    [PRESERVE, CREDS, 'Search the logs for how the dump was made (comsvcs.dll, procdump) and whether it was downloaded (a request for its name in IIS logs).'],
    [],
    ['T1003.001'],
  ),
  stagedArchive: rule(
    'file-staged-archive',
    'data was packed for exfiltration',
    'The file is an archive in a place attackers stage data before taking it (ProgramData, inetpub, web folders). Alone this is weak (backups look the same); the reasons below say whether anything ties it to the intrusion.',
    ['List the archive\'s content without extracting it, and check whether its name appears in the IIS logs (downloaded).', PRESERVE],
    [],
    ['T1560.001', 'T1074.001'],
  ),
} as const;

/** Which rule names a file's finding when several reasons apply with the same severity. */
export const RULE_PRIORITY: readonly FindingRule[] = [
  FILE_RULES.knownBadHash,
  FILE_RULES.yara,
  FILE_RULES.memoryDump,
  FILE_RULES.disguised,
  FILE_RULES.knownPath,
  FILE_RULES.modifiedShipped,
  FILE_RULES.unexpectedScript,
  FILE_RULES.stagedArchive,
  FILE_RULES.changedInWindow,
];
