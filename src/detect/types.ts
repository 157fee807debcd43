// The detector plug-in seam. A detector is one file: which log kinds it reads, which literal
// needles a line must contain before it is worth parsing, and a pure function from one event to at
// most one hit. Hits with the same rule and key become one finding.
import type { FileFacts, LogEvent, Severity, SourceKind, Stage } from '../core/types.js';

export interface Hit {
  /** Groups records into one finding together with the rule id (e.g. the attacker IP and a path). */
  key: string;
  title: string;
  severity: Severity;
  stage: Stage;
  /** One line for this record: what happened, with the values that matter. */
  summary: string;
  /** Overrides the detector's story for this kind of hit. */
  story?: string;
  /** Overrides the detector's explanation / remediation / CVEs for this kind of hit. */
  explanation?: string;
  remediation?: readonly string[];
  cves?: readonly string[];
  clientIp?: string;
  /** Values to collect across the finding's records (target path, status, user agent…). */
  facets?: Record<string, string>;
  /** Several values of one facet at once (the reasons a file was flagged). */
  facetLists?: Record<string, readonly string[]>;
  /** File-sweep hits: the file the finding is about. */
  file?: FileFacts;
}

export interface DetectContext {
  /** Exchange install folder (Windows path) when the user gave --exchange-path. */
  exchangePath?: string;
}

/** What the finding accumulator needs to know of a rule (a built-in detector or a Sigma rule). */
export interface FindingRule {
  id: string;
  story: string;
  explanation: string;
  remediation: readonly string[];
  cves: readonly string[];
  attack: readonly string[];
  /** The rule file it came from, for rules loaded at run time (Sigma). */
  origin?: string;
}

export interface Detector {
  /** Stable rule id, used in reports and ids: never change it once released. */
  id: string;
  title: string;
  appliesTo: readonly SourceKind[];
  /**
   * Lower-case literals, matched case-insensitively; a record must contain one of them to reach
   * `inspect`. `null` means every record of the sources it applies to (only for low-volume logs).
   */
  needles: readonly string[] | null;
  /**
   * The needles only let records through the prefilter; `inspect` is cheap and judges every record
   * that passed it (a lookup of the client address in a table), so the engine does not look for
   * this detector's needles in each record.
   */
  inspectsEveryCandidate?: boolean;
  cves: readonly string[];
  /** MITRE ATT&CK technique ids. */
  attack: readonly string[];
  /** What a successful finding means happened, in a few words ("web shell used"): the verdict tells the intrusion with these. */
  story: string;
  /** Plain-language meaning of a finding, for non-experts. */
  explanation: string;
  remediation: readonly string[];
  /** Where the logic comes from (advisory, Microsoft script, Sigma rule id). */
  references: readonly string[];
  inspect(ev: LogEvent, ctx: DetectContext): Hit | undefined;
}
