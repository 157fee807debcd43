// From what the sweep read about each file to findings: every reason a file is suspicious, with the
// severity the reason carries on its own and what corroborates it (the intrusion window and names
// the log findings mention). One finding per file, under its strongest reason.
import { isoTime } from '../../core/clock.js';
import type { FileFacts, FileMatch, Finding, Severity, Stage } from '../../core/types.js';
import { severityRank, stageRank } from '../../core/types.js';
import type { FindingAccumulator } from '../accumulate.js';
import type { IndicatorSet } from '../ioc/indicators.js';
import type { FindingRule } from '../types.js';
import type { YaraMatch } from '../yara/engine.js';
import type { WebAllowList } from './allowlist.js';
import { type Location, SCRIPT_EXTENSIONS, type VdirPaths, isWebArea, locate } from './location.js';
import { ARCHIVE_EXTENSIONS, ARCHIVE_MAGIC, DUMP_EXTENSIONS, type Magic } from './magic.js';
import { FILE_RULES, RULE_PRIORITY } from './rules.js';

/** What the sweep learnt about one file (plain data). */
export interface SweptFile {
  input: number;
  rel: string;
  /** The path that tells where the file was on the server: the input folder's own path, then `rel`. */
  where: string;
  size: number;
  mtimeMs?: number;
  sha256?: string;
  sha1?: string;
  md5?: string;
  magic: Magic;
  yara: YaraMatch[];
  /** A minidump whose module list names lsass.exe. */
  lsassDump: boolean;
  /** Printable text around the first YARA match (or the start of the file) and its offset. */
  excerpt: string;
  excerptOffset: number;
  /** A zip archive found inside a folder (its entries were read as files too). */
  container?: boolean;
}

export interface JudgeContext {
  allow: WebAllowList;
  indicators: IndicatorSet;
  vdirs: VdirPaths;
  /** Findings from the logs: they set the intrusion window and name files. */
  logFindings: readonly Finding[];
  /**
   * Files (input index, NUL, rel) whose change is known to be the defender's: a configuration file
   * holding a complete Microsoft mitigation. Their time inside the window means nothing.
   */
  defenderChanges?: ReadonlySet<string>;
}

interface Reason {
  rule: FindingRule;
  severity: Severity;
  stage: Stage;
  text: string;
}

/** Folders that hold a handful of pages in every build: anything unknown there is out of place. */
const STRICT_FOLDERS = [
  'frontend/httpproxy/owa/auth', 'frontend/httpproxy/owa/auth/version', 'frontend/httpproxy/ecp/auth', 'clientaccess/owa/auth', 'clientaccess/ecp/auth',
  'clientaccess/oab', 'frontend/httpproxy/oab',
];
/** Share of shipped pages whose hash must match a known build before changed ones are called changed. */
const COVERED_SHARE = 0.8;
const WINDOW_SLACK_MS = 60 * 60 * 1000;
const NAME_IN_TEXT = /[\w$@~-][\w$@~. -]{0,80}\.(?:aspx|ashx|asmx|asp|config|cer|7z|zip|rar|cab|dmp)\b/gi;

const SEVERITY_OF_SCORE = (score: number): Severity => (score >= 75 ? 'high' : score >= 60 ? 'medium' : 'low');

function metaText(m: YaraMatch, key: string): string | undefined {
  const v = m.meta[key];
  return typeof v === 'string' ? v : undefined;
}

/** Built-in rules carry severity/stage in meta; others are judged THOR-style from `score` (none = 75). */
function yaraVerdict(m: YaraMatch, loc: Location): { severity: Severity; stage: Stage } {
  const sev = metaText(m, 'severity');
  const stage = metaText(m, 'stage');
  if (sev && ['critical', 'high', 'medium', 'low', 'info'].includes(sev)) {
    return { severity: sev as Severity, stage: stage && ['compromise', 'attempt', 'scan', 'info'].includes(stage) ? (stage as Stage) : 'attempt' };
  }
  const score = typeof m.meta['score'] === 'number' ? (m.meta['score'] as number) : 75;
  const severity = SEVERITY_OF_SCORE(score);
  const s: Stage = severityRank(severity) >= severityRank('high') ? (isWebArea(loc.area) ? 'compromise' : 'attempt') : severity === 'medium' ? 'attempt' : 'info';
  return { severity, stage: s };
}

export function fileMatches(ms: readonly YaraMatch[]): FileMatch[] {
  return ms.map((m) => {
    const offsets = [...new Set(m.strings.map((s) => s.offset))].sort((a, b) => a - b).slice(0, 10);
    return { rule: m.rule, source: m.source, offsets, strings: [...new Set(m.strings.map((s) => s.id))].sort() };
  });
}

