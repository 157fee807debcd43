// The timeline for Timesketch, and rendering saved reports again: `exhunt timeline`, `exhunt report`,
// `exhunt export` on a JSON report written by `exhunt hunt`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { csvRecords } from '../src/core/csv.js';
import type { Report } from '../src/core/types.js';
import { TIMELINE_COLUMNS, buildTimeline } from '../src/report/timeline.js';
import { writerById } from '../src/report/registry.js';
import { iisHeader, iisLine } from '../tools/corpus/formats.js';
import { collection, huntFixed, repoRoot, runCli, tempDir } from './helpers.js';

const DEMO = path.join(repoRoot(), 'examples', 'demo-triage');
const ISO_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/;

describe('timeline', () => {
  let report: Report;
  let dir: string;
  let saved: string;
  before(async () => {
    report = await huntFixed([DEMO]);
    dir = tempDir();
    saved = path.join(dir, 'report.json');
    writeFileSync(saved, writerById('json')!.render(report, { color: false, width: 100 }));
  });

  test('Timesketch CSV: the mandatory columns, ISO 8601 datetimes that agree with the timestamps, time order', () => {
    const csv = writerById('timeline')!.render(report, { color: false, width: 100 });
    const rows = csvRecords(csv);
    const header = csv.split('\r\n')[0]!.split(',');
    for (const c of ['message', 'datetime', 'timestamp_desc', 'timestamp']) assert.ok(header.includes(c), c);
    assert.equal(rows.length, buildTimeline(report).length);
    let previous = 0;
    for (const r of rows) {
      assert.match(r['datetime']!, ISO_OFFSET);
      assert.equal(Date.parse(r['datetime']!) * 1000, Number(r['timestamp']));
      assert.ok(Number(r['timestamp']) >= previous, 'time order');
      previous = Number(r['timestamp']);
      assert.ok(r['message']!.length > 0 && r['timestamp_desc']!.length > 0);
    }
    // What matters is in it: findings' records, the attacker's other records, the web-shell file times.
    assert.ok(rows.some((r) => r['kind'] === 'finding' && r['rule'] === 'exchange-proxylogon-ssrf' && r['client_ip'] === '203.0.113.45'));
    assert.ok(rows.some((r) => r['kind'] === 'context' && r['client_ip'] === '198.51.100.77' && r['source'] === 'evtx'));
    assert.ok(rows.some((r) => r['kind'] === 'context' && r['source'] === 'exchange-ecp-server' && r['intrusion'] !== ''));
    const shellFile = rows.find((r) => r['kind'] === 'file' && r['file']!.endsWith('RedirSuiteServerProxy.aspx'));
    assert.equal(shellFile?.['timestamp_desc'], 'Content Modification Time');
    assert.equal(shellFile?.['datetime'], '2021-03-03T06:49:58.000000+00:00');
  });

  test('Python\'s csv module and datetime.fromisoformat read it as Timesketch\'s importer would', () => {
    const file = path.join(dir, 'timeline.csv');
    writeFileSync(file, writerById('timeline')!.render(report, { color: false, width: 100 }));
    const script = [
      'import csv, sys, datetime',
      'rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))',
      'need = {"message", "datetime", "timestamp_desc"}',
      'assert need <= set(rows[0].keys()), rows[0].keys()',
      'for r in rows:',
      '    d = datetime.datetime.fromisoformat(r["datetime"])',
      '    assert d.utcoffset() == datetime.timedelta(0)',
      '    assert round(d.timestamp() * 1e6) == int(r["timestamp"]), (r["datetime"], r["timestamp"])',
      '    assert None not in r and None not in r.values(), "ragged row"',
      'print(len(rows))',
    ].join('\n');
    const out = execFileSync('python3', ['-c', script, file], { encoding: 'utf8' });
    assert.equal(Number(out.trim()), buildTimeline(report).length);
  });

  test('JSONL: one object per line with the mandatory fields, in column order', () => {
    const lines = writerById('timeline-jsonl')!.render(report, { color: false, width: 100 }).trimEnd().split('\n');
    assert.equal(lines.length, buildTimeline(report).length);
    for (const l of lines) {
      const o = JSON.parse(l) as Record<string, unknown>;
      assert.deepEqual(Object.keys(o), [...TIMELINE_COLUMNS]);
      assert.equal(typeof o['message'], 'string');
      assert.match(String(o['datetime']), ISO_OFFSET);
    }
  });

  test('evidence that would be a spreadsheet formula is defused in CSV and kept in JSONL', async () => {
    const t = Date.parse('2021-03-05T03:06:27Z');
    const line = iisLine({ time: t, serverIp: '10.0.0.5', method: 'GET', stem: '/aspnet_client/x.aspx', query: 'cmd=whoami', port: 443, user: '', clientIp: '198.51.100.77', userAgent: '=HYPERLINK("http://x")', status: 200, timeTaken: 5 });
    const r = await huntFixed([collection({ 'u_ex.log': `${iisHeader(t)}${line}\r\n` })]);
    const csv = writerById('timeline')!.render(r, { color: false, width: 100 });
    assert.ok(!/(^|,)=HYPERLINK/m.test(csv), 'no cell starts with =');
    const jsonl = writerById('timeline-jsonl')!.render(r, { color: false, width: 100 });
    assert.ok(jsonl.includes('=HYPERLINK'));
  });

  test('exhunt timeline: a collection or a saved report give the same timeline; the format follows the file name', async () => {
    const fromHunt = path.join(dir, 'hunt.csv');
    const fromSaved = path.join(dir, 'saved.csv');
    const hunted = await runCli(['timeline', DEMO, '-o', fromHunt, '-q']);
    assert.equal(hunted.code, 1, 'findings: exit code 1 as for hunt');
    const again = await runCli(['timeline', saved, '-o', fromSaved]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(readFileSync(fromSaved, 'utf8'), writerById('timeline')!.render(report, { color: false, width: 100 }));
    assert.equal(readFileSync(fromHunt, 'utf8').split('\r\n')[0], readFileSync(fromSaved, 'utf8').split('\r\n')[0]);
    const jsonl = path.join(dir, 't.jsonl');
    assert.equal((await runCli(['timeline', saved, '-o', jsonl])).code, 0);
    assert.ok(readFileSync(jsonl, 'utf8').startsWith('{"message":'));
    const bad = await runCli(['timeline', saved, '--format', 'xml']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--format: expected csv or jsonl/);
    const mixed = await runCli(['timeline', saved, '--sigma', 'x']);
    assert.equal(mixed.code, 2);
    assert.match(mixed.stderr, /applies to a hunt, not to a saved report/);
  });

  test('exhunt report renders a saved report in every format, exactly as hunt would have', async () => {
    for (const id of ['html', 'console', 'csv', 'timeline']) {
      const r = await runCli(['report', saved, '--format', id, '--no-color']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, writerById(id)!.render(report, { color: false, width: 100 }), id);
    }
  });

  test('exhunt report: a report from before schema 1.5 gets its intrusions from its findings', async () => {
    const old = JSON.parse(readFileSync(saved, 'utf8')) as Record<string, unknown>;
    delete old['intrusions'];
    delete old['context'];
    old['schemaVersion'] = '1.4';
    const file = path.join(dir, 'old.json');
    writeFileSync(file, JSON.stringify(old));
    const r = await runCli(['report', file, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const back = JSON.parse(r.stdout) as Report;
    assert.equal(back.intrusions?.length, 1);
    assert.deepEqual(back.intrusions![0]!.ips, ['198.51.100.77', '203.0.113.45']);
  });

  test('exhunt report and export refuse what is not a report, in one line naming the file', async () => {
    const notJson = path.join(dir, 'x.json');
    writeFileSync(notJson, '{"schemaVersion": "1.5", "findings": [');
    const other = path.join(dir, 'other.json');
    writeFileSync(other, '{"hello": 1}');
    const badFinding = path.join(dir, 'bad.json');
    const doc = JSON.parse(readFileSync(saved, 'utf8')) as { findings: unknown[] };
    doc.findings[0] = { id: 3 };
    writeFileSync(badFinding, JSON.stringify(doc));
    for (const [file, msg] of [[notJson, /x\.json: not a JSON report/], [other, /other\.json: not an exhunt report/], [badFinding, /bad\.json: finding 1 is malformed/], [path.join(dir, 'missing.json'), /missing\.json: cannot read/]] as const) {
      for (const argv of [['report', file], ['export', '--stix', file]]) {
        const r = await runCli(argv);
        assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, msg);
        assert.equal(r.stderr.trim().split('\n')[0]!.startsWith('exhunt: error:'), true);
      }
    }
    const noFormat = await runCli(['export', saved]);
    assert.equal(noFormat.code, 2);
    assert.match(noFormat.stderr, /choose a format: --stix/);
  });
});
