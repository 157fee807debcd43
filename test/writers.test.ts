// Writers render attacker-controlled evidence: nothing in it may reach a terminal as a control
// sequence or a spreadsheet as a formula. The JSON-based formats keep everything.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Finding, Report } from '../src/core/types.js';
import { csvCell, terminalSafe } from '../src/report/sanitize.js';
import { writerById } from '../src/report/registry.js';
import { iisHeader, iisLine } from '../tools/corpus/formats.js';
import { collection, huntFixed } from './helpers.js';

const HOSTILE_UA = 'Mozilla\x1b[2J\x1b]0;pwned\x07\x1b[31m\u202eevil\u2066 =cmd|" /C calc"!A0 \r\n';
const T = Date.parse('2021-03-05T03:06:27Z');

async function hostileReport(): Promise<Report> {
  // The excerpt carries raw control bytes as IIS would never log them but a crafted file can.
  const shell = iisLine({ time: T, serverIp: '10.0.0.5', method: 'GET', stem: '/owa/auth/x.aspx', query: 'a=%1b[2J', port: 443, user: '', clientIp: '198.51.100.77', userAgent: 'ua', status: 200, timeTaken: 5 });
  const withControls = shell.replace(' ua ', ` ${HOSTILE_UA.replace(/[ \r\n]/g, '')} `);
  return huntFixed([collection({ 'u_ex.log': `${iisHeader(T)}${withControls}\r\n` })]);
}

describe('writers', () => {
  test('terminalSafe makes control, escape and direction characters visible', () => {
    assert.equal(terminalSafe('a\x1b[2Jb'), 'a\\x1b[2Jb');
    assert.equal(terminalSafe('x\u202ey\u2066'), 'x\\u{202e}y\\u{2066}');
    assert.equal(terminalSafe('tab\there\r\n'), 'tab\\x09here\\x0d\\x0a');
    assert.equal(terminalSafe('\x9b31m'), '\\x9b31m', 'C1 CSI too');
    assert.equal(terminalSafe('plain ünïcode'), 'plain ünïcode');
  });

  test('csvCell defuses formulas and quotes', () => {
    assert.equal(csvCell('=cmd|" /C calc"!A0'), `"'=cmd|"" /C calc""!A0"`);
    assert.equal(csvCell('+1'), "'+1");
    assert.equal(csvCell('-2'), "'-2");
    assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvCell('\tx'), "'\tx");
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('ok'), 'ok');
    assert.equal(csvCell(undefined), '');
  });

  test('console output of hostile evidence contains no escape sequence', async () => {
    const r = await hostileReport();
    assert.ok(r.findings.length > 0);
    const text = writerById('console')!.render(r, { color: false, width: 120, verbose: true });
    assert.doesNotMatch(text, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    assert.match(text, /\\x1b\[2J/);
    const colored = writerById('console')!.render(r, { color: true, width: 120, verbose: true });
    // Only our own SGR sequences: ESC [ digits m.
    assert.doesNotMatch(colored.replace(/\x1b\[\d+m/g, ''), /[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
  });

  test('CSV output: formula cells defused, one row per evidence line', async () => {
    const r = await hostileReport();
    const f: Finding = { ...r.findings[0]!, summary: '=HYPERLINK("http://evil")', title: '@title' };
    const csv = writerById('csv')!.render({ ...r, findings: [f] }, { color: false, width: 100 });
    const rows = csv.trimEnd().split('\r\n');
    assert.equal(rows[0], 'finding_id,severity,stage,rule,title,first_seen,last_seen,count,client_ip,cves,attack,summary,evidence_input,evidence_file,evidence_line,evidence_record,evidence_time,evidence_excerpt,file_sha256,file_size,file_yara_rules');
    assert.equal(rows.length, 1 + f.evidence.length);
    assert.ok(rows[1]!.includes(`'@title`));
    assert.ok(rows[1]!.includes(`"'=HYPERLINK(""http://evil"")"`));
  });

  test('JSON keeps the evidence exactly but shows no control or direction character; JSONL is one typed record per line', async () => {
    const r = await hostileReport();
    const text = writerById('json')!.render(r, { color: false, width: 100 });
    assert.doesNotMatch(text, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    const json = JSON.parse(text) as Report;
    assert.ok(json.findings[0]!.evidence[0]!.excerpt.includes('\x1b[2J'));
    assert.ok(json.findings[0]!.evidence[0]!.excerpt.includes('\u202e'));
    const lines = writerById('jsonl')!.render(r, { color: false, width: 100 }).trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string });
    assert.equal(lines[0]!.type, 'report');
    assert.deepEqual([...new Set(lines.map((l) => l.type))].sort(), ['coverage', 'finding', 'report'].sort());
    assert.equal(lines.filter((l) => l.type === 'finding').length, r.findings.length);
    assert.equal((lines[0] as unknown as Report).verdict.status, r.verdict.status);
  });
});