interface Window {
  first: number;
  last: number;
}

/** From the first to the last record of findings that show an attack (attempt or worse). */
function intrusionWindow(findings: readonly Finding[]): Window | undefined {
  let first = Infinity;
  let last = -Infinity;
  for (const f of findings) {
    if (stageRank(f.stage) < stageRank('attempt') || !f.time) continue;
    first = Math.min(first, Date.parse(f.time));
    last = Math.max(last, Date.parse(f.lastSeen ?? f.time));
  }
  return Number.isFinite(first) ? { first: first - WINDOW_SLACK_MS, last: last + 24 * WINDOW_SLACK_MS } : undefined;
}

/** File names the log findings mention (requested pages, archives made, dumps written). */
function namesInFindings(findings: readonly Finding[]): Set<string> {
  const names = new Set<string>();
  const take = (s: string) => {
    for (const m of s.matchAll(NAME_IN_TEXT)) {
      const n = m[0].toLowerCase().split(/[\\/ ]/).pop()!;
      if (n.length > 4) names.add(n);
    }
  };
  for (const f of findings) {
    take(f.summary);
    for (const vs of Object.values(f.details)) for (const v of vs) take(v);
    for (const e of f.evidence) take(e.excerpt);
  }
  return names;
}

/**
 * The known build the collection's Exchange pages come from: the build whose content most shipped
 * pages have, when at least COVERED_SHARE of the pages its baseline lists match some known build.
 */
