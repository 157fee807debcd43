// The three shapes every stage of exhunt speaks: LogEvent (what a parser reads),
// Finding (what detection concludes) and Report (what every writer serialises).
// This module imports nothing so that every other module may import it.

/** Where a record came from. `file` is relative to its input root, with `/` separators. */
export interface Provenance {
  /** Index into `Report.inputs`. */
  input: number;
  file: string;
  /** 1-based line number for text logs. */
  line?: number;
  /** Record number for binary logs (EVTX). */
  record?: number;
  /** Byte offset of the line or record in the (decompressed) file. */
  offset: number;
}

/** Which kind of log a record came from; detectors declare the kinds they read. */
export type SourceKind =
  | 'iis'
  | 'exchange-httpproxy'
  | 'exchange-ecp-server'
  | 'exchange-ecp-activity'
  | 'exchange-oab-generator'
  | 'exchange-rps-http'
  | 'exchange-rps-cmdlet'
  | 'evtx';

/** The HTTP view of a record, the same for IIS W3C and Exchange HttpProxy / Rps_Http rows. */
export interface WebRequest {
  method: string;
  /** Path as logged (IIS logs it already decoded). */
  stem: string;
  /** Query string without `?` and without the tail Exchange's front end appends (`&CorrelationID=…;&cafeReqId=…;`). */
  query: string;
  /** HTTP status, 0 when not logged. */
  status: number;
  clientIp: string;
  /** User agent with IIS `+` and HttpProxy comma replacement undone as far as possible. */
  userAgent: string;
  /** Authenticated user, '' when anonymous. */
  user: string;
}

/** The Windows view of an EVTX record. */
export interface WinEvent {
  eventId: number;
  provider: string;
  channel: string;
  computer: string;
  /** EventRecordID from the event's System section. */
  recordId: number;
  /** 1 critical, 2 error, 3 warning, 4 information (0 when not logged). */
  level: number;
  /** EventData (or UserData) values as text by name; unnamed `<Data>` values joined with spaces as `Data`. */
  data: Record<string, string>;
  /** Unnamed `<Data>` values in order (empty when the event names its data). */
  list: string[];
}

export interface LogEvent {
  source: SourceKind;
  /** Milliseconds since the epoch, UTC; NaN when the record carries no readable time. */
  time: number;
  /** Field values by the log's own field names ('' for W3C `-`; EVTX: see docs/evtx.md). */
  fields: Record<string, string>;
  /** One field's value, when the format can give it without building `fields`. */
  field?(name: string): string | undefined;
  web?: WebRequest;
  win?: WinEvent;
  /** The record as a structured document, when the format has one (EVTX: evtx_dump's JSON object). */
  doc?: Record<string, unknown>;
  prov: Provenance;
  /** True for a record recovered from slack space or a damaged chunk (EVTX). */
  recovered?: boolean;
  /** The record as text (one log line), for excerpts and raw-text rules. */
  raw: string;
}

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * What a finding says about the server, from which the verdict follows:
 * `compromise` — an attack succeeded (code ran, a web shell was written or used, mail was read);
 * `attempt` — exploitation was tried but did not (visibly) succeed;
 * `scan` — the server was probed or fingerprinted;
 * `info` — context worth knowing, no attack.
 */
export const STAGES = ['info', 'scan', 'attempt', 'compromise'] as const;
export type Stage = (typeof STAGES)[number];

export interface Evidence {
  input: number;
  file: string;
  line?: number;
  record?: number;
  offset: number;
  /** ISO-8601 UTC time of the record, when it has one. */
  time?: string;
  /** The evidence record as text, truncated to a bounded length. Attacker-controlled. */
  excerpt: string;
  /** EVTX: the record was recovered from slack space or a damaged chunk. */
  recovered?: boolean;
}

/** A YARA rule that matched a file: which rule, from which rule file, and where its strings matched. */
export interface FileMatch {
  rule: string;
  /** The rule file (built-in: `builtin:<file>`). */
  source: string;
  /** Offsets of the first string matches, ascending (bounded). */
  offsets: number[];
  /** The string identifiers that matched (`$a`, `$x1`…). */
  strings: string[];
}

/** The file a file-sweep finding is about. */
export interface FileFacts {
  input: number;
  /** Path relative to the input root, `/`-separated. */
  path: string;
  size: number;
  /** SHA-256 of the whole file (absent when it was larger than the read limit). */
  sha256?: string;
  /** Last modification time (ISO-8601 UTC), when the collection keeps it. */
  mtime?: string;
  matches: FileMatch[];
}

