// The report as a STIX 2.1 bundle of what was observed, for a CERT to share: the addresses, files
// and user agents the findings saw (SCOs), one observed-data per finding that saw any, indicators
// for the attacker's addresses, planted files and user agents with a sighting each, and the CVEs of
// compromise findings. Everything is created by one `system` identity (exhunt), timestamped with
// the report's generatedAt and identified deterministically, so the same report gives the same bytes.
// Evidence is attacker-controlled: it only ever becomes a JSON string value (or a hash input for
// an id), never an id, a property name or a pattern path.
import { isIPv4, isIPv6 } from 'node:net';
import type { FileFacts, Finding, Report } from '../core/types.js';
import { findingIps } from '../core/types.js';
import { scoId, sdoId, stixTime } from './stix-ids.js';
import { equalsPattern } from './stix-pattern.js';

export interface StixObject {
  type: string;
  spec_version: '2.1';
  id: string;
  [property: string]: unknown;
}

export interface StixBundle {
  type: 'bundle';
  id: string;
  objects: StixObject[];
}

export interface StixOptions {
  /** Name of the producing identity (default `exhunt`). */
  producer?: string;
}

const MAX_COUNT = 999_999_999;
const HTTP = ['tcp', 'http'];
// File findings about the victim's own data (its memory dump, an archive of it): their hash
// identifies nothing on anyone else's server, so they are observed but not indicators.
const VICTIM_DATA_RULES = new Set(['file-memory-dump', 'file-staged-archive']);
const SHA256 = /^[0-9a-f]{64}$/i;
const CVE = /^CVE-\d{4}-(0\d{3}|[1-9]\d{3,})$/;

/** Where one indicator's value was seen: the observed-data that hold it, and when and how often. */
interface Seen {
  observed: Set<string>;
  first: string;
  last: string;
  count: number;
}

class Objects {
  readonly sdos: StixObject[] = [];
  readonly scos = new Map<string, StixObject>();

  constructor(
    private readonly created: string,
    readonly producerId: string,
  ) {}

  sdo(type: string, key: string, properties: Record<string, unknown>): StixObject {
    const o: StixObject = { type, spec_version: '2.1', id: sdoId(type, key), created_by_ref: this.producerId, created: this.created, modified: this.created, ...properties };
    this.sdos.push(o);
    return o;
  }

  /** Adds an SCO once (the same content gives the same id) and returns its id. */
  sco(o: StixObject): string {
    if (!this.scos.has(o.id)) this.scos.set(o.id, o);
    return o.id;
  }
}

function count(n: number): number {
  return Math.min(MAX_COUNT, Math.max(1, Math.floor(n)));
}

function only(values: string[] | undefined): string | undefined {
  return values?.length === 1 ? values[0] : undefined;
}

/** Client addresses of a finding; `…`-prefixed entries mark a truncated list and are no address. */
function validIps(f: Finding): string[] {
  return findingIps(f).filter((ip) => isIPv4(ip) || isIPv6(ip)).sort();
}

function ipObject(ip: string): StixObject {
  const type = isIPv4(ip) ? 'ipv4-addr' : 'ipv6-addr';
  return { type, spec_version: '2.1', id: scoId(type, { value: ip }), value: ip };
}

/**
 * The folder of a collected file as the server knew it: after an optional zip name, a one-letter
 * folder is a drive (`C/inetpub/x` → `C:\inetpub\x`); any other path stays as found.
 */
export function serverFolder(collectionPath: string): string | undefined {
  const parts = collectionPath.split('/').filter((p) => p !== '');
  parts.pop();
  if (parts.length === 0) return undefined;
  const isDrive = (p: string | undefined) => p !== undefined && /^[A-Za-z]$/.test(p);
  const drive = isDrive(parts[0]) ? 0 : /\.zip$/i.test(parts[0]!) && isDrive(parts[1]) ? 1 : -1;
  if (drive < 0) return parts.join('/');
  return `${parts[drive]!.toUpperCase()}:\\${parts.slice(drive + 1).join('\\')}`;
}

/** The file SCO of a file-sweep finding, and the directory SCO it sits in. */
function fileObjects(file: FileFacts): StixObject[] {
  const name = file.path.split('/').filter((p) => p !== '').pop() ?? file.path;
  const folder = serverFolder(file.path);
  const dir: StixObject | undefined = folder === undefined ? undefined : { type: 'directory', spec_version: '2.1', id: scoId('directory', { path: folder }), path: folder };
  const hashes = file.sha256 && SHA256.test(file.sha256) ? { 'SHA-256': file.sha256.toLowerCase() } : undefined;
  const mtime = stixTime(file.mtime);
  const fileObject: StixObject = {
    type: 'file',
    spec_version: '2.1',
    id: scoId('file', { hashes, name, parent_directory_ref: dir?.id }),
    name,
    ...(hashes ? { hashes } : {}),
    ...(Number.isSafeInteger(file.size) && file.size >= 0 ? { size: file.size } : {}),
    ...(dir ? { parent_directory_ref: dir.id } : {}),
    ...(mtime ? { mtime } : {}),
  };
  return dir ? [dir, fileObject] : [fileObject];
}

