// Turns hits into findings. Records with the same rule and key form one group; each group keeps its
// counts, time span, the most telling evidence (bounded) and distinct facet values (bounded, each
// value clipped), so memory does not grow with the number of matching lines. Groups from different
// threads merge in any order to the same result: every choice below is made by a total order, never
// by arrival; how many groups a rule may open is decided by GroupLimiter, which never drops a high or
// critical finding.
import { createHash } from 'node:crypto';
import { isoTime } from '../core/clock.js';
import type { Evidence, FileFacts, Finding, LogEvent, Severity, Stage } from '../core/types.js';
import { severityRank, stageRank } from '../core/types.js';
import { GroupLimiter } from './group-limit.js';
import type { PivotState } from './pivot.js';
import type { SigmaState } from './sigma/engine.js';
import type { FindingRule, Hit } from './types.js';

export const EVIDENCE_PER_FINDING = 50;
export const EXCERPT_CHARS = 2000;
const FACET_KEEP = 200;
const FACET_SHOW = 20;
/** Longest key, title or facet value kept: they quote attacker-controlled text. */
const TEXT_CAP = 300;

interface EvidenceEntry {
  sev: number;
  time: number;
  ev: Evidence;
}

interface Representative {
  sev: number;
  time: number;
  input: number;
  file: string;
  pos: number;
  title: string;
  summary: string;
  story: string;
  explanation: string;
  remediation: string[];
  clientIp?: string;
}

/** Structured-cloneable state of one group (crosses worker boundaries). */
export interface GroupState {
  rule: string;
  key: string;
  severity: Severity;
  stage: Stage;
  count: number;
  first: number;
  last: number;
  cves: string[];
  attack: string[];
  /** The rule file, for Sigma rules. */
  origin?: string;
  /** File-sweep findings: the file. */
  file?: FileFacts;
  rep: Representative;
  facets: Record<string, string[]>;
  evidence: EvidenceEntry[];
}

export interface AccumulatorState {
  groups: GroupState[];
  /** Sigma matches kept for correlation rules (see sigma/engine.ts), when Sigma rules run. */
  feed?: SigmaState;
  /** The pivot pass's records (see pivot.ts). */
  context?: PivotState;
  /** Records dropped because a rule exceeded GROUPS_PER_RULE, by rule. */
  dropped: Record<string, number>;
}

function cmpEvidence(a: EvidenceEntry, b: EvidenceEntry): number {
  if (a.sev !== b.sev) return b.sev - a.sev;
  const ta = Number.isNaN(a.time) ? Infinity : a.time;
  const tb = Number.isNaN(b.time) ? Infinity : b.time;
  if (ta !== tb) return ta - tb;
  if (a.ev.input !== b.ev.input) return a.ev.input - b.ev.input;
  if (a.ev.file !== b.ev.file) return a.ev.file < b.ev.file ? -1 : 1;
  return a.ev.offset - b.ev.offset;
}

function repBefore(a: Representative, b: Representative): boolean {
  if (a.sev !== b.sev) return a.sev > b.sev;
  const ta = Number.isNaN(a.time) ? Infinity : a.time;
  const tb = Number.isNaN(b.time) ? Infinity : b.time;
  if (ta !== tb) return ta < tb;
  if (a.input !== b.input) return a.input < b.input;
  if (a.file !== b.file) return a.file < b.file;
  return a.pos < b.pos;
}

/** A record as evidence: where it is, when, and its text (clipped). */
export function evidenceOf(ev: LogEvent): Evidence {
  const evidence: Evidence = { input: ev.prov.input, file: ev.prov.file, offset: ev.prov.offset, excerpt: excerptOf(ev.raw) };
  if (ev.prov.line !== undefined) evidence.line = ev.prov.line;
  if (ev.prov.record !== undefined) evidence.record = ev.prov.record;
  const t = isoTime(ev.time);
  if (t) evidence.time = t;
  if (ev.recovered) evidence.recovered = true;
  return evidence;
}

export function excerptOf(raw: string): string {
  if (raw.length <= EXCERPT_CHARS) return raw;
  return `${raw.slice(0, EXCERPT_CHARS)}… [${raw.length - EXCERPT_CHARS} more characters]`;
}

