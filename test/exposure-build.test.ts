// The build database and `exhunt build`: the shipped data is exactly what the researched tables
// give, and builds from Microsoft's table get the verdicts the fix rows imply.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { UsageError } from '../src/core/errors.js';
import { assessBuild } from '../src/exposure/assess.js';
import { buildDatabase } from '../src/exposure/db.js';
import { compareVersions, parseExchangeVersion, sameBuildLine } from '../src/exposure/version.js';
import { deriveBuildData, serializeBuildData } from '../tools/builds-data.js';
import { repoRoot, runCli, sharedDir } from './helpers.js';

const NOW = Date.parse('2026-11-26T00:00:00Z');
const ids = (v: string, now = NOW): string[] => assessBuild(v, { now }).cves.map((c) => c.id);

describe('build database', () => {
  test('the shipped file is exactly what tools/make-builds.ts derives from the reference CSVs', () => {
    const dir = path.join(sharedDir(), 'reference', 'data');
    const derived = deriveBuildData(readFileSync(path.join(dir, 'exchange-builds.csv'), 'utf8'), readFileSync(path.join(dir, 'cve-fixes.csv'), 'utf8'));
    const shipped = readFileSync(path.join(repoRoot(), 'src', 'exposure', 'data', 'exchange-builds.json'), 'utf8');
    assert.equal(shipped, serializeBuildData(derived), 'run: npm run build && node dist/tools/make-builds.js');
    const db = buildDatabase();
    assert.equal(db.builds.length, 361);
    assert.equal(db.fixes.length, 216);
  });

  test('every fixing build is a build of the table, on the CU line it fixes', () => {
    const db = buildDatabase();
    for (const f of db.fixes) {
      if (!f.version) continue;
      const row = db.builds.find((b) => b.product === f.product && compareVersions(b.version, f.version!) === 0);
      assert.ok(row, `${f.cve} ${f.product} ${f.cu}: ${f.fixBuild} is not in the build table`);
    }
  });

  test('each fixing SU closes its CVE, the build before it on the same CU is still open', () => {
    const db = buildDatabase();
    let checked = 0;
    for (const f of db.fixes) {
      if (!f.version || !/SU|RU\d/.test(f.fixingUpdate) || /and later/.test(f.cu)) continue;
      assert.ok(!ids(f.fixBuild).includes(f.cve), `${f.cve} should be closed on ${f.fixBuild} (${f.product} ${f.cu} ${f.fixingUpdate})`);
      const before = db.builds
        .filter((b) => b.product === f.product && sameBuildLine(b.version, f.version!) && compareVersions(b.version, f.version!) < 0)
        .sort((a, b) => compareVersions(a.version, b.version))
        .at(-1);
      if (before) {
        assert.ok(ids(before.build).includes(f.cve), `${f.cve} should be open on ${before.build} (${before.update})`);
        checked++;
      }
    }
    assert.ok(checked > 100, `checked ${checked} SU boundaries`);
  });

  test('within a CU line, a CVE once closed stays closed on every later build', () => {
    const db = buildDatabase();
    for (const product of new Set(db.builds.map((b) => b.product))) {
      const rows = db.builds.filter((b) => b.product === product).sort((a, b) => compareVersions(a.version, b.version));
      for (let i = 1; i < rows.length; i++) {
        if (!sameBuildLine(rows[i - 1]!.version, rows[i]!.version)) continue;
        const later = new Set(ids(rows[i]!.build));
        for (const id of later) assert.ok(ids(rows[i - 1]!.build).includes(id), `${id} open on ${rows[i]!.build} but closed on ${rows[i - 1]!.build}`);
      }
    }
  });
});

