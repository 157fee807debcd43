// Intrusions: findings grouped into attacks. Addresses, findings and files are joined when they share
// something an attacker cannot share by chance: the same address; a request id or control-panel
// session (HttpProxy RequestId = IIS cafeReqId; msExchEcpCanary in HttpProxy and ECP Server lines);
// a web-shell file, the requests that used it by name and the write that created it at its
// modification time. Host events without an address (a process started by IIS, a dump) join the
// attack they happened during. Each group is told as steps (reconnaissance → exploit → web shell →
// commands → mail → credentials → exfiltration) and as sentences in time order.
import { createHash } from 'node:crypto';
import { canaryInLine, requestIdInLine } from '../core/link-keys.js';
import type { ContextEvent, Coverage, Evidence, Finding, Intrusion, IntrusionLink, IntrusionStep, SourceKind } from '../core/types.js';
import { PHASES, findingIps, severityRank, stageRank } from '../core/types.js';
import { phaseOf } from './phases.js';

/** A file written this close to a web-shell write request is taken as that write's product. */
const WRITE_TO_FILE_MS = 120_000;
/** Host events this close to an attack's activity belong to it. */
const HOST_EVENT_REACH_MS = 24 * 3600_000;
const LINKS_PER_INTRUSION = 50;
const RECORDS_PER_LINK = 20;
const PIVOT_IPS = 200;
const PIVOT_CANARIES = 100;
const WEB_SOURCES: ReadonlySet<SourceKind> = new Set(['iis', 'exchange-httpproxy', 'exchange-rps-http']);

function isActor(f: Finding): boolean {
  return f.stage === 'attempt' || f.stage === 'compromise';
}

function ms(iso: string | undefined): number {
  return iso ? Date.parse(iso) : NaN;
}

function sourceIndex(coverage: Coverage): (e: { input: number; file: string }) => SourceKind | undefined {
  const by = new Map(coverage.files.map((f) => [`${f.input}\0${f.file}`, f.source]));
  return (e) => by.get(`${e.input}\0${e.file}`);
}

export function recordRef(e: Evidence): string {
  return e.line !== undefined ? `${e.file}:${e.line}` : e.record !== undefined ? `${e.file} record ${e.record}` : `${e.file}@${e.offset}`;
}

/** What the pivot pass looks for: the addresses of attempts and compromises, and the ECP sessions of their records. */
export function pivotKeys(findings: readonly Finding[]): { ips: string[]; canaries: string[] } {
  const ips = new Map<string, number>();
  const canaries = new Set<string>();
  for (const f of findings) {
    if (!isActor(f)) continue;
    for (const ip of findingIps(f)) ips.set(ip, Math.max(ips.get(ip) ?? 0, severityRank(f.severity) * 10 + stageRank(f.stage)));
    for (const e of f.evidence) {
      const canary = canaryInLine(e.excerpt);
      if (canary && canaries.size < PIVOT_CANARIES) canaries.add(canary);
    }
  }
  const worstFirst = [...ips].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, PIVOT_IPS).map(([ip]) => ip);
  return { ips: worstFirst.sort(), canaries: [...canaries].sort() };
}

class UnionFind {
  private readonly parent = new Map<string, string>();
  find(x: string): string {
    if (!this.parent.has(x)) this.parent.set(x, x);
    let root = x;
    while (this.parent.get(root) !== root) root = this.parent.get(root)!;
    while (x !== root) {
      const next = this.parent.get(x)!;
      this.parent.set(x, root);
      x = next;
    }
    return root;
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  }
}

/** The file name a file-sweep finding is about, lower-cased. */
function fileName(f: Finding): string | undefined {
  const p = f.file?.path;
  return p ? p.slice(p.lastIndexOf('/') + 1).toLowerCase() : undefined;
}

/** True when a log finding names the file (as the last part of a path it quotes). */
function names(f: Finding, name: string): boolean {
  const text = [f.title, f.summary, ...Object.values(f.details).flat()].join('\n').toLowerCase();
  let at = text.indexOf(name);
  while (at >= 0) {
    const before = at === 0 ? '' : text[at - 1]!;
    const after = text[at + name.length] ?? '';
    if ((before === '/' || before === '\\' || before === '' || /\s/.test(before)) && !/[a-z0-9_.-]/.test(after)) return true;
    at = text.indexOf(name, at + 1);
  }
  return false;
}