/**
 * One HTTP request shape from an address with a user agent. The extension requires a method and a
 * request value; when the finding saw several (or none), '' stands for "not one value" and the
 * observed-data lists them in x_exhunt_request_methods / x_exhunt_request_paths.
 */
function trafficObject(srcRef: string, userAgent: string, method: string, value: string): StixObject {
  const extensions = { 'http-request-ext': { request_method: method, request_value: value, request_header: { 'User-Agent': [userAgent] } } };
  return { type: 'network-traffic', spec_version: '2.1', id: scoId('network-traffic', { src_ref: srcRef, protocols: HTTP, extensions }), src_ref: srcRef, protocols: HTTP, extensions };
}

function see(map: Map<string, Seen>, key: string, observedId: string, first: string, last: string, n: number): void {
  const s = map.get(key);
  if (!s) {
    map.set(key, { observed: new Set([observedId]), first, last, count: n });
    return;
  }
  s.observed.add(observedId);
  if (first < s.first) s.first = first;
  if (last > s.last) s.last = last;
  s.count = Math.min(MAX_COUNT, s.count + n);
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

export function reportToStix(report: Report, opts: StixOptions = {}): StixBundle {
  const created = stixTime(report.generatedAt) ?? new Date(0).toISOString();
  const producerName = opts.producer ?? 'exhunt';
  const objs = new Objects(created, sdoId('identity', `producer\n${producerName}`));
  const producer = objs.sdo('identity', `producer\n${producerName}`, {
    name: producerName,
    identity_class: 'system',
    description: `${report.tool.name} ${report.tool.version}: hunts Microsoft Exchange intrusions in log collections.`,
  });

  const attackerIps = new Set(report.verdict.attackerIps.filter((ip) => isIPv4(ip) || isIPv6(ip)));
  const byIp = new Map<string, Seen>();
  const byHash = new Map<string, Seen>();
  const byUserAgent = new Map<string, Seen>();
  const indicatorHashes = new Map<string, string>();
  const indicatorUserAgents = new Set<string>();
  const cveFindings = new Map<string, string[]>();
  const observedData: StixObject[] = [];

  for (const f of report.findings) {
    const first = stixTime(f.time);
    if (first === undefined) continue;
    const lastSeen = stixTime(f.lastSeen);
    const last = lastSeen !== undefined && lastSeen > first ? lastSeen : first;
    const refs: string[] = [];
    const ips = validIps(f);
    const ipIds = ips.map((ip) => objs.sco(ipObject(ip)));
    refs.push(...ipIds);
    const fileFacts = f.file;
    if (fileFacts) for (const o of fileObjects(fileFacts)) refs.push(objs.sco(o));
    const userAgents = [...new Set((f.details['userAgent'] ?? []).filter((ua) => ua !== ''))].sort();
    const methods = f.details['method'] ?? [];
    const paths = f.details['target'] ?? f.details['page'] ?? [];
    const method = only(methods)?.toLowerCase() ?? '';
    const path = only(paths) ?? '';
    for (const ipId of ipIds) for (const ua of userAgents) refs.push(objs.sco(trafficObject(ipId, ua, method, path)));
    if (refs.length === 0) continue;

    const od = objs.sdo('observed-data', f.id, {
      first_observed: first,
      last_observed: last,
      number_observed: count(f.count),
      object_refs: [...new Set(refs)],
      x_exhunt_finding_id: f.id,
      x_exhunt_rule: f.rule,
      x_exhunt_title: f.title,
      x_exhunt_severity: f.severity,
      x_exhunt_stage: f.stage,
      ...(f.cves.length > 0 ? { x_exhunt_cves: f.cves } : {}),
      ...(methods.length > 1 ? { x_exhunt_request_methods: methods } : {}),
      ...(paths.length > 1 ? { x_exhunt_request_paths: paths } : {}),
    });
    observedData.push(od);

    const n = count(f.count);
    for (const ip of ips) see(byIp, ip, od.id, first, last, n);
    for (const ua of userAgents) see(byUserAgent, ua, od.id, first, last, n);
    const sha = fileFacts?.sha256 && SHA256.test(fileFacts.sha256) ? fileFacts.sha256.toLowerCase() : undefined;
    if (sha) {
      see(byHash, sha, od.id, first, last, n);
      if (f.stage === 'compromise' && !VICTIM_DATA_RULES.has(f.rule) && !indicatorHashes.has(sha)) indicatorHashes.set(sha, fileFacts!.path.split('/').pop() ?? '');
    }
    const byAttacker = ips.some((ip) => attackerIps.has(ip));
    if (byAttacker && (f.stage === 'compromise' || f.stage === 'attempt')) for (const ua of userAgents) indicatorUserAgents.add(ua);
    if (f.stage === 'compromise') {
      for (const cve of f.cves.filter((c) => CVE.test(c))) cveFindings.set(cve, [...(cveFindings.get(cve) ?? []), od.id]);
    }
  }
  // The verdict's addresses are observables too, even one that no finding with a time saw.
  for (const ip of [...attackerIps].sort()) objs.sco(ipObject(ip));
  // CVEs of compromise findings that saw no observable still name what was exploited.
  for (const f of report.findings) {
    if (f.stage !== 'compromise') continue;
    for (const cve of f.cves.filter((c) => CVE.test(c))) if (!cveFindings.has(cve)) cveFindings.set(cve, []);
  }

  const indicators: { indicator: StixObject; seen: Seen | undefined }[] = [];
  const indicator = (key: string, name: string, description: string, pattern: string, seen: Seen | undefined) => {
    const o = objs.sdo('indicator', key, {
      name,
      description,
      indicator_types: ['malicious-activity'],
      pattern,
      pattern_type: 'stix',
      pattern_version: '2.1',
      valid_from: seen?.first ?? created,
    });
    indicators.push({ indicator: o, seen });
  };
  for (const ip of [...attackerIps].sort()) {
    indicator(`ip\n${ip}`, `Attacker address ${ip}`, `${report.verdict.status === 'SCANNED ONLY' ? 'Scanner' : 'Attacker'} address named by exhunt's verdict on this server.`, equalsPattern(`${isIPv4(ip) ? 'ipv4-addr' : 'ipv6-addr'}:value`, ip), byIp.get(ip));
  }
  for (const [sha, name] of [...indicatorHashes].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    indicator(`sha256\n${sha}`, `Planted file ${clip(name, 120)}`, 'SHA-256 of a file that a compromise finding of the file sweep flagged (a web shell or other planted file).', equalsPattern("file:hashes.'SHA-256'", sha), byHash.get(sha));
  }
  for (const ua of [...indicatorUserAgents].sort()) {
    indicator(`user-agent\n${ua}`, `Attacker user agent ${clip(ua, 120)}`, 'User-Agent of requests from an attacker address in exploitation or compromise findings. Browser user agents also match harmless traffic: combine with the addresses.', equalsPattern("network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'[*]", ua), byUserAgent.get(ua));
  }

  const sighted = indicators.filter((i) => i.seen !== undefined);
  const server =
    sighted.length === 0
      ? undefined
      : objs.sdo('identity', 'observed-server', {
          name: 'Exchange server examined by exhunt',
          identity_class: 'system',
          ...(report.exposure?.build ? { description: `${report.exposure.product ?? 'Microsoft Exchange'}, build ${report.exposure.build} (from its logs).` } : {}),
        });
  const sightings = sighted.map(({ indicator: i, seen }) =>
    objs.sdo('sighting', i.id, {
      sighting_of_ref: i.id,
      observed_data_refs: [...seen!.observed].sort(),
      first_seen: seen!.first,
      last_seen: seen!.last,
      count: seen!.count,
      where_sighted_refs: [server!.id],
    }),
  );

  const vulnerabilities: StixObject[] = [];
  const relationships: StixObject[] = [];
  for (const [cve, observed] of [...cveFindings].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const v = objs.sdo('vulnerability', cve, { name: cve, external_references: [{ source_name: 'cve', external_id: cve }] });
    vulnerabilities.push(v);
    for (const od of [...new Set(observed)].sort()) {
      relationships.push(objs.sdo('relationship', `${od}\nrelated-to\n${v.id}`, { relationship_type: 'related-to', source_ref: od, target_ref: v.id, description: `A compromise finding matched the exploitation of ${cve}.` }));
    }
  }

  const others: StixObject[] = [
    ...(server ? [server] : []),
    ...observedData,
    ...objs.scos.values(),
    ...indicators.map((i) => i.indicator),
    ...sightings,
    ...vulnerabilities,
    ...relationships,
  ];
  const v = report.verdict;
  const stixReport = objs.sdo('report', `report\n${report.generatedAt}`, {
    name: `exhunt: ${v.status}`,
    description: v.summary,
    report_types: ['threat-report'],
    published: created,
    object_refs: [producer.id, ...others.map((o) => o.id)],
    x_exhunt_verdict: v.status,
    ...(stixTime(v.firstActivity) ? { x_exhunt_first_activity: stixTime(v.firstActivity) } : {}),
    ...(stixTime(v.lastActivity) ? { x_exhunt_last_activity: stixTime(v.lastActivity) } : {}),
  });
  const objects = [producer, stixReport, ...others];
  return { type: 'bundle', id: sdoId('bundle', [report.generatedAt, ...objects.map((o) => o.id)].join('\n')), objects };
}
