// The EVTX parser: evtx_dump's JSON for every sigma-regression golden record, python-evtx's record
// list for every shared sample it can read, the renderings of every token and value type through
// files written by tools/corpus/evtx-writer.ts, and damaged or hostile files.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { crc32 } from '../src/core/crc32.js';
import { type JsonObject, jsonText } from '../src/parsers/evtx/render-json.js';
import { type EvtxFileInfo, readEvtx } from '../src/parsers/evtx/reader.js';
import { bufferByteSource, fileByteSource } from '../src/sources/bytes.js';
import type { ByteSource } from '../src/sources/types.js';
import { type XElement, winEvent, writeEvtx } from '../tools/corpus/evtx-writer.js';
import { sharedDir } from './helpers.js';
import { parseAllExact } from './json-exact.js';

const run = promisify(execFile);
const SAMPLES = path.join(sharedDir(), 'samples', 'evtx');
const REGRESSION = path.join(sharedDir(), 'samples', 'sigma-regression');
const PY_LISTER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'tools', 'pyevtx_records.py');

/** What the tests keep of a record: records render only during their callback. */
interface Snap {
  id: number;
  chunk: number;
  offset: number;
  recovered: boolean;
  written: string;
  event: JsonObject;
  xml?: string;
  system: { eventId: number; provider: string; channel: string; recordId: number; timeMs: number };
}

type EvtxRecord = Snap;

interface Read {
  records: Snap[];
  issues: { code: string; message: string; offset: number }[];
  info: EvtxFileInfo;
}


async function readAll(src: ByteSource | string | Buffer, options: { render?: 'xml' } = {}, step?: number): Promise<Read> {
  const source = typeof src === 'string' ? await fileByteSource(src) : Buffer.isBuffer(src) ? bufferByteSource(src, step) : src;
  const out: Read = { records: [], issues: [], info: undefined as unknown as EvtxFileInfo };
  try {
    out.info = await readEvtx(source, {
      record: (r) => {
        const snap: Snap = { id: r.id, chunk: r.chunk, offset: r.offset, recovered: r.recovered, written: r.written, system: r.system, event: r.event };
        if (options.render === 'xml') snap.xml = r.xml;
        out.records.push(snap);
      },
      issue: (code, message, offset) => void out.issues.push({ code, message, offset }),
    });
  } finally {
    await source.close();
  }
  return out;
}

function walk(dir: string, ext: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p, ext) : p.endsWith(ext) ? [p] : [];
  });
}

function system(r: EvtxRecord): JsonObject {
  return (r.event!['Event'] as JsonObject)['System'] as JsonObject;
}

function eventIdOf(r: EvtxRecord): number {
  const id = system(r)['EventID'];
  return Number(typeof id === 'object' && id !== null ? (id as JsonObject)['#text'] : id);
}

function eventData(r: EvtxRecord): JsonObject {
  return (r.event!['Event'] as JsonObject)['EventData'] as JsonObject;
}

const T0 = Date.parse('2021-03-06T17:27:45.123Z');

function sampleEvent(extra: Partial<Parameters<typeof winEvent>[0]> = {}): XElement {
  return winEvent({
    provider: 'Microsoft-Windows-Security-Auditing',
    providerGuid: '54849625-5478-4994-A5BA-3E3B0328C30D',
    eventId: 4688,
    version: 2,
    level: 0,
    task: 13312,
    time: T0,
    recordId: 7,
    channel: 'Security',
    computer: 'exch01.contoso.local',
    data: [
      ['NewProcessName', 'C:\\Windows\\System32\\cmd.exe'],
      ['CommandLine', 'cmd /c whoami'],
    ],
    ...extra,
  });
}