describe('exhunt build: verdicts for builds from Microsoft\'s table', () => {
  const cases: [string, { has?: string[]; not?: string[]; verdict: string; cu?: string; su?: string | null }][] = [
    ['15.1.2176.2', { has: ['CVE-2021-26855', 'CVE-2021-34473'], verdict: 'vulnerable', cu: 'CU19', su: null }],
    ['15.1.2176.9', { has: ['CVE-2021-34473'], not: ['CVE-2021-26855', 'CVE-2021-27065'], verdict: 'vulnerable', su: 'Mar21SU' }],
    ['15.01.2176.012', { has: ['CVE-2021-31207'], not: ['CVE-2021-34473', 'CVE-2021-33766'], verdict: 'vulnerable', su: 'Apr21SU' }],
    ['15.1.1261.35', { has: ['CVE-2021-26855'], verdict: 'vulnerable', cu: 'CU7' }],
    ['15.2.1118.20', { has: ['CVE-2023-21529'], not: ['CVE-2022-41040', 'CVE-2022-41082'], verdict: 'vulnerable', cu: 'CU12', su: 'Nov22SU' }],
    ['15.2.1118.25', { has: ['CVE-2024-21410'], not: ['CVE-2023-21529'], verdict: 'vulnerable' }],
    ['15.2.1544.4', { not: ['CVE-2024-21410'], verdict: 'outdated-unsupported', cu: 'CU14' }],
    ['15.2.2562.17', { verdict: 'patched', cu: 'RTM', su: null }],
    ['15.2.2562.41', { verdict: 'patched', su: 'May26HU' }],
    ['15.0.1497.12', { has: ['CVE-2021-34473'], not: ['CVE-2021-26855'], verdict: 'vulnerable', cu: 'CU23' }],
    ['15.0.847.64', { has: ['CVE-2021-34473'], not: ['CVE-2021-26857'], verdict: 'vulnerable', cu: 'SP1' }],
    ['15.0.1497.48', { verdict: 'outdated-unsupported' }],
    ['14.3.513.0', { verdict: 'outdated-unsupported', cu: 'SP3 RU32' }],
    ['Version 15.1 (Build 2176.2)', { has: ['CVE-2022-41040'], not: ['CVE-2021-26855'], verdict: 'vulnerable', cu: 'CU19' }],
  ];
  for (const [input, want] of cases) {
    test(input, () => {
      const a = assessBuild(input, { now: NOW });
      const open = a.cves.map((c) => c.id);
      for (const id of want.has ?? []) assert.ok(open.includes(id), `${id} open`);
      for (const id of want.not ?? []) assert.ok(!open.includes(id), `${id} closed`);
      assert.equal(a.verdict, want.verdict, a.summary);
      if (want.cu) assert.equal(a.cu, want.cu);
      if (want.su !== undefined) assert.equal(a.su, want.su);
    });
  }

  test('the fix named for each open CVE is the SU of the build\'s own CU when one exists', () => {
    const a = assessBuild('15.0.1395.4', { now: NOW });
    const pl = a.cves.find((c) => c.id === 'CVE-2021-26855')!;
    assert.match(pl.fixedIn, /CU21 Mar21SU \(15\.0\.1395\.12\)/);
    assert.equal(pl.kb, 'KB5000871');
    const old = assessBuild('15.1.1261.35', { now: NOW }).cves.find((c) => c.id === 'CVE-2021-26855')!;
    assert.match(old.fixedIn, /CU20 or later \(15\.1\.2242\.4\)/, 'CU7 never got the SU');
  });

  test('support depends on the date: Exchange 2019 CU14 was patched before October 2025', () => {
    assert.equal(assessBuild('15.2.1544.4', { now: Date.parse('2025-01-01') }).verdict, 'patched');
    assert.equal(assessBuild('15.2.1544.4', { now: Date.parse('2025-01-01') }).supported, true);
  });

  test('conditions: CVE-2021-26857 on Exchange 2010 needs UM, CVE-2024-21410 on 2016 needs Extended Protection off', () => {
    const e2010 = assessBuild('14.3.509.0', { now: NOW }).cves;
    assert.deepEqual(e2010.map((c) => c.id), ['CVE-2021-26857']);
    assert.match(e2010[0]!.condition!, /Unified Messaging/);
    const e2016 = assessBuild('15.1.2507.59', { now: NOW }).cves;
    assert.deepEqual(e2016.map((c) => c.id), ['CVE-2024-21410']);
    assert.match(e2016[0]!.condition!, /Extended Protection/);
    const noEp = assessBuild('15.1.2507.6', { now: NOW }).cves.find((c) => c.id === 'CVE-2024-21410')!;
    assert.equal(noEp.condition, undefined, 'before Aug22SU Extended Protection cannot be enabled');
  });

  test('a three-part build lists the SUs of its CU and separates certain from SU-dependent CVEs', () => {
    const a = assessBuild('15.1.2176', { now: NOW });
    assert.equal(a.exact, false);
    assert.deepEqual(a.candidates.map((c) => c.su), [null, 'Feb21SU', 'Mar21SU', 'Apr21SU', 'May21SU']);
    assert.ok(a.cves.some((c) => c.id === 'CVE-2022-41040'));
    assert.ok(!a.cves.some((c) => c.id === 'CVE-2021-26855'));
    assert.ok(a.suDependent.some((c) => c.id === 'CVE-2021-26855'));
    assert.equal(a.verdict, 'vulnerable');
    const se = assessBuild('15.2.2562', { now: NOW });
    assert.equal(se.verdict, 'patched');
  });

  test('the version forms agree', () => {
    assert.deepEqual(parseExchangeVersion('15.01.2176.009'), parseExchangeVersion('15.1.2176.9'));
    assert.equal(assessBuild('15.01.2176.009', { now: NOW }).build, '15.1.2176.9');
    assert.equal(assessBuild('15.01.2176.009', { now: NOW }).buildLong, '15.01.2176.009');
    const unlisted = assessBuild('15.1.2176.99', { now: NOW });
    assert.match(unlisted.notes.join(' '), /not in the build table/);
  });

  test('malformed and unknown versions are usage errors that say why', () => {
    for (const [v, why] of [['abc', /not an Exchange version/], ['15.1', /not an Exchange version/], ['15.9.1.1', /not a known Exchange Server version line/], ['15.1.2177.1', /not a known Exchange 2016 build/], ['16.0.1.1', /version line/]] as const) {
      assert.throws(() => assessBuild(v, { now: NOW }), (e: unknown) => e instanceof UsageError && why.test(e.message), v);
    }
  });
});

