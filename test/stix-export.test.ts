// The STIX 2.1 export: every object validates against the OASIS schema of its type (stored under
// test/fixtures/stix21-schemas, loaded offline), the bundle against bundle.json, every reference
// resolves inside the bundle, ids are deterministic, and hostile evidence stays inside JSON strings
// and correctly escaped pattern literals.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Finding, Report } from '../src/core/types.js';
import { canonicalJson, scoId, stixTime, uuidv5 } from '../src/report/stix-ids.js';
import { equalsPattern, patternString } from '../src/report/stix-pattern.js';
import { type StixBundle, type StixObject, reportToStix, serverFolder } from '../src/report/stix.js';
import { stixWriter } from '../src/report/writers/stix.js';
import { parseIndicators } from '../src/detect/ioc/indicators.js';
import { huntFixed, repoRoot } from './helpers.js';

const SCHEMA_ROOT = path.join(repoRoot(), 'test', 'fixtures', 'stix21-schemas', 'schemas');
const SCHEMA_BASE = 'http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/';
const DEMO = path.join(repoRoot(), 'examples', 'demo-triage');

// Schemas bundle.json and observed-data.json name as alternatives but that the export never emits:
// not stored, and registered as `false` (nothing validates against them) so the refs resolve offline.
const NOT_STORED = [
  'common/language-content.json', 'common/marking-definition.json',
  'observables/artifact.json', 'observables/autonomous-system.json', 'observables/domain-name.json', 'observables/email-addr.json',
  'observables/email-message.json', 'observables/mac-addr.json', 'observables/mutex.json', 'observables/process.json',
  'observables/software.json', 'observables/url.json', 'observables/user-account.json', 'observables/windows-registry-key.json',
  'observables/x509-certificate.json',
  'sdos/attack-pattern.json', 'sdos/campaign.json', 'sdos/course-of-action.json', 'sdos/infrastructure.json', 'sdos/intrusion-set.json',
  'sdos/malware.json', 'sdos/malware-analysis.json', 'sdos/threat-actor.json', 'sdos/tool.json',
];

const TYPE_SCHEMA: Record<string, string> = {
  identity: 'sdos/identity.json',
  indicator: 'sdos/indicator.json',
  'observed-data': 'sdos/observed-data.json',
  report: 'sdos/report.json',
  vulnerability: 'sdos/vulnerability.json',
  relationship: 'sros/relationship.json',
  sighting: 'sros/sighting.json',
  'ipv4-addr': 'observables/ipv4-addr.json',
  'ipv6-addr': 'observables/ipv6-addr.json',
  file: 'observables/file.json',
  directory: 'observables/directory.json',
  'network-traffic': 'observables/network-traffic.json',
};

function schemaFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? schemaFiles(p) : e.name.endsWith('.json') ? [p] : [];
  });
}

function refsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

interface Validators {
  bundle: ValidateFunction;
  byType: Map<string, ValidateFunction>;
}

/** Every stored schema loaded into one Ajv under its canonical URL, so `$ref`s resolve without the network. */
function loadValidators(): { validators: Validators; missing: string[] } {
  // All stored schemas are draft 2020-12 and name themselves with `$id`. Some patterns escape `-` as
  // `\-`, which the `u` flag rejects, hence no unicode regexps (and no meta-schema check).
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false, unicodeRegExp: false });
  const require = createRequire(import.meta.url);
  const addFormats = require('ajv-formats') as (a: unknown) => unknown;
  addFormats(ajv);
  const stored = new Set<string>();
  const refs: string[] = [];
  for (const file of schemaFiles(SCHEMA_ROOT)) {
    const url = SCHEMA_BASE + path.relative(SCHEMA_ROOT, file).split(path.sep).join('/');
    const schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    assert.equal(schema['$id'], url, `${file}: $id`);
    ajv.addSchema(schema);
    stored.add(url);
    for (const ref of refsIn(schema)) if (!ref.startsWith('#')) refs.push(new URL(ref.split('#')[0]!, url).href);
  }
  const missing = [...new Set(refs.filter((r) => !stored.has(r)))].sort();
  for (const url of missing) ajv.addSchema(false, url);
  const get = (rel: string) => {
    const v = ajv.getSchema(SCHEMA_BASE + rel);
    assert.ok(v, `schema ${rel} compiles`);
    return v;
  };
  const byType = new Map(Object.entries(TYPE_SCHEMA).map(([type, rel]) => [type, get(rel)]));
  return { validators: { bundle: get('common/bundle.json'), byType }, missing: missing.map((u) => u.slice(SCHEMA_BASE.length)) };
}

