import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileNeedles, scanLines } from '../src/parsers/line-scanner.js';
import { bufferByteSource } from '../src/sources/bytes.js';
import type { ByteSource } from '../src/sources/types.js';
import { Rng } from '../tools/corpus/rng.js';

/** A source that hands out at most `step` bytes per read, to force every chunk boundary. */
const source = bufferByteSource;

interface Seen {
  lines: { text: string; lineNo: number; offset: number; candidate: boolean }[];
  issues: { code: string; lineNo: number; offset: number; message: string }[];
}

async function scan(data: Buffer | string, needles: string[], opts: { chunk?: number; step?: number; maxLine?: number; wantAll?: number } = {}) {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  const seen: Seen = { lines: [], issues: [] };
  let all = opts.wantAll ?? 0;
  const result = await scanLines(
    source(buf, opts.step),
    compileNeedles(needles),
    {
      line: (text, lineNo, offset, candidate) => {
        seen.lines.push({ text, lineNo, offset, candidate });
        if (all > 0) all--;
      },
      wantsAll: () => all > 0,
      issue: (code, message, lineNo, offset) => seen.issues.push({ code, message, lineNo, offset }),
    },
    { maxLineBytes: opts.maxLine ?? 1024 * 1024, chunkBytes: opts.chunk },
  );
  return { result, seen };
}