export interface Finding {
  /** Stable id: the same rule and subject give the same id in every run. */
  id: string;
  rule: string;
  title: string;
  severity: Severity;
  stage: Stage;
  cves: string[];
  /** MITRE ATT&CK technique ids. */
  attack: string[];
  /** First time seen (ISO-8601 UTC), when known. */
  time?: string;
  lastSeen?: string;
  /** Number of records that contributed. */
  count: number;
  clientIp?: string;
  summary: string;
  /** What happened, in a few words ("web shell used"), for the verdict's account of the intrusion. */
  story: string;
  explanation: string;
  remediation: string[];
  /** Distinct values worth showing (targets, statuses, user agents…), each list sorted and capped. */
  details: Record<string, string[]>;
  /** The most telling records, in time order; `count` says how many there were in all. */
  evidence: Evidence[];
  /** For rules loaded at run time (Sigma): the rule file, as given on the command line. */
  ruleFile?: string;
  /** File-sweep findings: the file, its hash and the rules that matched it. */
  file?: FileFacts;
}

export interface InputInfo {
  path: string;
  kind: 'directory' | 'zip' | 'file';
  files: number;
  bytes: number;
}

export interface FileCoverage {
  input: number;
  file: string;
  source: SourceKind;
  format: string;
  first?: string;
  last?: string;
  /** Records (data lines) in the file. */
  events: number;
  parseErrors: number;
  bytes: number;
}

export interface SourceCoverage {
  source: SourceKind;
  files: number;
  first?: string;
  last?: string;
  events: number;
  parseErrors: number;
}

export interface Coverage {
  first?: string;
  last?: string;
  sources: SourceCoverage[];
  files: FileCoverage[];
}

export type VerdictStatus = 'COMPROMISED' | 'EXPLOITATION ATTEMPTED' | 'SCANNED ONLY' | 'NOTHING FOUND';

export interface Verdict {
  status: VerdictStatus;
  /** One sentence a non-expert can act on. */
  summary: string;
  /** Where the logs reach, per source, in words. */
  coverage: string;
  /** Evidence sources missing from the collection, and what could therefore not be checked. */
  gaps: string[];
  attackerIps: string[];
  firstActivity?: string;
  lastActivity?: string;
  nextSteps: string[];
}

export interface ReportError {
  input: number;
  file: string;
  line?: number;
  offset?: number;
  code: string;
  message: string;
}

export interface Skipped {
  input: number;
  file: string;
  reason: string;
}

export interface ReportStats {
  files: number;
  bytes: number;
  lines: number;
  /** Lines that passed the byte prefilter and were parsed in full. */
  parsedLines: number;
  durationMs: number;
  threads: number;
  /** Findings left out of `findings` by --min-severity (the verdict still counts them). */
  belowThreshold: number;
  /** Sigma rule documents given with --sigma: how many run, how many could not (`exhunt rules lint` says why). */
  sigmaRules?: { loaded: number; rejected: number };
  /** The file sweep: what it read and with which YARA engine and rules. */
  sweep?: SweepStats;
}

export interface SweepStats {
  /** Files swept (every file that is not a log), and their bytes. */
  files: number;
  bytes: number;
  /** Files YARA scanned, and their bytes (files over the size limit are hashed, not scanned). */
  yaraFiles: number;
  yaraBytes: number;
  /** `yara-x <version>`, or why YARA did not run. */
  yaraEngine: string;
  yaraRules: number;
  /** Rule files given with --yara that could not be compiled (errors[] says why). */
  yaraRejectedFiles: number;
  durationMs: number;
}

export interface ReportOptions {
  since?: string;
  until?: string;
  minSeverity: Severity;
}

/** A build of the server, as the `#Version:` header of its Exchange logs gives it. */
export interface ExposureBuild {
  build: string;
  /** Earliest and latest `#Date:` of the logs written by this build. */
  firstSeen: string | null;
  lastSeen: string | null;
  files: number;
  /** One of those logs (path in the collection). */
  example: string;
}

/** An interim URL Rewrite mitigation (EOMT, EOMTv2) found in collected IIS configuration. */
export interface ExposureMitigation {
  id: string;
  title: string;
  /** CVEs whose exploitation it blocks. */
  cves: string[];
  file: string;
  location?: string;
  /** Every rule present and effective. */
  complete: boolean;
  problems: string[];
  /** The configuration file's modification time: the mitigation is in place at least since then. */
  since: string | null;
}

export interface ExposureCve {
  id: string;
  name: string;
  fixedIn: string;
  kb: string;
  condition?: string;
  /** Id of a complete mitigation found in the collection that blocks it. */
  mitigatedBy?: string;
}

/**
 * Was the server open? From the newest build its logs show and the mitigations in its IIS
 * configuration. `mitigated`: open CVEs, every one blocked by a complete interim mitigation.
 */
export interface ReportExposure {
  build: string | null;
  product: string | null;
  cu: string | null;
  su: string | null;
  supported: boolean | null;
  cves: ExposureCve[];
  verdict: 'patched' | 'vulnerable' | 'mitigated' | 'outdated-unsupported' | 'unknown';
  summary: string;
  builds: ExposureBuild[];
  mitigations: ExposureMitigation[];
}

