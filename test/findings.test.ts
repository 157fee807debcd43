// Grouping hits into findings and the verdict drawn from them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Coverage, Finding, LogEvent, Severity, Stage } from '../src/core/types.js';
import { computeVerdict } from '../src/correlate/verdict.js';
import { EVIDENCE_PER_FINDING, FindingAccumulator, findingId } from '../src/detect/accumulate.js';
import { TIER_LIMITS } from '../src/detect/group-limit.js';
import type { Detector, Hit } from '../src/detect/types.js';
import { Rng } from '../tools/corpus/rng.js';

const det: Detector = {
  id: 'test-rule',
  title: 'test',
  story: 'tested',
  appliesTo: ['iis'],
  needles: ['x'],
  cves: ['CVE-2021-26855'],
  attack: ['T1190'],
  explanation: 'e',
  remediation: ['r'],
  references: ['ref'],
  inspect: () => undefined,
};

function ev(i: number, file = 'f.log'): LogEvent {
  return { source: 'iis', time: Date.UTC(2021, 2, 3) + i * 1000, fields: {}, prov: { input: 0, file, line: i + 1, offset: i * 100 }, raw: `line ${i}` };
}

function hit(key: string, severity: Severity, stage: Stage, ip = '192.0.2.1'): Hit {
  return { key, title: `${severity} ${key}`, severity, stage, summary: `s ${severity}`, clientIp: ip, facets: { status: severity } };
}

describe('finding accumulation', () => {
  test('groups by rule and key; severity, stage and title follow the worst record', () => {
    const acc = new FindingAccumulator();
    acc.add(det, hit('a', 'medium', 'attempt'), ev(0));
    acc.add(det, hit('a', 'critical', 'compromise', '192.0.2.2'), ev(5));
    acc.add(det, hit('a', 'low', 'scan'), ev(9));
    acc.add(det, hit('b', 'low', 'scan'), ev(3));
    const [a, b] = acc.findings();
    assert.equal(a!.severity, 'critical');
    assert.equal(a!.stage, 'compromise');
    assert.equal(a!.title, 'critical a');
    assert.equal(a!.count, 3);
    assert.equal(a!.time, '2021-03-03T00:00:00.000Z');
    assert.equal(a!.lastSeen, '2021-03-03T00:00:09.000Z');
    assert.deepEqual(a!.details['clientIp'], ['192.0.2.1', '192.0.2.2']);
    assert.deepEqual(a!.evidence.map((e) => e.line), [1, 6, 10], 'evidence in time order');
    assert.equal(a!.id, findingId('test-rule', 'a'));
    assert.equal(b!.severity, 'low');
  });

  test('evidence is bounded and keeps the most severe records', () => {
    const acc = new FindingAccumulator();
    for (let i = 0; i < 500; i++) acc.add(det, hit('k', i === 400 ? 'critical' : 'low', 'scan'), ev(i));
    const [f] = acc.findings();
    assert.equal(f!.count, 500);
    assert.equal(f!.evidence.length, EVIDENCE_PER_FINDING);
    assert.ok(f!.evidence.some((e) => e.line === 401));
  });

  test('merging partial results in any order gives the same findings', () => {
    const rng = new Rng(3);
    const records = Array.from({ length: 300 }, (_, i) => ({ i, key: `k${rng.int(7)}`, sev: rng.pick(['low', 'medium', 'high', 'critical'] as const), file: `f${rng.int(4)}.log` }));
    const run = (order: number[], parts: number) => {
      const total = new FindingAccumulator();
      const chunks: FindingAccumulator[] = Array.from({ length: parts }, () => new FindingAccumulator());
      order.forEach((idx, n) => {
        const r = records[idx]!;
        chunks[n % parts]!.add(det, hit(r.key, r.sev, 'attempt', `10.0.0.${r.i % 5}`), ev(r.i, r.file));
      });
      for (const c of [...chunks].reverse()) total.merge(c.state());
      return total.findings();
    };
    const forward = records.map((_, i) => i);
    const shuffled = [...forward].sort(() => rng.next() - 0.5);
    assert.deepEqual(run(shuffled, 3), run(forward, 1));
    assert.deepEqual(run(forward, 5), run(forward, 1));
  });

  test('a flood of low findings is capped by subject order, and never pushes out a serious one', () => {
    const limit = TIER_LIMITS.low;
    const keys = Array.from({ length: limit + 10 }, (_, i) => `k${String(i).padStart(5, '0')}`);
    const run = (order: string[], parts: number) => {
      const total = new FindingAccumulator();
      const chunks = Array.from({ length: parts }, () => new FindingAccumulator());
      order.forEach((k, n) => chunks[n % parts]!.add(det, hit(k, 'low', 'scan'), ev(n)));
      // The attack comes last and sorts last: it must survive the flood.
      chunks[0]!.add(det, hit('zzz-shell', 'critical', 'compromise'), ev(99999));
      for (const c of chunks) total.merge(c.state());
      return total;
    };
    const acc = run(keys, 1);
    const f = acc.findings();
    assert.equal(f.length, limit + 1);
    assert.equal(f[0]!.severity, 'critical');
    assert.deepEqual(acc.droppedRecords(), { 'test-rule': 10 });
    const kept = f.filter((x) => x.severity === 'low').map((x) => x.title.split(' ')[1]).sort();
    assert.deepEqual(kept, keys.slice(0, limit), 'the subjects that sort first are kept');
    // The same findings whatever the arrival order and the number of threads.
    const shuffled = [...keys].reverse();
    const other = run(shuffled, 3);
    assert.deepEqual(other.findings().map((x) => x.id).sort(), f.map((x) => x.id).sort());
    assert.deepEqual(other.droppedRecords(), { 'test-rule': 10 });
  });

  test('long attacker-chosen keys, titles and facet values are clipped', () => {
    const acc = new FindingAccumulator();
    const long = 'A'.repeat(5000);
    acc.add(det, { ...hit(long, 'high', 'attempt'), title: long, facets: { userAgent: long } }, ev(0));
    const [f] = acc.findings();
    assert.ok(f!.title.length <= 301);
    assert.ok(f!.details['userAgent']![0]!.length <= 301);
  });
});