function collectionBuild(files: readonly SweptFile[], ctx: JudgeContext): string | undefined {
  const votes = new Map<string, number>();
  const pages: { installRel: string; known: boolean }[] = [];
  for (const f of files) {
    const loc = locate(f.where, ctx.vdirs);
    if (loc.area !== 'exchange-web' || !loc.installRel || !f.sha256 || !ctx.allow.ships(loc.installRel)) continue;
    const builds = ctx.allow.buildsWith(loc.installRel, f.sha256);
    for (const b of builds) votes.set(b, (votes.get(b) ?? 0) + 1);
    pages.push({ installRel: loc.installRel, known: builds.size > 0 });
  }
  const best = [...votes.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
  if (!best) return undefined;
  const listed = pages.filter((p) => ctx.allow.buildShips(best, p.installRel));
  return listed.length > 0 && listed.filter((p) => p.known).length / listed.length >= COVERED_SHARE ? best : undefined;
}

function inStrictFolder(installRel: string): boolean {
  return STRICT_FOLDERS.includes(installRel.slice(0, installRel.lastIndexOf('/')));
}

export class FileJudge {
  private readonly window: Window | undefined;
  private readonly mentioned: Set<string>;
  /** The known build the collection's pages come from, if any. */
  private readonly build: string | undefined;
  private readonly unverified: SweptFile[] = [];

  constructor(
    private readonly files: readonly SweptFile[],
    private readonly ctx: JudgeContext,
  ) {
    this.window = intrusionWindow(ctx.logFindings);
    this.mentioned = namesInFindings(ctx.logFindings);
    this.build = collectionBuild(files, ctx);
  }

  run(acc: FindingAccumulator): void {
    for (const f of this.files) {
      const reasons = this.reasons(f);
      if (reasons.length > 0) this.emit(f, reasons, acc);
    }
    this.emitUnverified(acc);
  }

  private reasons(f: SweptFile): Reason[] {
    const loc = locate(f.where, this.ctx.vdirs);
    const out: Reason[] = [];
    const add = (rule: FindingRule, severity: Severity, stage: Stage, text: string) => out.push({ rule, severity, stage, text });
    const { indicators, allow } = this.ctx;
    const script = SCRIPT_EXTENSIONS.has(loc.extension);
    const web = isWebArea(loc.area);

    for (const h of [f.sha256, f.sha1, f.md5]) {
      const ind = h ? indicators.byHash.get(h) : undefined;
      if (ind) add(FILE_RULES.knownBadHash, 'critical', 'compromise', `its hash ${h} is a published indicator (${ind.note ? `${ind.note}; ` : ''}source: ${ind.source})`);
    }
    for (const m of f.yara) {
      const v = yaraVerdict(m, loc);
      const what = (metaText(m, 'description') ?? metaText(m, 'family') ?? m.rule).replace(/\.\s*$/, '');
      add(FILE_RULES.yara, v.severity, v.stage, `YARA rule ${m.rule} (${m.source}) matched at offset ${m.strings[0]?.offset ?? 0}: ${what}`);
    }
    const shippedHere = loc.installRel !== undefined && allow.ships(loc.installRel);
    // MSTIC's list names some of Exchange's own pages (ecp\auth\TimeoutLogout.aspx), where shells
    // overwrote the original: there the path counts only when the content is not the build's own.
    const pathInd = indicators.pathIndicator(f.where);
    const genuineOrUnknown = shippedHere && (!f.sha256 || allow.buildsWith(loc.installRel!, f.sha256).size > 0 || !this.build || !allow.buildShips(this.build, loc.installRel!));
    if (pathInd && !genuineOrUnknown) add(FILE_RULES.knownPath, 'high', 'attempt', `published web shell path (${pathInd.source})`);
    const nameInd = web && !shippedHere ? indicators.byName.get(loc.name) : undefined;
    if (nameInd && !(pathInd && !genuineOrUnknown)) add(FILE_RULES.knownPath, 'high', 'attempt', `published web shell name "${loc.name}" in a web folder (${nameInd.source})`);

    if (script && f.magic !== 'none' && !(f.magic === 'der' && loc.extension === 'cer')) {
      const mailbox = f.magic === 'pst' || f.magic === 'der';
      add(FILE_RULES.disguised, 'high', mailbox ? 'compromise' : 'attempt', `a .${loc.extension} name with ${f.magic.toUpperCase()} content${mailbox ? ' (the ProxyShell mailbox-export trick)' : ''}`);
    }

    if (loc.area === 'exchange-web' && loc.installRel && script && f.sha256) {
      const strict = inStrictFolder(loc.installRel);
      const build = this.build;
      if (!shippedHere) {
        if (allow.isShippedContent(f.sha256)) {
          // a copy of one of Microsoft's own pages: out of place, harmless
        } else if (strict) add(FILE_RULES.unexpectedScript, 'high', 'attempt', 'not in Microsoft\'s file list for this folder in any known build');
        else if (build && allow.buildKnowsFolder(build, loc.installRel)) add(FILE_RULES.unexpectedScript, 'high', 'attempt', `not in Microsoft's file list for this folder in build ${build}, the build of this server's other pages`);
        else add(FILE_RULES.unexpectedScript, 'low', 'info', 'not in Microsoft\'s file list of the known builds (this server\'s build is not among them)');
      } else if (allow.buildsWith(loc.installRel, f.sha256).size === 0) {
        if (build && allow.buildShips(build, loc.installRel)) add(FILE_RULES.modifiedShipped, 'high', 'attempt', `Exchange ships this file, but build ${build} (the build of this server's other pages) has other content here`);
        else this.unverified.push(f);
      }
    }
    if (loc.area === 'aspnet-client' && script) add(FILE_RULES.unexpectedScript, 'high', 'attempt', 'aspnet_client holds no pages on a clean server');

    if (f.magic === 'minidump' || (/^lsass/.test(loc.name) && DUMP_EXTENSIONS.has(loc.extension))) {
      if (f.lsassDump || /^lsass/.test(loc.name)) add(FILE_RULES.memoryDump, 'critical', 'compromise', f.lsassDump ? 'a memory dump of the LSASS process (its module list names lsass.exe)' : 'a memory dump named after LSASS');
      else if (web) add(FILE_RULES.memoryDump, 'critical', 'compromise', 'a memory dump inside a web folder, where anyone can download it');
      else if (!DUMP_EXTENSIONS.has(loc.extension)) add(FILE_RULES.memoryDump, 'high', 'attempt', `a memory dump named .${loc.extension || '(no extension)'}, hiding what it is`);
      else add(FILE_RULES.memoryDump, 'info', 'info', 'a memory dump (crash dumps are normal; check which process it is of)');
    }

    const archive = ARCHIVE_EXTENSIONS.has(loc.extension) || ARCHIVE_MAGIC.has(f.magic);
    const stagingArea = loc.area === 'programdata' || loc.area === 'inetpub' || web;
    if (archive && (stagingArea || /^lsass/.test(loc.name)) && !script) {
      let severity: Severity = 'low';
      const why: string[] = [`an archive in ${loc.area}`];
      if (/^lsass/.test(loc.name)) {
        severity = 'critical';
        why.push('named after LSASS: a packed memory dump with the server\'s credentials');
      } else if (this.mentioned.has(loc.name)) {
        severity = 'high';
        why.push('the log findings mention its name');
      } else if (this.inWindow(f)) {
        severity = 'medium';
        why.push('written during the intrusion window');
      } else if (loc.area === 'exchange-web' || loc.area === 'aspnet-client') {
        severity = 'medium';
        why.push('in an Exchange web folder, where Exchange keeps no archives and anyone can download it');
      }
      if (this.mentioned.has(loc.name) && severity === 'critical') why.push('the log findings mention its name');
      add(FILE_RULES.stagedArchive, severity, severityRank(severity) >= severityRank('high') ? 'compromise' : 'info', why.join('; '));
    }

    if ((web || loc.area === 'aspnet-temp') && this.inWindow(f) && !this.ctx.defenderChanges?.has(`${f.input}\0${f.rel}`)) add(FILE_RULES.changedInWindow, 'medium', 'attempt', `modified ${isoTime(f.mtimeMs!)}, inside the intrusion window`);

    // Corroboration: the logs name the file (it was requested, written or packed).
    if (out.length > 0 && this.mentioned.has(loc.name) && !archive) {
      for (const r of out) if (r.rule === FILE_RULES.unexpectedScript || r.rule === FILE_RULES.knownPath || r.rule === FILE_RULES.changedInWindow) {
        r.severity = 'critical';
        r.stage = 'compromise';
      }
      out.push({ rule: FILE_RULES.unexpectedScript, severity: 'info', stage: 'info', text: 'the log findings mention this file name (requested or written)' });
    }
    return out;
  }

  private inWindow(f: SweptFile): boolean {
    return this.window !== undefined && f.mtimeMs !== undefined && f.mtimeMs >= this.window.first && f.mtimeMs <= this.window.last;
  }

  private facts(f: SweptFile): FileFacts {
    const facts: FileFacts = { input: f.input, path: f.rel, size: f.size, matches: fileMatches(f.yara) };
    if (f.sha256) facts.sha256 = f.sha256;
    const m = f.mtimeMs !== undefined ? isoTime(f.mtimeMs) : undefined;
    if (m) facts.mtime = m;
    return facts;
  }

  private emit(f: SweptFile, reasons: Reason[], acc: FindingAccumulator): void {
    const top = [...reasons].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || RULE_PRIORITY.indexOf(a.rule) - RULE_PRIORITY.indexOf(b.rule))[0]!;
    const stage = reasons.reduce<Stage>((s, r) => (stageRank(r.stage) > stageRank(s) ? r.stage : s), 'info');
    const family = f.yara.map((m) => metaText(m, 'family')).find(Boolean);
    const title = top.rule === FILE_RULES.yara && family ? `${family} in ${f.rel}` : `${titleOf(top.rule)}: ${f.rel}`;
    const explanations = [...new Set(reasons.map((r) => r.rule))].map((r) => r.explanation);
    const remediation = [...new Set(reasons.flatMap((r) => [...r.rule.remediation]))];
    const time = f.mtimeMs ?? NaN;
    const evidence = { input: f.input, file: f.rel, offset: f.excerptOffset, excerpt: f.excerpt, ...(isoTime(time) ? { time: isoTime(time)! } : {}) };
    acc.addRecord(top.rule, {
      key: `${f.input}:${f.rel}`,
      title,
      severity: top.severity,
      stage,
      summary: `${f.rel}: ${reasons.map((r) => r.text).join('; ')}`,
      explanation: explanations.join(' '),
      remediation,
      facetLists: { reason: reasons.map((r) => r.text), ...(f.sha256 ? { sha256: [f.sha256] } : {}) },
      file: this.facts(f),
    }, evidence, time);
  }

  private emitUnverified(acc: FindingAccumulator): void {
    if (this.unverified.length === 0) return;
    const f = this.unverified[0]!;
    for (const u of this.unverified) {
      acc.addRecord(FILE_RULES.unverified, {
        key: 'unverified',
        title: `${this.unverified.length} shipped Exchange pages differ from the known builds (build not covered)`,
        severity: 'info',
        stage: 'info',
        summary: `${this.unverified.length} shipped pages, e.g. ${f.rel}, match none of the builds ${this.ctx.allow.builds.join(', ')}`,
        facets: { file: u.rel },
      }, { input: u.input, file: u.rel, offset: 0, excerpt: u.excerpt }, u.mtimeMs ?? NaN);
    }
  }
}

function titleOf(rule: FindingRule): string {
  switch (rule) {
    case FILE_RULES.knownBadHash: return 'Known malicious file';
    case FILE_RULES.yara: return 'YARA match';
    case FILE_RULES.disguised: return 'File disguised as a web page';
    case FILE_RULES.knownPath: return 'Published web shell path';
    case FILE_RULES.modifiedShipped: return 'Altered Exchange page';
    case FILE_RULES.memoryDump: return 'Memory dump';
    case FILE_RULES.stagedArchive: return 'Archive staged';
    case FILE_RULES.changedInWindow: return 'Web file changed during the intrusion';
    default: return 'Unexpected page in an Exchange web folder';
  }
}