describe('line scanner', () => {
  test('delivers needle lines and directives with 1-based line numbers and byte offsets', async () => {
    const text = '#Fields: a b\n1 foo\n2 BAR serverinfo~x\n\n3 zzz SERVERINFO~ again\n#Software: x\n4 tail';
    const { result, seen } = await scan(text, ['serverinfo~']);
    assert.deepEqual(
      seen.lines.map((l) => [l.lineNo, l.text, l.candidate]),
      [
        [1, '#Fields: a b', false],
        [3, '2 BAR serverinfo~x', true],
        [5, '3 zzz SERVERINFO~ again', true],
        [6, '#Software: x', false],
      ],
    );
    for (const l of seen.lines) assert.equal(text.slice(l.offset, l.offset + l.text.length), l.text);
    assert.equal(result.lines, 7);
    assert.equal(result.dataLines, 4); // 1, 2, 3, 4
    assert.equal(result.candidateLines, 2);
    assert.equal(result.endsWithNewline, false);
    assert.deepEqual(result.last, { text: '4 tail', lineNo: 7, offset: text.length - 6 });
  });

  test('matches the same lines as a naive split for random data, chunk sizes and read sizes', async () => {
    const rng = new Rng(7);
    const words = ['alpha', 'Beta', 'needle', 'NeEdLe', 'x', '#hash', 'ünïcödé', 'crlf\r', ''];
    for (let round = 0; round < 40; round++) {
      const lines: string[] = [];
      const n = 1 + rng.int(60);
      for (let i = 0; i < n; i++) {
        const k = rng.int(6);
        const parts: string[] = [];
        for (let j = 0; j < k; j++) parts.push(rng.pick(words));
        // Records start with a date digit; the other starts exercise directives and odd lines.
        lines.push(k === 0 ? '' : `${rng.pick(['2021', '7', '7', '7', '#F', 'odd', '"q'])} ${parts.join(' ')}`);
      }
      const text = lines.join('\n') + (rng.next() < 0.5 ? '\n' : '');
      const data = Buffer.from(text);
      const chunk = 64 + rng.int(200);
      const { result, seen } = await scan(data, ['needle'], { chunk, step: 1 + rng.int(97), maxLine: 30 });
      // Expected, computed the slow way on bytes.
      const physical = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
      let offset = 0;
      const expected: [number, string, boolean][] = [];
      physical.forEach((raw, i) => {
        const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
        const bytes = Buffer.byteLength(line);
        const cand = /needle/i.test(raw);
        const odd = line.length > 0 && !/^[0-9"#]/.test(line);
        if (bytes <= 30 && line.length > 0 && (cand || raw.startsWith('#') || odd)) expected.push([i + 1, line, cand]);
        offset += bytes + 1;
      });
      assert.deepEqual(
        seen.lines.map((l) => [l.lineNo, l.text, l.candidate]),
        expected,
        `round ${round} chunk ${chunk}`,
      );
      assert.equal(result.lines, text.length === 0 ? 0 : physical.length, `round ${round}`);
      assert.equal(result.bytes, data.length);
      const tooLong = physical.map((raw, i) => [i + 1, Buffer.byteLength(raw.replace(/\r$/, ''))] as const).filter(([, b]) => b > 30);
      assert.deepEqual(
        seen.issues.filter((i) => i.code === 'E_LINE_TOO_LONG').map((i) => i.lineNo),
        tooLong.map(([l]) => l),
        `round ${round}: every over-long line is reported once`,
      );
      void offset;
    }
  });

  test('a byte order mark in the middle (concatenated logs) still starts a directive', async () => {
    const data = Buffer.concat([Buffer.from('#Fields: a\n1 x\n'), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('#Fields: b\n2 needle\n')]);
    const { result, seen } = await scan(data, ['needle']);
    assert.deepEqual(seen.lines.map((l) => l.text), ['#Fields: a', '#Fields: b', '2 needle']);
    assert.equal(result.dataLines, 2);
  });

  test('the line limit counts content, not the CR of a CRLF line end', async () => {
    const { seen } = await scan(`1 needle${'x'.repeat(22)}\r\n`, ['needle'], { maxLine: 30 });
    assert.equal(seen.issues.length, 0);
    assert.equal(seen.lines.length, 1);
  });

  test('CRLF line ends and a UTF-8 byte order mark are not part of the text', async () => {
    const data = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('#Fields: x\r\nneedle one\r\n')]);
    const { seen } = await scan(data, ['needle']);
    assert.deepEqual(seen.lines.map((l) => l.text), ['#Fields: x', 'needle one']);
    assert.equal(seen.lines[1]!.offset, 15);
  });

  test('a line longer than the buffer is reported once and skipped; later lines are read', async () => {
    const huge = 'a'.repeat(5000) + ' needle';
    const text = `needle first\n${huge}\nneedle after\n`;
    const { result, seen } = await scan(text, ['needle'], { chunk: 256, maxLine: 100, step: 77 });
    assert.deepEqual(seen.lines.map((l) => [l.lineNo, l.text]), [[1, 'needle first'], [3, 'needle after']]);
    assert.equal(seen.issues.length, 1);
    assert.equal(seen.issues[0]!.code, 'E_LINE_TOO_LONG');
    assert.equal(seen.issues[0]!.lineNo, 2);
    assert.equal(seen.issues[0]!.offset, 13);
    assert.equal(result.lines, 3);
  });

  test('a binary line is reported and skipped; an invalid UTF-8 line is reported and still read', async () => {
    const data = Buffer.concat([Buffer.from('ok needle\nbin \0\0 needle\n'), Buffer.from([0xc3, 0x28, 0x20]), Buffer.from('needle bad utf8\nneedle fine\n')]);
    const { seen } = await scan(data, ['needle']);
    const codes = seen.issues.map((i) => [i.code, i.lineNo]);
    assert.deepEqual(codes.sort(), [['E_BINARY', 2], ['E_ENCODING', 3]]);
    assert.deepEqual(seen.lines.map((l) => l.lineNo), [1, 3, 4], 'binary lines are skipped, the rest delivered');
    assert.ok(seen.lines[1]!.text.includes('\uFFFD'));
  });

  test('while the handler wants everything, every line arrives', async () => {
    const { seen } = await scan('1 a\n2 b\n3 c needle\n4 d\n', ['needle'], { wantAll: 2 });
    assert.deepEqual(seen.lines.map((l) => l.text), ['1 a', '2 b', '3 c needle']);
  });

  test('a line that does not start like a record is delivered, to be reported', async () => {
    const { seen } = await scan('2021 ok\ngarbage here\n"2021" quoted\n', ['needle']);
    assert.deepEqual(seen.lines.map((l) => [l.lineNo, l.candidate]), [[2, false]]);
  });

  test('an empty source has no lines', async () => {
    const { result, seen } = await scan('', ['needle']);
    assert.equal(result.lines, 0);
    assert.equal(result.bytes, 0);
    assert.equal(seen.lines.length, 0);
    assert.equal(result.last, undefined);
  });

  test('a read error ends the file with an issue and keeps the lines already read', async () => {
    let calls = 0;
    const failing: ByteSource = {
      async read(buf, offset) {
        calls++;
        if (calls === 1) {
          const b = Buffer.from('needle 1\nneedle 2\n');
          b.copy(buf, offset);
          return b.length;
        }
        throw new Error('invalid distance too far back');
      },
      async close() {},
    };
    const seen: string[] = [];
    const issues: string[] = [];
    await scanLines(failing, compileNeedles(['needle']), { line: (t) => void seen.push(t), wantsAll: () => false, issue: (c, m) => void issues.push(`${c} ${m}`) }, { maxLineBytes: 1000, chunkBytes: 64 });
    assert.deepEqual(seen, ['needle 1', 'needle 2']);
    assert.equal(issues.length, 1);
    assert.match(issues[0]!, /^E_READ read failed after 18 bytes: invalid distance/);
  });

  test('needles are literal and case-insensitive; regex metacharacters are escaped', async () => {
    const { seen } = await scan('1 a.b\n2 axb\n3 A.B?\n', ['a.b']);
    assert.deepEqual(seen.lines.map((l) => l.text), ['1 a.b', '3 A.B?']);
    assert.equal(compileNeedles([]), undefined);
  });
});