/**
 * The steps of an Exchange intrusion, in the order they usually unfold: reconnaissance, the exploit,
 * a web shell, commands run through it, mail read or exported, credentials taken, data packed and
 * carried off, tracks covered.
 */
export const PHASES = ['scan', 'exploit', 'webshell', 'commands', 'mailbox', 'credentials', 'exfiltration', 'cleanup'] as const;
export type Phase = (typeof PHASES)[number];

/** Each phase in a few words, for people (HTML report, chart legend). */
export const PHASE_LABELS: Record<Phase, string> = {
  scan: 'Reconnaissance',
  exploit: 'Exploitation',
  webshell: 'Web shell',
  commands: 'Commands run',
  mailbox: 'Mail accessed',
  credentials: 'Credentials taken',
  exfiltration: 'Data taken',
  cleanup: 'Tracks covered',
};

export interface IntrusionStep {
  phase: Phase;
  first?: string;
  last?: string;
  /** Ids of the findings in this step, earliest first. */
  findings: string[];
  /** What happened in this step, in words ("web shell used, commands run through a web shell"). */
  summary: string;
}

/** Records of different logs that are the same request or the same control-panel session. */
export interface IntrusionLink {
  /** `request-id`: HttpProxy RequestId = IIS cafeReqId; `ecp-canary`: msExchEcpCanary in HttpProxy and ECP Server lines; `web-shell`: a file, the requests that used it and the write that created it. */
  kind: 'request-id' | 'ecp-canary' | 'web-shell';
  /** The shared value (a request id, a canary, a file name). Attacker-controlled for canaries and names. */
  value: string;
  /** The records joined, as `file:line` or `file record N` or `file` (for a swept file). */
  records: string[];
  /** Finding ids joined through this link. */
  findings: string[];
}

/**
 * Findings grouped into one attack: the attacker addresses that act together (one wrote the web shell
 * another used; they share a request, a session or a file) and the host events in their time window.
 */
export interface Intrusion {
  /** Stable: the same findings give the same id. */
  id: string;
  title: string;
  stage: Stage;
  severity: Severity;
  ips: string[];
  firstSeen?: string;
  lastSeen?: string;
  /** How the attacker got in, in words (the earliest exploit step), or '' when no exploit is visible. */
  entry: string;
  steps: IntrusionStep[];
  /** Ids of every finding in the intrusion. */
  findings: string[];
  /** Web shells involved: URL paths requested and files found. Attacker-controlled. */
  webShells: string[];
  userAgents: string[];
  /** The intrusion told in sentences, in time order. */
  story: string[];
  links: IntrusionLink[];
}

/**
 * One record from an attacker address (or joined to one through a request id or canary) that no
 * rule flagged on its own: the context a timeline needs (what else the attacker requested).
 */
export interface ContextEvent {
  time: string;
  source: SourceKind;
  ip?: string;
  /** The record in a few words (`GET /owa/auth/x.aspx → 200`). Attacker-controlled. */
  summary: string;
  userAgent?: string;
  /** HttpProxy RequestId or IIS cafeReqId. */
  requestId?: string;
  /** msExchEcpCanary of the control-panel session. */
  canary?: string;
  /** Why it is context: the attacker address it came from, or the link that pulled it in. */
  reason: string;
  intrusion?: string;
  evidence: Evidence;
}

export interface ReportContext {
  /** The addresses whose every record was gathered. */
  ips: string[];
  /** Records kept (earliest first, bounded). */
  events: ContextEvent[];
  /** Records found in all; more than `events.length` when the bound was reached. */
  total: number;
}

export interface Report {
  schemaVersion: string;
  tool: { name: 'exhunt'; version: string };
  generatedAt: string;
  inputs: InputInfo[];
  options: ReportOptions;
  coverage: Coverage;
  verdict: Verdict;
  findings: Finding[];
  errors: ReportError[];
  skipped: Skipped[];
  stats: ReportStats;
  /** Present when the collection shows the server's build or holds IIS configuration (schema 1.4). */
  exposure?: ReportExposure;
  /** Findings grouped into attacks (schema 1.5); empty when nothing points to an attacker. */
  intrusions?: Intrusion[];
  /** Every other record of the attacker addresses (schema 1.5), present when there were attacker addresses and logs to read. */
  context?: ReportContext;
}

/** The client addresses a finding names: its representative record's and the distinct values kept (`…` marks a cut list). */
export function findingIps(f: Finding): string[] {
  const ips = new Set<string>();
  if (f.clientIp) ips.add(f.clientIp);
  for (const ip of f.details['clientIp'] ?? []) if (!ip.startsWith('…')) ips.add(ip);
  return [...ips];
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export function stageRank(s: Stage): number {
  return STAGES.indexOf(s);
}

export function isSeverity(s: string): s is Severity {
  return (SEVERITIES as readonly string[]).includes(s);
}