describe('EVTX parser', () => {
  describe('matches evtx_dump on the sigma-regression goldens', () => {
    const files = walk(REGRESSION, '.evtx');
    test('the corpus is there', () => assert.equal(files.length, 51));
    for (const file of files) {
      test(path.relative(REGRESSION, file), async () => {
        const gold = parseAllExact(readFileSync(file.replace(/\.evtx$/, '.json'), 'utf8'));
        const { records } = await readAll(file);
        const live = records.filter((r) => !r.recovered);
        assert.equal(live.length, gold.length, 'record count');
        live.forEach((r, i) => {
          // Field by field (numbers, BigInt and strings stay distinct), then key order too.
          assert.deepEqual(r.event, gold[i], `record ${r.id}`);
          assert.equal(jsonText(r.event!), jsonText(gold[i] as JsonObject), `record ${r.id}: key order`);
        });
      });
    }
  });

  describe('matches python-evtx on every shared sample it reads', () => {
    const files = [...readdirSync(SAMPLES).filter((f) => f.endsWith('.evtx')).map((f) => path.join(SAMPLES, f)), ...walk(REGRESSION, '.evtx')];
    const available = existsSync('/usr/bin/python3') && (() => {
      try {
        return readFileSync('/usr/lib/python3/dist-packages/Evtx/Evtx.py').length > 0;
      } catch {
        return false;
      }
    })();
    // CI installs python3-evtx (.ci/run); elsewhere the comparison needs it installed by hand.
    test('python-evtx is installed', { skip: !available && !process.env['CI'] ? 'python3-evtx not installed (apt-get install python3-evtx)' : false }, () => {
      assert.ok(available, 'python3-evtx is missing: .ci/run installs it');
    });
    test('record ids, event ids and times agree', { skip: !available ? 'python3-evtx not installed' : false, timeout: 600_000 }, async () => {
      let compared = 0;
      let refused = 0;
      // Two python processes at a time (python-evtx reads about 0.2 MB/s).
      const queue = [...files];
      const worker = async () => {
        for (let file = queue.shift(); file; file = queue.shift()) {
          let lines: string[];
          try {
            lines = (await run('/usr/bin/python3', [PY_LISTER, file], { maxBuffer: 256 * 1024 * 1024 })).stdout.trim().split('\n').filter(Boolean);
          } catch {
            refused++; // python-evtx fails on this file (e.g. the WEC-forwarded MSExchange event)
            continue;
          }
          const ref = lines.map((l) => JSON.parse(l) as { id: number; eventId: number | null; recordId: number | null; time: string | null });
          const mine = (await readAll(file)).records.filter((r) => !r.recovered);
          const name = path.basename(file);
          assert.equal(mine.length, ref.length, `${name}: record count`);
          // python-evtx reads chunks in its own order; records are matched by record number.
          const byId = new Map(mine.map((r) => [r.id, r]));
          for (const p of ref) {
            const r = byId.get(p.id);
            assert.ok(r, `${name}: record ${p.id} missing`);
            assert.equal(eventIdOf(r), p.eventId, `${name}: record ${p.id} EventID`);
            const recordId = system(r)['EventRecordID'];
            assert.equal(recordId === null || recordId === undefined ? null : Number(recordId), p.recordId, `${name}: record ${p.id} EventRecordID`);
            const created = system(r)['TimeCreated'] as JsonObject | null;
            const t = created ? String((created['#attributes'] as JsonObject)['SystemTime']) : '';
            if (!p.time) {
              assert.equal(t, '', `${name}: record ${p.id} has no TimeCreated`);
              continue;
            }
            // python-evtx computes float(filetime) * 1e-7, whose last bit is ~2 µs at these dates;
            // evtx_dump (and we) convert exactly and truncate to µs.
            const us = (s: string) => Date.parse(`${s.slice(0, 19).replace(' ', 'T')}Z`) * 1000 + Number(s.slice(20, 26).padEnd(6, '0'));
            assert.ok(Math.abs(us(t) - us(p.time)) <= 3, `${name}: record ${p.id} TimeCreated ${t} vs ${p.time}`);
          }
          compared++;
        }
      };
      await Promise.all([worker(), worker()]);
      assert.ok(compared >= 60, `compared ${compared} files (python-evtx refused ${refused})`);
      assert.ok(refused <= 3, `python-evtx refused ${refused} files`);
    });
  });

  describe('the shared samples', () => {
    test('forwarded (WEC) MSExchange Management event: every Data value, as strings', async () => {
      const { records, issues } = await readAll(path.join(SAMPLES, 'MSExchange_Management_wec.evtx'));
      assert.deepEqual(issues, []);
      assert.equal(records.length, 1);
      const data = eventData(records[0]!)['Data'] as JsonObject;
      const list = data['#text'] as string[];
      assert.equal(list.length, 27);
      assert.equal(list[0], 'Set-Mailbox');
      assert.match(list[1]!, /-ForwardingSmtpAddress "smtp:test2@example.com"/);
      assert.equal(system(records[0]!)['Channel'], 'MSExchange Management');
    });

    test('native MSExchange Management event: the string array becomes a list', async () => {
      const { records } = await readAll(path.join(SAMPLES, 'exchange-cmdlet-id6-install-transportagent.evtx'));
      const live = records.filter((r) => !r.recovered);
      assert.equal(live.length, 4);
      const list = (eventData(live[0]!)['Data'] as JsonObject)['#text'] as string[];
      assert.equal(list[0], 'Install-TransportAgent');
      assert.match(list[1]!, /-AssemblyPath "\.\\NetshHelperBeacon\.dll"/);
      assert.equal(eventIdOf(live[0]!), 6);
    });

    test('a damaged chunk signature is reported with its offset and its records recovered', async () => {
      const { records, issues, info } = await readAll(path.join(SAMPLES, 'sample_with_a_bad_chunk_magic.evtx'));
      assert.ok(issues.some((i) => i.code === 'E_EVTX' && /chunk 6: damaged chunk header/.test(i.message) && i.offset === 4096 + 6 * 65536));
      assert.equal(records.filter((r) => !r.recovered).length, 270);
      assert.ok(info.recovered > 0 && records.filter((r) => r.recovered).every((r) => r.chunk === 6 || r.chunk === 10 || r.chunk === 0 || r.chunk === 7 || r.chunk === 9));
      for (const r of records.filter((x) => x.recovered)) assert.equal(Object.keys(r.event!)[0], 'Event');
    });

    test('files without checksums, with a bad string cache or irregular booleans read cleanly', async () => {
      for (const [name, count] of [['Application_no_crc32.evtx', 17], ['security_bad_string_cache.evtx', 2261], ['sample-with-irregular-bool-values.evtx', 3028]] as const) {
        const { records, issues } = await readAll(path.join(SAMPLES, name));
        assert.deepEqual(issues, [], name);
        assert.equal(records.filter((r) => !r.recovered).length, count, name);
      }
    });

    test('small reads give the same records as large ones', async () => {
      const data = readFileSync(path.join(SAMPLES, 'sysmon.evtx'));
      const whole = await readAll(data);
      const trickle = await readAll(data, {}, 1000);
      assert.deepEqual(trickle.records.map((r) => jsonText(r.event!)), whole.records.map((r) => jsonText(r.event!)));
    });
  });

  describe('every token and value type (files from the EVTX writer)', () => {
    test('System section, typed values, provenance', async () => {
      const file = writeEvtx([{ event: sampleEvent(), written: T0 + 5 }]);
      const { records, issues, info } = await readAll(file);
      assert.deepEqual(issues, []);
      assert.equal(info.records, 1);
      const r = records[0]!;
      assert.deepEqual([r.id, r.chunk, r.offset, r.recovered, r.written], [1, 0, 4096 + 512, false, '2021-03-06T17:27:45.128000Z']);
      const sys = system(r);
      assert.deepEqual(sys['Provider'], { '#attributes': { Name: 'Microsoft-Windows-Security-Auditing', Guid: '54849625-5478-4994-A5BA-3E3B0328C30D' } });
      assert.equal(sys['EventID'], 4688);
      assert.equal(sys['Keywords'], '0x8020000000000000');
      assert.deepEqual(sys['TimeCreated'], { '#attributes': { SystemTime: '2021-03-06T17:27:45.123000Z' } });
      assert.equal(sys['Correlation'], null);
      assert.deepEqual(eventData(r), { NewProcessName: 'C:\\Windows\\System32\\cmd.exe', CommandLine: 'cmd /c whoami' });
    });

    test('every substitution type renders as evtx_dump writes it', async () => {
      const ev = winEvent({
        provider: 'Test', eventId: 1, time: T0, channel: 'Application', computer: 'h',
        data: [
          ['s', 'text  \u0000junk'],
          ['ansi', { t: 'ansi', v: 'caf\u00e9 \u0080' }],
          ['i8', { t: 'u8', v: 255 }],
          ['u16', { t: 'u16', v: 65535 }],
          ['i32', { t: 'i32', v: -5 }],
          ['u32', 4294967295],
          ['i64', { t: 'i64', v: -9007199254740993n }],
          ['u64', { t: 'u64', v: 18446744073709551615n }],
          ['hex32', { t: 'hex32', v: 0x1f }],
          ['hex64', { t: 'hex64', v: 0x8000000000000000n }],
          ['bool', true],
          ['guid', { t: 'guid', v: '{0e5b6f3f-1234-4abc-8def-0123456789ab}' }],
          ['sid', { t: 'sid', v: 'S-1-5-21-1004336348-1177238915-682003330-500' }],
          ['ft', { t: 'filetime', ms: T0 }],
          ['st', { t: 'systime', ms: T0 }],
          ['bin', { t: 'binary', v: Buffer.from([0xde, 0xad, 0x01]) }],
          ['null', null],
        ],
      });
      const { records, issues } = await readAll(writeEvtx([{ event: ev }]));
      assert.deepEqual(issues, []);
      assert.deepEqual(eventData(records[0]!), {
        s: 'text',
        ansi: 'café €',
        i8: 255,
        u16: 65535,
        i32: -5,
        u32: 4294967295,
        i64: -9007199254740993n,
        u64: 18446744073709551615n,
        hex32: '0x1f',
        hex64: '0x8000000000000000',
        bool: true,
        guid: '0E5B6F3F-1234-4ABC-8DEF-0123456789AB',
        sid: 'S-1-5-21-1004336348-1177238915-682003330-500',
        ft: '2021-03-06T17:27:45.123000Z',
        st: '2021-03-06T17:27:45.123000Z',
        bin: 'DEAD01',
        null: '',
      });
      assert.match(jsonText(records[0]!.event!), /"u64":18446744073709551615,/, 'big integers written exactly');
    });

    test('string arrays repeat their <Data>; a lone array item is a scalar', async () => {
      const ev = winEvent({ provider: 'MSExchange CmdletLogs', eventId: 1, time: T0, channel: 'MSExchange Management', computer: 'h', data: [{ t: 'strings', v: ['Set-Mailbox', "-Identity 'x' -ForwardingSmtpAddress 'smtp:a@b.example'", ''] }] });
      const one = winEvent({ provider: 'P', eventId: 2, time: T0, channel: 'Application', computer: 'h', data: [{ t: 'strings', v: ['only'] }] });
      const { records } = await readAll(writeEvtx([{ event: ev }, { event: one }]));
      assert.deepEqual(eventData(records[0]!), { Data: { '#text': ['Set-Mailbox', "-Identity 'x' -ForwardingSmtpAddress 'smtp:a@b.example'", ''] } });
      assert.deepEqual(eventData(records[1]!), { Data: { '#text': 'only' } });
      const xml = (await readAll(writeEvtx([{ event: ev }]), { render: 'xml' })).records[0]!.xml!;
      assert.match(xml, /<Data>Set-Mailbox<\/Data>\n\s*<Data>-Identity 'x' -ForwardingSmtpAddress 'smtp:a@b\.example'<\/Data>\n\s*<Data\/>/);
    });

    test('RenderingInfo of a forwarded event, repeated names numbered', async () => {
      const ev = sampleEvent({
        rendering: { culture: 'en-US', message: 'A new process has been created.', level: 'Information', task: 'Process Creation', opcode: 'Info', channel: 'Security', provider: 'Microsoft Windows security auditing.', keywords: ['Audit Success', 'Classic'] },
      });
      const { records } = await readAll(writeEvtx([{ event: ev }]));
      const event = records[0]!.event!['Event'] as JsonObject;
      assert.deepEqual(event['RenderingInfo'], {
        '#attributes': { Culture: 'en-US' },
        Message: 'A new process has been created.',
        Level: 'Information',
        Task: 'Process Creation',
        Opcode: 'Info',
        Channel: 'Security',
        Provider: 'Microsoft Windows security auditing.',
        Keywords: { Keyword: 'Audit Success', Keyword_1: 'Classic' },
      });
    });

    test('nested binary XML (UserData), CDATA, character and entity references', async () => {
      const userData: XElement = { name: 'LogFileCleared', attrs: [['xmlns', 'http://manifests.microsoft.com/win/2004/08/windows/eventlog']], content: [{ name: 'SubjectUserName', content: ['tony'] }, { name: 'Channel', content: ['Security'] }] };
      const ev = winEvent({ provider: 'Microsoft-Windows-Eventlog', eventId: 1102, time: T0, channel: 'Security', computer: 'h', userData: { name: 'Wrapper', content: [{ t: 'binxml', v: userData }] } });
      const markup: XElement = { name: 'Event', content: [{ name: 'Msg', content: ['a', { t: 'entity', v: 'amp' }, 'b', { t: 'charref', v: 0x263a }, { t: 'cdata', v: '<x>' }] }] };
      const { records, issues } = await readAll(writeEvtx([{ event: ev }, { event: markup }]));
      assert.deepEqual(issues, []);
      const ud = (records[0]!.event!['Event'] as JsonObject)['UserData'] as JsonObject;
      assert.deepEqual(ud['Wrapper'], { LogFileCleared: { '#attributes': { xmlns: 'http://manifests.microsoft.com/win/2004/08/windows/eventlog' }, SubjectUserName: 'tony', Channel: 'Security' } });
      assert.deepEqual(records[1]!.event, { Event: { Msg: 'a&b\u263a<x>' } });
      const xml = (await readAll(writeEvtx([{ event: markup }]), { render: 'xml' })).records[0]!.xml!;
      assert.equal(xml, '<Event>\n  <Msg>a&amp;b\u263a&lt;x&gt;</Msg>\n</Event>');
    });

    test('XML output escapes attacker text and control characters', async () => {
      const ev = sampleEvent({ data: [['CommandLine', 'cmd /c "a<b>&c"\u001b[2J']] });
      const xml = (await readAll(writeEvtx([{ event: ev }]), { render: 'xml' })).records[0]!.xml!;
      assert.match(xml, /<Data Name="CommandLine">cmd \/c &quot;a&lt;b&gt;&amp;c&quot;\ufffd\[2J<\/Data>/);
      assert.doesNotMatch(xml, /\u001b/);
    });

    test('records render only during their callback; System facts need no rendering', async () => {
      let kept: { event: unknown; system: { eventId: number; timeMs: number } } | undefined;
      const src = bufferByteSource(writeEvtx([{ event: sampleEvent() }]));
      await readEvtx(src, { record: (r) => void (kept = r), issue: () => assert.fail('no issue expected') });
      assert.deepEqual([kept!.system.eventId, kept!.system.timeMs], [4688, T0], 'facts were read in place');
      assert.throws(() => kept!.event, /after its callback returned/);
    });

    test('many records span chunks; templates are reused within a chunk', async () => {
      const specs = Array.from({ length: 3000 }, (_, i) => ({ event: sampleEvent({ recordId: i + 1, data: [['CommandLine', `cmd /c echo ${i}`]] }), written: T0 + i }));
      const file = writeEvtx(specs);
      const { records, issues, info } = await readAll(file, {}, 7777);
      assert.deepEqual(issues, []);
      assert.ok(info.chunks > 3, `${info.chunks} chunks`);
      assert.deepEqual(records.map((r) => (eventData(r)['CommandLine'] as string)), specs.map((_, i) => `cmd /c echo ${i}`));
    });
  });

  describe('damaged and hostile files', () => {
    const good = () => writeEvtx(Array.from({ length: 400 }, (_, i) => ({ event: sampleEvent({ data: [['CommandLine', `cmd /c echo ${'x'.repeat(i % 50)} ${i}`]] }), written: T0 + i })));

    test('a file cut inside a chunk: the complete records before the cut are read', async () => {
      const file = good();
      const cut = file.subarray(0, 4096 + 65536 + 30000);
      const { records, issues } = await readAll(cut);
      assert.ok(issues.some((i) => i.code === 'E_TRUNCATED' && /chunk 1 is cut short/.test(i.message) && i.offset === cut.length));
      const whole = await readAll(file);
      assert.ok(records.length > whole.records.length / 3 && records.length < whole.records.length);
      assert.deepEqual(records.map((r) => r.id), whole.records.slice(0, records.length).map((r) => r.id));
    });

    test('a corrupt record is reported with its offset; the next ones are still read', async () => {
      const file = Buffer.from(good());
      const second = 4096 + 512 + file.readUInt32LE(4096 + 512 + 4);
      // Break the second record's template instance token: its header stays intact.
      file[second + 24 + 4] = 0x7f;
      file.writeUInt32LE(0, 4096 + 124); // and the chunk checksum no longer matches
      const { records, issues } = await readAll(file);
      assert.ok(issues.some((i) => i.code === 'E_EVTX' && i.offset === second && /record 2 \(chunk 0\)/.test(i.message)), JSON.stringify(issues));
      assert.ok(issues.some((i) => i.code === 'E_CHECKSUM'));
      assert.ok(records.some((r) => r.id === 1) && records.some((r) => r.id === 3));
      assert.ok(!records.some((r) => r.id === 2));
    });

    test('a broken record header ends the chunk walk; later records are recovered from the chunk', async () => {
      const file = Buffer.from(good());
      const second = 4096 + 512 + file.readUInt32LE(4096 + 512 + 4);
      file.writeUInt32LE(0xdeadbeef, second);
      const { records, issues } = await readAll(file);
      assert.ok(issues.some((i) => i.code === 'E_EVTX' && /broken record header/.test(i.message) && i.offset === second));
      assert.ok(records.some((r) => r.id === 3 && r.recovered));
    });

    test('checksums: a mismatch is reported, a dirty file is not checked', async () => {
      const file = Buffer.from(good());
      file[4096 + 600] ^= 0xff; // inside record data
      const bad = await readAll(file);
      assert.ok(bad.issues.some((i) => i.code === 'E_CHECKSUM' && /record data checksum/.test(i.message)));
      file.writeUInt32LE(1, 120); // dirty
      file.writeUInt32LE(crc32(file, 0, 120), 124);
      const dirty = await readAll(file);
      assert.equal(dirty.info.dirty, true);
      assert.ok(!dirty.issues.some((i) => i.code === 'E_CHECKSUM'));
    });

    test('not EVTX, empty, header only', async () => {
      assert.deepEqual((await readAll(Buffer.from('hello'))).issues.map((i) => i.code), ['E_EVTX']);
      assert.deepEqual((await readAll(Buffer.alloc(0))).issues.map((i) => i.code), ['E_EVTX']);
      const head = good().subarray(0, 4096);
      const r = await readAll(head);
      assert.deepEqual([r.records.length, r.issues], [0, []]);
      assert.deepEqual((await readAll(good().subarray(0, 2000))).issues.map((i) => i.code), ['E_TRUNCATED']);
    });

    test('a template that refers to itself, or nests without end, is an error, not a hang', async () => {
      const file = Buffer.from(writeEvtx([{ event: sampleEvent() }]));
      const rec = 4096 + 512;
      const defAt = file.readUInt32LE(rec + 34); // chunk offset of the (inline) template definition
      // Make the definition's first element a template instance pointing back at the definition.
      const data = 4096 + defAt + 24;
      file.writeUInt8(0x0c, data + 4);
      file.writeUInt8(0x01, data + 5);
      file.writeUInt32LE(0, data + 6);
      file.writeUInt32LE(defAt, data + 10);
      const { records, issues } = await readAll(file);
      assert.equal(records.length, 0);
      assert.ok(issues.some((i) => i.code === 'E_EVTX' && /record 1/.test(i.message)), JSON.stringify(issues));
    });

    test('random damage never throws and never hangs', async () => {
      const base = good().subarray(0, 4096 + 2 * 65536);
      let seed = 12345;
      const rand = (n: number) => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      for (let round = 0; round < 60; round++) {
        const file = Buffer.from(base);
        const hits = 1 + rand(40);
        for (let k = 0; k < hits; k++) file[4096 + rand(file.length - 4096)] = rand(256);
        const { info } = await readAll(file);
        assert.ok(info.records + info.recovered <= 800, `round ${round}`);
      }
    });
  });
});