interface Key {
  kind: 'request-id' | 'ecp-canary';
  value: string;
  records: Set<string>;
  sources: Set<SourceKind>;
  findings: Set<string>;
  ips: Set<string>;
}

function keysOf(text: string, source: SourceKind | undefined): { kind: Key['kind']; value: string }[] {
  const out: { kind: Key['kind']; value: string }[] = [];
  if (source && WEB_SOURCES.has(source)) {
    const id = requestIdInLine(text);
    if (id) out.push({ kind: 'request-id', value: id });
  }
  const canary = canaryInLine(text);
  if (canary) out.push({ kind: 'ecp-canary', value: canary });
  return out;
}

function day(iso: string | undefined): string {
  return iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : 'an unknown time';
}

function joinWords(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function byTime(a: Finding, b: Finding): number {
  const ta = a.time ?? '~';
  const tb = b.time ?? '~';
  return ta < tb ? -1 : ta > tb ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export interface Correlation {
  intrusions: Intrusion[];
  /** The context events, each with `intrusion` set where it belongs to one. */
  context: ContextEvent[];
}

export function correlate(findings: readonly Finding[], context: readonly ContextEvent[], coverage: Coverage): Correlation {
  const sourceOf = sourceIndex(coverage);
  const uf = new UnionFind();
  const actors = findings.filter(isActor);
  const actorIds = new Set(actors.map((f) => f.id));

  // Scan findings join through their address only when that address also attacked.
  const attackIps = new Set(actors.flatMap(findingIps));
  const members = findings.filter((f) => actorIds.has(f.id) || (f.stage === 'scan' && findingIps(f).some((ip) => attackIps.has(ip))));
  for (const f of members) {
    uf.find(`f:${f.id}`);
    for (const ip of findingIps(f)) if (attackIps.has(ip)) uf.union(`f:${f.id}`, `ip:${ip}`);
  }

  // Shared request ids and ECP sessions, from evidence and context records.
  const keys = new Map<string, Key>();
  const keyOf = (kind: Key['kind'], value: string): Key => {
    const id = `${kind}:${value}`;
    let k = keys.get(id);
    if (!k) {
      k = { kind, value, records: new Set(), sources: new Set(), findings: new Set(), ips: new Set() };
      keys.set(id, k);
    }
    return k;
  };
  for (const f of members) {
    for (const e of f.evidence) {
      const source = sourceOf(e);
      for (const { kind, value } of keysOf(e.excerpt, source)) {
        const k = keyOf(kind, value);
        if (k.records.size < RECORDS_PER_LINK) k.records.add(recordRef(e));
        if (source) k.sources.add(source);
        k.findings.add(f.id);
      }
    }
  }
  for (const c of context) {
    for (const [kind, value] of [['request-id', c.requestId], ['ecp-canary', c.canary]] as const) {
      if (!value) continue;
      const k = keys.get(`${kind}:${value}`) ?? (c.ip && attackIps.has(c.ip) ? keyOf(kind, value) : undefined);
      if (!k) continue;
      if (k.records.size < RECORDS_PER_LINK) k.records.add(recordRef(c.evidence));
      k.sources.add(c.source);
      if (c.ip && attackIps.has(c.ip)) k.ips.add(c.ip);
    }
  }
  for (const k of keys.values()) {
    const nodes = [...[...k.findings].map((id) => `f:${id}`), ...[...k.ips].map((ip) => `ip:${ip}`)];
    for (const n of nodes.slice(1)) uf.union(nodes[0]!, n);
  }

  // Web-shell files: the requests that name them, and the write request at their modification time.
  const shellLinks: IntrusionLink[] = [];
  const logFindings = members.filter((f) => !f.file);
  for (const file of members.filter((f) => f.file)) {
    const name = fileName(file);
    if (!name) continue;
    const joined = new Set<string>([file.id]);
    for (const g of logFindings) if (names(g, name)) joined.add(g.id);
    const mtime = ms(file.file?.mtime);
    if (!Number.isNaN(mtime)) {
      for (const g of logFindings) {
        if (phaseOf(g) !== 'webshell') continue;
        const start = ms(g.time);
        const end = ms(g.lastSeen ?? g.time);
        if (!Number.isNaN(start) && mtime >= start - WRITE_TO_FILE_MS && mtime <= end + WRITE_TO_FILE_MS) joined.add(g.id);
      }
    }
    if (joined.size < 2) continue;
    const ids = [...joined].sort();
    for (const id of ids.slice(1)) uf.union(`f:${ids[0]}`, `f:${id}`);
    const records = [file.file!.path, ...members.filter((m) => joined.has(m.id) && m !== file).flatMap((m) => m.evidence.slice(0, 2).map(recordRef))];
    shellLinks.push({ kind: 'web-shell', value: name, records: records.slice(0, RECORDS_PER_LINK), findings: ids });
  }

  // Groups of findings; those with an attempt or a compromise are intrusions.
  const groups = new Map<string, Finding[]>();
  for (const f of members) {
    const root = uf.find(`f:${f.id}`);
    const list = groups.get(root) ?? [];
    list.push(f);
    groups.set(root, list);
  }
  const withIp = [...groups.values()].filter((g) => g.some(isActor) && g.some((f) => findingIps(f).length > 0));
  const hostOnly = [...groups.values()].filter((g) => !withIp.includes(g)).flat().filter(isActor);
  const windowOf = (g: Finding[]) => {
    let first = Infinity;
    let last = -Infinity;
    for (const f of g) {
      const a = ms(f.time);
      const b = ms(f.lastSeen ?? f.time);
      if (!Number.isNaN(a)) first = Math.min(first, a);
      if (!Number.isNaN(b)) last = Math.max(last, b);
    }
    return { first, last };
  };
  const windows = withIp.map(windowOf);
  const unplaced: Finding[] = [];
  for (const f of hostOnly) {
    const t = ms(f.time);
    let best = -1;
    let bestGap = Infinity;
    windows.forEach((w, i) => {
      const gap = Number.isNaN(t) ? (withIp.length === 1 ? 0 : Infinity) : t < w.first ? w.first - t : t > w.last ? t - w.last : 0;
      if (gap < bestGap) {
        bestGap = gap;
        best = i;
      }
    });
    if (best >= 0 && bestGap <= HOST_EVENT_REACH_MS) withIp[best]!.push(f);
    else unplaced.push(f);
  }
  const all = [...withIp];
  if (unplaced.length > 0) all.push(unplaced);

  const intrusions = all.map((g) => describeIntrusion(g, shellLinks, keys));
  intrusions.sort((a, b) => ((a.firstSeen ?? '~') < (b.firstSeen ?? '~') ? -1 : (a.firstSeen ?? '~') > (b.firstSeen ?? '~') ? 1 : a.id < b.id ? -1 : 1));
  intrusions.forEach((x, i) => (x.title = `${i + 1}. ${x.title}`));

  // Context records belong to the intrusion of their address, or of the request or session they share.
  const byIp = new Map<string, string>();
  const byFinding = new Map<string, string>();
  for (const x of intrusions) {
    for (const ip of x.ips) byIp.set(ip, x.id);
    for (const id of x.findings) byFinding.set(id, x.id);
  }
  const byKey = new Map<string, string>();
  for (const [id, k] of keys) {
    const owner = [...k.findings].map((f) => byFinding.get(f)).find(Boolean) ?? [...k.ips].map((ip) => byIp.get(ip)).find(Boolean);
    if (owner) byKey.set(id, owner);
  }
  const placed = context.map((c) => {
    const owner = (c.ip ? byIp.get(c.ip) : undefined) ?? (c.requestId ? byKey.get(`request-id:${c.requestId}`) : undefined) ?? (c.canary ? byKey.get(`ecp-canary:${c.canary}`) : undefined);
    return owner ? { ...c, intrusion: owner } : c;
  });
  return { intrusions, context: placed };
}

function describeIntrusion(group: Finding[], shellLinks: IntrusionLink[], keys: Map<string, Key>): Intrusion {
  const fs = [...group].sort(byTime);
  const ids = new Set(fs.map((f) => f.id));
  const ips = [...new Set(fs.filter(isActor).flatMap(findingIps))].sort();
  let stage = fs[0]!.stage;
  let severity = fs[0]!.severity;
  let first: string | undefined;
  let last: string | undefined;
  for (const f of fs) {
    if (stageRank(f.stage) > stageRank(stage)) stage = f.stage;
    if (severityRank(f.severity) > severityRank(severity)) severity = f.severity;
    if (f.time && (!first || f.time < first)) first = f.time;
    const end = f.lastSeen ?? f.time;
    if (end && (!last || end > last)) last = end;
  }
  const phaseById = new Map(fs.map((f) => [f.id, phaseOf(f)]));
  const steps: IntrusionStep[] = [];
  for (const phase of PHASES) {
    const inPhase = fs.filter((f) => phaseById.get(f.id) === phase);
    if (inPhase.length === 0) continue;
    const step: IntrusionStep = { phase, findings: inPhase.map((f) => f.id), summary: [...new Set(inPhase.map((f) => f.story))].join(', ') };
    const times = inPhase.flatMap((f) => [f.time, f.lastSeen]).filter((t): t is string => !!t).sort();
    if (times.length > 0) {
      step.first = times[0]!;
      step.last = times[times.length - 1]!;
    }
    steps.push(step);
  }
  const entryFinding = fs.find((f) => phaseById.get(f.id) === 'exploit' && f.stage !== 'scan');
  const entry = entryFinding
    ? `${entryFinding.story}${findingIps(entryFinding)[0] ? ` from ${findingIps(entryFinding)[0]}` : ''} on ${day(entryFinding.time)}`
    : '';
  const story: string[] = [];
  const scans = fs.filter((f) => f.stage === 'scan');
  if (scans.length > 0) story.push(`${day(scans[0]!.time)} — ${joinWords([...new Set(scans.flatMap(findingIps))])} probed the server (${[...new Set(scans.map((f) => f.story))].join(', ')}).`);
  if (!entryFinding && fs.some(isActor)) story.push(`No exploit request is visible${first ? ` before ${day(first)}` : ''}: the logs may not reach back to how the attacker got in.`);
  let previous = '';
  for (const f of fs) {
    if (!isActor(f)) continue;
    const from = findingIps(f).length > 0 ? ` (from ${joinWords(findingIps(f).slice(0, 3))})` : '';
    const what = f.title.length > 160 ? `${f.title.slice(0, 159)}…` : f.title;
    const line = `${day(f.time)} — ${what}${from}.`;
    if (line !== previous) story.push(line);
    previous = line;
  }
  const webShells = new Set<string>();
  for (const f of fs) {
    if (phaseById.get(f.id) !== 'webshell') continue;
    if (f.file) webShells.add(f.file.path);
    for (const p of f.details['page'] ?? []) webShells.add(p);
    const used = /^Web shell used: (.+)$/.exec(f.title);
    if (used) webShells.add(used[1]!);
  }
  const userAgents = [...new Set(fs.filter(isActor).flatMap((f) => f.details['userAgent'] ?? []))].filter((u) => !u.startsWith('…')).sort().slice(0, 20);
  const links: IntrusionLink[] = [];
  for (const l of shellLinks) if (l.findings.some((id) => ids.has(id))) links.push(l);
  for (const k of keys.values()) {
    if (k.sources.size < 2 || ![...k.findings].some((id) => ids.has(id)) && ![...k.ips].some((ip) => ips.includes(ip))) continue;
    links.push({ kind: k.kind, value: k.value, records: [...k.records].sort(), findings: [...k.findings].filter((id) => ids.has(id)).sort() });
  }
  links.sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.value < b.value ? -1 : 1));
  const id = `intrusion-${createHash('sha256').update([...ids].sort().join('\n')).digest('hex').slice(0, 12)}`;
  const title = ips.length > 0 ? `Attack from ${joinWords(ips.slice(0, 4))}${ips.length > 4 ? ` and ${ips.length - 4} more` : ''}` : 'Attack activity on the server (no attacker address in the logs)';
  const intrusion: Intrusion = { id, title, stage, severity, ips, entry, steps, findings: fs.map((f) => f.id), webShells: [...webShells].sort(), userAgents, story, links: links.slice(0, LINKS_PER_INTRUSION) };
  if (first) intrusion.firstSeen = first;
  if (last) intrusion.lastSeen = last;
  return intrusion;
}