const coverage = (sources: Coverage['sources']): Coverage => ({ sources, files: [] });
const finding = (stage: Stage, severity: Severity, ip?: string): Finding => ({
  id: `F-${stage}`, rule: 'r', title: `${stage} finding`, severity, stage, cves: [], attack: [], count: 1, summary: '', story: `${stage} happened`, explanation: '', remediation: [`fix ${stage}`],
  details: ip ? { clientIp: [ip] } : {}, evidence: [], time: '2021-03-03T00:00:00.000Z',
});

describe('verdict', () => {
  const iis = { source: 'iis' as const, files: 2, events: 10, parseErrors: 0, first: '2021-03-01T00:00:00.000Z', last: '2021-03-09T00:00:00.000Z' };

  test('the most serious stage decides', () => {
    assert.equal(computeVerdict([], coverage([iis])).status, 'NOTHING FOUND');
    assert.equal(computeVerdict([finding('info', 'low')], coverage([iis])).status, 'NOTHING FOUND');
    assert.equal(computeVerdict([finding('scan', 'low', '192.0.2.9')], coverage([iis])).status, 'SCANNED ONLY');
    assert.equal(computeVerdict([finding('scan', 'low'), finding('attempt', 'medium')], coverage([iis])).status, 'EXPLOITATION ATTEMPTED');
    const v = computeVerdict([finding('attempt', 'medium'), finding('compromise', 'critical')], coverage([iis]));
    assert.equal(v.status, 'COMPROMISED');
    assert.equal(v.summary, 'An attack succeeded: compromise happened.');
  });

  test('attacker IPs, coverage in words, missing sources, next steps', () => {
    const v = computeVerdict([finding('scan', 'low', '192.0.2.9'), finding('compromise', 'critical', '203.0.113.5')], coverage([iis]));
    assert.deepEqual(v.attackerIps, ['203.0.113.5'], 'scanners are not listed as attackers of a compromised server');
    assert.match(v.coverage, /^IIS 2021-03-01 00:00 UTC → 2021-03-09 00:00 UTC \(2 files\)$/);
    assert.deepEqual(v.gaps.map((g) => g.split(':')[0]), ['Not in the collection', 'Not in the collection', 'Not in the collection']);
    assert.match(v.gaps.join(' '), /HttpProxy logs/);
    assert.match(v.gaps.join(' '), /ECP Server logs/);
    assert.match(v.gaps.join(' '), /Windows event logs/);
    assert.match(v.nextSteps[0]!, /Treat the server as breached/);
    assert.ok(v.nextSteps.includes('fix compromise'));
    assert.ok(!v.nextSteps.includes('fix scan'));
    const scanned = computeVerdict([finding('scan', 'low', '192.0.2.9')], coverage([iis]));
    assert.deepEqual(scanned.attackerIps, ['192.0.2.9']);
    assert.match(computeVerdict([], coverage([])).summary, /No log file could be read/);
  });
});