describe('exhunt build (CLI)', () => {
  test('--format json prints the promised object, exit 1 when open', async () => {
    const r = await runCli(['build', '15.1.2176.2', '--format', 'json', '--as-of', '2026-11-26']);
    assert.equal(r.code, 1, r.stderr);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(j).slice(0, 8), ['build', 'product', 'cu', 'su', 'releaseDate', 'supported', 'cves', 'verdict']);
    assert.equal(j['product'], 'Exchange 2016');
    assert.equal(j['releaseDate'], '2020-12-15');
    assert.equal(j['supported'], false);
    const cves = j['cves'] as { id: string; name: string; fixedIn: string; kb: string }[];
    assert.ok(cves.length >= 13);
    assert.deepEqual(Object.keys(cves[0]!), ['id', 'name', 'fixedIn', 'kb']);
  });

  test('console output names the CU, each open CVE with its KB and ends with the verdict; exit 0 when patched', async () => {
    const r = await runCli(['build', '15.2.2562.17']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Exchange SE RTM {2}15\.2\.2562\.17/);
    assert.match(r.stdout, /PATCHED/);
    const v = await runCli(['build', '15.0.1497.2', '--as-of', '2026-11-26']);
    assert.match(v.stdout, /CVE-2021-26855 +ProxyLogon +fix: CU23 Mar21SU \(15\.0\.1497\.12\) +KB5000871/);
    assert.match(v.stdout.trim().split('\n').at(-1)!, /^VULNERABLE: Exchange 2013 CU23/);
  });

  test('a bad version is one line on stderr and exit 2', async () => {
    const r = await runCli(['build', '15.1.999999.1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^exhunt: error: 15\.1\.999999\.1 is not a known Exchange 2016 build/);
    assert.equal(r.stdout, '');
  });
});
