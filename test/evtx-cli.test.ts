// `exhunt evtx`: the dump command on its own (formats, filters, damaged input, exit codes).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { winEvent, writeEvtx } from '../tools/corpus/evtx-writer.js';
import { collection, runCli, sharedDir, tempDir } from './helpers.js';

const SAMPLES = path.join(sharedDir(), 'samples', 'evtx');
const T0 = Date.parse('2021-03-06T17:27:45.000Z');

function file(n: number): Buffer {
  return writeEvtx(
    Array.from({ length: n }, (_, i) => ({
      event: winEvent({ provider: 'Microsoft-Windows-Security-Auditing', eventId: i % 2 === 0 ? 4688 : 4624, time: T0 + i, channel: 'Security', computer: 'h', recordId: i + 1, data: [['CommandLine', `cmd /c echo ${i} <&> "\u001b]0;x\u0007"`]] }),
      written: T0 + i,
    })),
  );
}

describe('exhunt evtx', () => {
  test('JSON lines: one record per line, evtx_dump shape plus provenance', async () => {
    const root = collection({ 'Security.evtx': file(5) });
    const r = await runCli(['evtx', path.join(root, 'Security.evtx')]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 5);
    const first = JSON.parse(lines[0]!) as { Event: { System: { EventID: number }; EventData: { CommandLine: string } }; exhunt: Record<string, unknown> };
    assert.equal(first.Event.System.EventID, 4688);
    assert.equal(first.Event.EventData.CommandLine, 'cmd /c echo 0 <&> "\u001b]0;x\u0007"', 'JSON keeps the value exactly (escaped)');
    assert.doesNotMatch(r.stdout, /\u001b/, 'no raw control characters reach the terminal');
    assert.deepEqual(first.exhunt, { file: path.join(root, 'Security.evtx'), chunk: 0, offset: 4608, record: 1, written: '2021-03-06T17:27:45.000000Z', recovered: false });
    assert.match(r.stderr, /5 records from 1 file/);
  });

  test('a JSON array, XML, --event-id, -o', async () => {
    const root = collection({ 'logs/a.evtx': file(6), 'logs/notes.txt': 'not a log' });
    const json = await runCli(['evtx', '-f', 'json', '-q', path.join(root, 'logs')]);
    assert.equal(json.code, 0);
    assert.equal((JSON.parse(json.stdout) as unknown[]).length, 6);
    const xml = await runCli(['evtx', '--format', 'xml', '--event-id', '4624', '-q', path.join(root, 'logs')]);
    assert.equal(xml.code, 0);
    assert.equal((xml.stdout.match(/<Event xmlns=/g) ?? []).length, 3);
    assert.match(xml.stdout, /^<\?xml version="1\.0" encoding="utf-8"\?>\n<Events>\n/);
    assert.match(xml.stdout, /<Data Name="CommandLine">cmd \/c echo 1 &lt;&amp;&gt; &quot;\ufffd\]0;x\ufffd&quot;<\/Data>/);
    assert.match(xml.stdout, /<\/Events>\n$/);
    const out = path.join(tempDir(), 'dump.jsonl');
    const written = await runCli(['evtx', '-o', out, path.join(root, 'logs', 'a.evtx')]);
    assert.equal(written.stdout, '');
    assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 6);
  });

  test('damaged files: problems on stderr with file and offset, records still dumped, exit 1', async () => {
    const r = await runCli(['evtx', path.join(SAMPLES, 'sample_with_a_bad_chunk_magic.evtx')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /sample_with_a_bad_chunk_magic\.evtx@397312: chunk 6: damaged chunk header/);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { exhunt: { recovered: boolean } });
    assert.equal(lines.filter((l) => !l.exhunt.recovered).length, 270);
    const live = await runCli(['evtx', '--no-recovered', '-q', path.join(SAMPLES, 'sample_with_a_bad_chunk_magic.evtx')]);
    assert.equal(live.stdout.trim().split('\n').length, 270);
  });

  test('usage and input errors exit 2', async () => {
    assert.equal((await runCli(['evtx'])).code, 2);
    assert.equal((await runCli(['evtx', '-f', 'csv', SAMPLES])).code, 2);
    assert.equal((await runCli(['evtx', '--event-id', 'x', SAMPLES])).code, 2);
    const notEvtx = collection({ 'a.txt': 'hello' });
    const r = await runCli(['evtx', path.join(notEvtx, 'a.txt')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not an EVTX file/);
  });
});