/** Schema errors of every object and of the bundle, as readable lines (empty when valid). */
function schemaErrors(bundle: unknown, v: Validators): string[] {
  const errors: string[] = [];
  const objects = (bundle as StixBundle).objects ?? [];
  objects.forEach((o, i) => {
    const type = o.type;
    const validate = v.byType.get(type);
    if (!validate) errors.push(`objects[${i}] ${type}: no schema`);
    else if (!validate(o)) errors.push(...(validate.errors ?? []).map((e) => `objects[${i}] ${type}${e.instancePath} ${e.message}`));
  });
  if (!v.bundle(bundle)) errors.push(...(v.bundle.errors ?? []).slice(0, 5).map((e) => `bundle${e.instancePath} ${e.message}`));
  return errors;
}

/** Every `*_ref` / `*_refs` value, at any depth, names an object of the bundle. */
function danglingRefs(bundle: StixBundle): string[] {
  const ids = new Set(bundle.objects.map((o) => o.id));
  const out: string[] = [];
  const walk = (value: unknown, where: string) => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${where}[${i}]`));
    else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        const refs = k.endsWith('_ref') ? [v] : k.endsWith('_refs') && Array.isArray(v) ? v : [];
        for (const r of refs) if (typeof r !== 'string' || !ids.has(r)) out.push(`${where}.${k} → ${String(r)}`);
        walk(v, `${where}.${k}`);
      }
    }
  };
  for (const o of bundle.objects) walk(o, o.id);
  return out;
}

/**
 * `[path = 'literal']` with the literal quoted as STIX patterning requires: inside the quotes only
 * `\\` and `\'` escapes, no bare quote or backslash. Returns the literal's value, unescaped.
 */
function patternLiteral(pattern: string): string {
  const m = /^\[([a-z0-9-]+:[A-Za-z0-9_.'*[\]-]+) = '((?:[^'\\]|\\['\\])*)'\]$/s.exec(pattern);
  assert.ok(m, `pattern is one comparison with a well-quoted literal: ${JSON.stringify(pattern)}`);
  return m[2]!.replace(/\\(['\\])/g, '$1');
}

const byType = (b: StixBundle, type: string): StixObject[] => b.objects.filter((o) => o.type === type);

describe('STIX export', () => {
  let v: Validators;
  let missing: string[];
  let demo: Report;
  let bundle: StixBundle;

  before(async () => {
    ({ validators: v, missing } = loadValidators());
    demo = await huntFixed([DEMO]);
    bundle = reportToStix(demo);
  });

  test('the stored schemas load offline; only types the export never emits are stubbed', () => {
    assert.deepEqual(missing, [...NOT_STORED].sort());
  });

  test('the validator is wired: broken objects fail their schema', () => {
    const ok = bundle.objects;
    const ip = ok.find((o) => o.type === 'ipv4-addr')!;
    const ind = ok.find((o) => o.type === 'indicator')!;
    const sig = ok.find((o) => o.type === 'sighting')!;
    const check = (o: unknown) => v.byType.get((o as StixObject).type)!(o);
    assert.equal(check(ip), true);
    assert.equal(check({ ...ip, value: 'not-an-address' }), false, 'ipv4-addr value');
    assert.equal(check({ ...ip, id: 'ipv4-addr--1234' }), false, 'identifier form');
    const { pattern: _dropped, ...noPattern } = ind;
    assert.equal(check(noPattern), false, 'indicator without pattern');
    assert.equal(check({ ...ind, created: '2021-03-03T06:49:42Z' }), false, 'created without milliseconds');
    assert.equal(check({ ...ind, spec_version: '3.0' }), false, 'spec_version');
    assert.equal(check({ ...sig, where_sighted_refs: [ip.id] }), false, 'sighted where only an identity can be');
    assert.equal(v.bundle({ type: 'bundle', id: bundle.id, objects: [] }), false, 'empty objects list');
    assert.equal(v.bundle({ ...bundle, objects: [...ok, { ...ind, type: 'indicator', pattern: 42 }] }), false, 'bundle checks its objects');
    assert.deepEqual(danglingRefs({ ...bundle, objects: [...ok, { ...sig, id: 'sighting--00000000-0000-5000-8000-000000000000', sighting_of_ref: 'indicator--00000000-0000-5000-8000-000000000000' }] }).length, 1);
  });

  test('the demo exports to a bundle whose every object and the bundle itself validate', () => {
    assert.deepEqual(schemaErrors(bundle, v), []);
    assert.deepEqual(danglingRefs(bundle), []);
    assert.equal(new Set(bundle.objects.map((o) => o.id)).size, bundle.objects.length, 'ids are unique');
    const producer = bundle.objects[0]!;
    assert.equal(producer.type, 'identity');
    assert.equal(producer['identity_class'], 'system');
    for (const o of bundle.objects) {
      if (o.type.endsWith('-addr') || ['file', 'directory', 'network-traffic'].includes(o.type)) continue;
      assert.equal(o['created_by_ref'], producer.id, `${o.id} is created by exhunt`);
      assert.equal(o['created'], stixTime(demo.generatedAt));
    }
  });

  test('attacker addresses, web-shell hashes and user agents become SCOs, indicators and sightings', () => {
    const ips = byType(bundle, 'ipv4-addr').map((o) => o['value']);
    for (const ip of ['198.51.100.77', '203.0.113.45']) {
      assert.ok(ips.includes(ip), `${ip} is an ipv4-addr SCO`);
      assert.ok(demo.verdict.attackerIps.includes(ip));
    }
    const hashes = demo.findings.filter((f) => f.rule === 'file-known-webshell-path').map((f) => f.file!.sha256!);
    assert.ok(hashes.length > 0);
    const files = byType(bundle, 'file');
    const indicators = byType(bundle, 'indicator');
    const sightings = byType(bundle, 'sighting');
    const observed = new Map(byType(bundle, 'observed-data').map((o) => [o.id, o]));
    const sightingOf = (ind: StixObject) => sightings.find((s) => s['sighting_of_ref'] === ind.id);
    for (const sha of hashes) {
      const file = files.find((f) => (f['hashes'] as Record<string, string>)?.['SHA-256'] === sha);
      assert.ok(file, `a file SCO has SHA-256 ${sha}`);
      const ind = indicators.find((i) => patternLiteral(i['pattern'] as string) === sha);
      assert.ok(ind, `an indicator pattern names ${sha}`);
      assert.equal(ind['pattern'], `[file:hashes.'SHA-256' = '${sha}']`);
      const s = sightingOf(ind);
      assert.ok(s, 'the hash indicator is sighted');
      assert.ok((s['observed_data_refs'] as string[]).some((id) => (observed.get(id)!['object_refs'] as string[]).includes(file.id)), 'in observed-data that holds the file');
    }
    for (const ip of demo.verdict.attackerIps) {
      const ind = indicators.find((i) => i['pattern'] === `[ipv4-addr:value = '${ip}']`);
      assert.ok(ind, `indicator for ${ip}`);
      assert.deepEqual(ind['indicator_types'], ['malicious-activity']);
      const s = sightingOf(ind)!;
      assert.ok(s, `sighting of ${ip}`);
      assert.equal(ind['valid_from'], s['first_seen']);
      const ipId = byType(bundle, 'ipv4-addr').find((o) => o['value'] === ip)!.id;
      for (const od of s['observed_data_refs'] as string[]) assert.ok((observed.get(od)!['object_refs'] as string[]).includes(ipId));
    }
    assert.ok(indicators.some((i) => i['pattern'] === "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'[*] = 'python-requests/2.25.1']"));
    const traffic = byType(bundle, 'network-traffic');
    assert.ok(traffic.some((t) => (t['extensions'] as Record<string, { request_header: Record<string, string[]> }>)['http-request-ext']!.request_header['User-Agent']?.[0] === 'python-requests/2.25.1'));
    for (const t of traffic) assert.deepEqual(t['protocols'], ['tcp', 'http']);
    assert.ok(!indicators.some((i) => (i['pattern'] as string).includes('192.0.2.')), 'scanners are observed, not indicators');
    const cves = byType(bundle, 'vulnerability').map((o) => o['name']);
    assert.ok(cves.includes('CVE-2021-26855') && cves.includes('CVE-2021-27065'));
    for (const r of byType(bundle, 'relationship')) assert.equal(r['relationship_type'], 'related-to');
    const dirs = byType(bundle, 'directory').map((o) => o['path']);
    assert.ok(dirs.includes('C:\\inetpub\\wwwroot\\aspnet_client\\system_web'), 'collection paths become the server\'s Windows paths');
  });

  test('exhunt reads its own export back as indicators (--ioc)', () => {
    const back = parseIndicators(stixWriter.render(demo, { color: false, width: 100 }), 'observed.stix.json');
    assert.deepEqual(back.errors, []);
    const values = new Set(back.indicators.map((i) => `${i.type}:${i.value}`));
    for (const ip of ['198.51.100.77', '203.0.113.45']) assert.ok(values.has(`ip:${ip}`), ip);
    assert.ok(values.has('user-agent:python-requests/2.25.1'));
    const shell = demo.findings.find((f) => f.file?.path.endsWith('RedirSuiteServerProxy.aspx'))!;
    assert.ok(values.has(`sha256:${shell.file!.sha256}`));
  });

  test('the same report gives byte-identical output', () => {
    const opts = { color: false, width: 100 };
    const a = stixWriter.render(demo, opts);
    const b = stixWriter.render(structuredClone(demo), opts);
    assert.equal(a, b);
    assert.ok(a.endsWith('}\n'));
    assert.deepEqual(JSON.parse(a), bundle);
    assert.equal(stixWriter.id, 'stix');
  });

  test('an empty report is a valid bundle: the producer and a report saying nothing was observed', () => {
    const empty: Report = { ...demo, findings: [], exposure: undefined, verdict: { ...demo.verdict, status: 'NOTHING FOUND', summary: 'No sign of an attack in the logs read.', attackerIps: [], firstActivity: undefined, lastActivity: undefined } };
    const b = reportToStix(empty);
    assert.deepEqual(b.objects.map((o) => o.type), ['identity', 'report']);
    assert.deepEqual(b.objects[1]!['object_refs'], [b.objects[0]!.id]);
    assert.deepEqual(schemaErrors(b, v), []);
    assert.deepEqual(danglingRefs(b), []);
  });

  test('hostile evidence stays in JSON strings and well-quoted pattern literals', () => {
    const nasty = `x' OR 1=1 ]\\ "q" \\' \u0000\u0007\u001b[31m\n\r\t\u2028\u202e end`;
    const finding: Finding = {
      ...demo.findings.find((f) => f.rule === 'exchange-webshell-access')!,
      id: 'F-hostile00001',
      stage: 'compromise',
      details: { clientIp: ['198.51.100.77', '…and 3 more', 'not an ip'], userAgent: [nasty, "'"], method: [nasty], target: [`/owa/auth/${nasty}.aspx`] },
    };
    const fileFinding: Finding = {
      ...demo.findings.find((f) => f.rule === 'file-known-webshell-path')!,
      id: 'F-hostile00002',
      file: { input: 0, path: `evil.zip/C/inetpub/${nasty}/sh'ell].aspx`, size: 1, matches: [], sha256: 'a'.repeat(64), mtime: '2021-03-05T03:07:40Z' },
    };
    const hostile: Report = { ...demo, findings: [finding, fileFinding], verdict: { ...demo.verdict, attackerIps: ['198.51.100.77', '2001:db8::7', '…2 more'] } };
    const text = stixWriter.render(hostile, { color: false, width: 100 });
    assert.ok(!/[\u2028\u202e]/.test(text), 'line separators and bidi overrides are escaped in the JSON text');
    const b = JSON.parse(text) as StixBundle;
    assert.deepEqual(schemaErrors(b, v), []);
    assert.deepEqual(danglingRefs(b), []);
    const literals = byType(b, 'indicator').map((i) => patternLiteral(i['pattern'] as string));
    assert.ok(literals.includes(nasty), 'the user agent survives quoting unchanged');
    assert.ok(literals.includes("'"));
    assert.ok(literals.includes('2001:db8::7'));
    assert.ok(!literals.some((l) => l.startsWith('…')), 'truncation markers are no address');
    assert.ok(byType(b, 'ipv6-addr').some((o) => o['value'] === '2001:db8::7'), 'an address only the verdict names is an SCO too');
    const file = byType(b, 'file')[0]!;
    assert.equal(file['name'], "sh'ell].aspx");
    assert.equal(byType(b, 'directory')[0]!['path'], `C:\\inetpub\\${nasty}`);
    for (const o of b.objects) assert.match(o.id, /^[a-z0-9-]+--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'ids are UUIDv5, never evidence');
  });
});

describe('STIX helpers', () => {
  test('uuidv5 agrees with RFC 4122 and with Python\'s uuid.uuid5', () => {
    assert.equal(uuidv5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com'), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
    // uuid.uuid5(UUID('00abedb4-aa42-466c-9c01-fed23315a9b7'), '{"value":"198.51.100.3"}')
    assert.equal(scoId('ipv4-addr', { value: '198.51.100.3' }), 'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4');
    assert.equal(scoId('ipv4-addr', { value: '198.51.100.77' }), 'ipv4-addr--efb3cb24-5b02-57b0-adb6-64563650dafa');
    assert.throws(() => uuidv5('nope', 'x'));
  });

  test('canonical JSON sorts members at every depth and drops absent contributing properties', () => {
    assert.equal(canonicalJson({ b: [{ z: 1, a: 'é\n' }], a: null }), '{"a":null,"b":[{"a":"é\\n","z":1}]}');
    assert.equal(scoId('file', { name: 'x', hashes: undefined }), scoId('file', { name: 'x' }));
  });

  test('STIX timestamps always carry milliseconds and Z', () => {
    const cases: [string | undefined, string | undefined][] = [
      ['2021-03-03T06:49:42Z', '2021-03-03T06:49:42.000Z'],
      ['2021-03-03T06:49:42.5+01:00', '2021-03-03T05:49:42.500Z'],
      ['garbage', undefined],
      [undefined, undefined],
      ['+275760-09-13T00:00:00.000Z', undefined],
    ];
    for (const [input, want] of cases) assert.equal(stixTime(input), want, String(input));
  });

  test('collection paths become the server\'s folders', () => {
    const cases: [string, string | undefined][] = [
      ['EXCH01-web-folders.zip/C/inetpub/wwwroot/aspnet_client/log.aspx', 'C:\\inetpub\\wwwroot\\aspnet_client'],
      ['c/x.aspx', 'C:\\'],
      ['D/Exchange/owa/auth/a.aspx', 'D:\\Exchange\\owa\\auth'],
      ['web/owa/auth/a.aspx', 'web/owa/auth'],
      ['a.aspx', undefined],
    ];
    for (const [input, want] of cases) assert.equal(serverFolder(input), want, input);
  });

  test('pattern literals escape exactly the quote and the backslash', () => {
    const cases: [string, string][] = [
      ['plain', "'plain'"],
      ["it's", "'it\\'s'"],
      ['C:\\x', "'C:\\\\x'"],
      ["\\'", "'\\\\\\''"],
      [']\u0000"', "']\u0000\"'"],
    ];
    for (const [input, want] of cases) {
      assert.equal(patternString(input), want, input);
      assert.equal(patternLiteral(equalsPattern('x-a:b', input)), input);
    }
  });
});