function minTime(a: number, b: number): number {
  if (Number.isNaN(a)) return b;
  if (Number.isNaN(b)) return a;
  return Math.min(a, b);
}

function maxTime(a: number, b: number): number {
  if (Number.isNaN(a)) return b;
  if (Number.isNaN(b)) return a;
  return Math.max(a, b);
}

function unionSorted(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

function clipText(s: string): string {
  return s.length > TEXT_CAP ? `${s.slice(0, TEXT_CAP)}…` : s;
}

function addFacet(facets: Record<string, string[]>, name: string, raw: string): void {
  if (!raw) return;
  const value = clipText(raw);
  const list = (facets[name] ??= []);
  if (list.includes(value)) return;
  list.push(value);
  if (list.length > FACET_KEEP) {
    list.sort();
    list.length = FACET_KEEP;
  }
}

function pushEvidence(list: EvidenceEntry[], e: EvidenceEntry): void {
  if (list.length >= EVIDENCE_PER_FINDING && cmpEvidence(e, list[list.length - 1]!) >= 0) return;
  list.push(e);
  list.sort(cmpEvidence);
  if (list.length > EVIDENCE_PER_FINDING) list.length = EVIDENCE_PER_FINDING;
}

export function findingId(rule: string, key: string): string {
  return `F-${createHash('sha256').update(`${rule}\0${key}`).digest('hex').slice(0, 12)}`;
}

export class FindingAccumulator {
  private readonly groups = new Map<string, GroupState>();
  private readonly limiter = new GroupLimiter();
  private readonly dropped: Record<string, number> = {};

  private drop(rule: string, n: number): void {
    this.dropped[rule] = (this.dropped[rule] ?? 0) + n;
  }

  /** Asks the limiter for room; removes what it pushes out. False: the group may not exist. */
  private placed(rule: string, key: string, severity: Severity): boolean {
    const { admitted, evicted } = this.limiter.place(rule, key, severity);
    for (const k of evicted) {
      const gone = this.groups.get(`${rule}\0${k}`);
      if (gone) {
        this.groups.delete(`${rule}\0${k}`);
        this.drop(rule, gone.count);
      }
    }
    return admitted;
  }

  add(det: FindingRule, hit: Hit, ev: LogEvent): void {
    this.addRecord(det, hit, evidenceOf(ev), ev.time);
  }

  /** Adds a record already reduced to its evidence (correlation results, which span many records). */
  addRecord(det: FindingRule, hit: Hit, evidence: Evidence, time: number): void {
    const key = clipText(hit.key);
    const id = `${det.id}\0${key}`;
    const sev = severityRank(hit.severity);
    const rep: Representative = {
      sev,
      time,
      input: evidence.input,
      file: evidence.file,
      pos: evidence.offset,
      title: clipText(hit.title),
      summary: hit.summary,
      story: hit.story ?? det.story,
      explanation: hit.explanation ?? det.explanation,
      remediation: [...(hit.remediation ?? det.remediation)],
    };
    if (hit.clientIp) rep.clientIp = hit.clientIp;
    let g = this.groups.get(id);
    if (!g) {
      if (!this.placed(det.id, key, hit.severity)) {
        this.drop(det.id, 1);
        return;
      }
      g = {
        rule: det.id,
        key,
        severity: hit.severity,
        stage: hit.stage,
        count: 0,
        first: time,
        last: time,
        cves: [...new Set(hit.cves ?? det.cves)].sort(),
        attack: [...det.attack].sort(),
        ...(det.origin ? { origin: det.origin } : {}),
        ...(hit.file ? { file: hit.file } : {}),
        rep,
        facets: {},
        evidence: [],
      };
      this.groups.set(id, g);
    } else {
      if (sev > severityRank(g.severity)) {
        g.severity = hit.severity;
        if (!this.placed(det.id, key, hit.severity)) {
          this.groups.delete(id);
          this.drop(det.id, g.count + 1);
          return;
        }
      }
      if (stageRank(hit.stage) > stageRank(g.stage)) g.stage = hit.stage;
      g.first = minTime(g.first, time);
      g.last = maxTime(g.last, time);
      if (hit.cves) g.cves = unionSorted(g.cves, hit.cves);
      if (repBefore(rep, g.rep)) g.rep = rep;
    }
    g.count++;
    if (hit.clientIp) addFacet(g.facets, 'clientIp', hit.clientIp);
    if (hit.facets) for (const [k, v] of Object.entries(hit.facets)) addFacet(g.facets, k, v);
    if (hit.facetLists) for (const [k, vs] of Object.entries(hit.facetLists)) for (const v of vs) addFacet(g.facets, k, v);
    pushEvidence(g.evidence, { sev, time: time, ev: evidence });
  }

  state(): AccumulatorState {
    return { groups: [...this.groups.values()], dropped: { ...this.dropped } };
  }

  merge(state: AccumulatorState): void {
    for (const [rule, n] of Object.entries(state.dropped)) this.drop(rule, n);
    for (const o of state.groups) {
      const id = `${o.rule}\0${o.key}`;
      const g = this.groups.get(id);
      if (!g) {
        if (!this.placed(o.rule, o.key, o.severity)) {
          this.drop(o.rule, o.count);
          continue;
        }
        this.groups.set(id, structuredClone(o));
        continue;
      }
      if (severityRank(o.severity) > severityRank(g.severity)) {
        g.severity = o.severity;
        if (!this.placed(o.rule, o.key, o.severity)) {
          this.groups.delete(id);
          this.drop(o.rule, g.count + o.count);
          continue;
        }
      }
      if (stageRank(o.stage) > stageRank(g.stage)) g.stage = o.stage;
      g.count += o.count;
      g.first = minTime(g.first, o.first);
      g.last = maxTime(g.last, o.last);
      g.cves = unionSorted(g.cves, o.cves);
      g.attack = unionSorted(g.attack, o.attack);
      if (repBefore(o.rep, g.rep)) g.rep = o.rep;
      for (const [k, vs] of Object.entries(o.facets)) for (const v of vs) addFacet(g.facets, k, v);
      for (const e of o.evidence) pushEvidence(g.evidence, e);
    }
  }

  /** Rules that hit their group limit, with the number of records not grouped. */
  droppedRecords(): Record<string, number> {
    return { ...this.dropped };
  }

  findings(): Finding[] {
    const out: Finding[] = [];
    for (const g of this.groups.values()) {
      const details: Record<string, string[]> = {};
      for (const [k, vs] of Object.entries(g.facets).sort(([a], [b]) => (a < b ? -1 : 1))) {
        const sorted = [...vs].sort();
        details[k] = sorted.length > FACET_SHOW ? [...sorted.slice(0, FACET_SHOW), `… ${sorted.length - FACET_SHOW}${sorted.length >= FACET_KEEP ? '+' : ''} more`] : sorted;
      }
      const evidence = [...g.evidence].sort((a, b) => {
        const ta = Number.isNaN(a.time) ? Infinity : a.time;
        const tb = Number.isNaN(b.time) ? Infinity : b.time;
        return ta !== tb ? ta - tb : cmpEvidence(a, b);
      });
      const f: Finding = {
        id: findingId(g.rule, g.key),
        rule: g.rule,
        title: g.rep.title,
        severity: g.severity,
        stage: g.stage,
        cves: g.cves,
        attack: g.attack,
        count: g.count,
        summary: g.rep.summary,
        story: g.rep.story,
        explanation: g.rep.explanation,
        remediation: g.rep.remediation,
        details,
        evidence: evidence.map((e) => e.ev),
      };
      const first = isoTime(g.first);
      const last = isoTime(g.last);
      if (first) f.time = first;
      if (last) f.lastSeen = last;
      if (g.rep.clientIp) f.clientIp = g.rep.clientIp;
      if (g.origin) f.ruleFile = g.origin;
      if (g.file) f.file = g.file;
      out.push(f);
    }
    return sortFindings(out);
  }
}

/** Most severe first, then earliest, then by rule and id: a total, stable order. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => {
    const s = severityRank(b.severity) - severityRank(a.severity);
    if (s !== 0) return s;
    const ta = a.time ?? '~';
    const tb = b.time ?? '~';
    if (ta !== tb) return ta < tb ? -1 : 1;
    if (a.rule !== b.rule) return a.rule < b.rule ? -1 : 1;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}
