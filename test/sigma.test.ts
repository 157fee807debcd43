// The Sigma engine, one line per case: a rule's detection (YAML) and an event (fields) → match or
// not; rejections with their reason; conditions; correlations; filters; the webserver and proxy
// mappings end to end on IIS and HttpProxy lines; the lint command.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { runCorrelations } from '../src/detect/sigma/correlate.js';
import type { FeedEvent } from '../src/detect/sigma/engine.js';
import { parseRuleText } from '../src/detect/sigma/load.js';
import { type BuildOptions, buildRuleSet } from '../src/detect/sigma/ruleset.js';
import { RecordView } from '../src/detect/sigma/view.js';
import { writeEvtx, winEvent } from '../tools/corpus/evtx-writer.js';
import { collection, huntFixed, repoRoot, runCli, sharedDir } from './helpers.js';

function ruleYaml(detection: string, logsource = 'product: windows'): string {
  const body = detection
    .trim()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
  return `title: t\nid: 00000000-0000-4000-8000-000000000001\nlogsource:\n    ${logsource}\ndetection:\n${body}\nlevel: high\n`;
}

function compile(detection: string, opts: Partial<BuildOptions> = {}) {
  const set = buildRuleSet(parseRuleText(ruleYaml(detection), 'case.yml').docs, { placeholders: {}, ...opts });
  return set;
}

/** True when the detection matches the event; throws with the reason when the rule is rejected. */
function matches(detection: string, event: Record<string, string>, opts: Partial<BuildOptions> = {}): boolean {
  const set = compile(detection, opts);
  const rule = set.rules[0];
  if (!rule) throw new Error(`rejected: ${set.lint[0]?.reason}`);
  return rule.detection.test(new RecordView(event));
}

function rejection(detection: string, opts: Partial<BuildOptions> = {}): string {
  const set = compile(detection, opts);
  assert.equal(set.rules.length, 0, 'expected the rule to be rejected');
  return set.lint[0]!.reason ?? '';
}

const yes = (d: string, e: Record<string, string>, o?: Partial<BuildOptions>) => assert.equal(matches(d, e, o), true, `${d}\nshould match ${JSON.stringify(e)}`);
const no = (d: string, e: Record<string, string>, o?: Partial<BuildOptions>) => assert.equal(matches(d, e, o), false, `${d}\nshould not match ${JSON.stringify(e)}`);
const sel = (body: string) => `selection:\n${body
  .trim()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}\ncondition: selection`;

test('values: case-insensitive equality, wildcards, escapes', () => {
  yes(sel(`Image: 'C:\\Windows\\System32\\whoami.exe'`), { Image: 'c:\\windows\\system32\\WHOAMI.exe' });
  no(sel(`Image: 'C:\\Windows\\System32\\whoami.exe'`), { Image: 'C:\\Windows\\System32\\whoami.exe2' });
  yes(sel(`Image: '*\\whoami.exe'`), { Image: 'D:\\x\\whoami.exe' });
  yes(sel(`Image: 'prog?.exe'`), { Image: 'progA.exe' });
  no(sel(`Image: 'prog?.exe'`), { Image: 'prog.exe' });
  yes(sel(`Image: 'a*b*c'`), { Image: 'axxbyyc' });
  no(sel(`Image: 'a*b*c'`), { Image: 'axxbyy' });
  // escaped wildcards are plain characters
  yes(sel(`CommandLine: 'what\\?'`), { CommandLine: 'what?' });
  no(sel(`CommandLine: 'what\\?'`), { CommandLine: 'whatX' });
  yes(sel(`CommandLine: 'a\\*b'`), { CommandLine: 'a*b' });
  no(sel(`CommandLine: 'a\\*b'`), { CommandLine: 'axxb' });
  // \\* is a backslash followed by a live wildcard; \\\\* a backslash and a plain star
  yes(sel(`Path: 'C:\\\\*'`), { Path: 'C:\\anything' });
  yes(sel(`Path: 'C:\\\\\\*'`), { Path: 'C:\\*' });
  no(sel(`Path: 'C:\\\\\\*'`), { Path: 'C:\\x' });
  yes(sel(`Path: 'a\\\\\\\\b'`), { Path: 'a\\\\b' });
});

test('values: numbers and strings compare alike; lists OR, maps AND, lists of maps OR', () => {
  yes(sel('EventID: 4688'), { EventID: '4688' });
  no(sel('EventID: 4688'), { EventID: '46880' });
  yes(sel("sc-status: '401'"), { 'sc-status': '401' });
  yes(sel('EventID:\n    - 1\n    - 4688'), { EventID: '1' });
  yes(sel('EventID: 1\nImage|endswith: .exe'), { EventID: '1', Image: 'a.exe' });
  no(sel('EventID: 1\nImage|endswith: .exe'), { EventID: '2', Image: 'a.exe' });
  yes(sel('- Image|endswith: \\a.exe\n- Description|contains: Test'), { Description: 'a Test executable' });
  no(sel('- Image|endswith: \\a.exe\n- Description|contains: Test'), { Description: 'nothing' });
  no(sel('Missing: x'), {});
});

test('values: null, empty and exists', () => {
  yes(sel('Field: null'), {});
  yes(sel('Field: null'), { Field: '' });
  no(sel('Field: null'), { Field: 'x' });
  yes(sel("Field: ''"), { Field: '' });
  no(sel("Field: ''"), {});
  yes(sel('Field|exists: true'), { Field: '' });
  no(sel('Field|exists: true'), {});
  yes(sel('Field|exists: false'), {});
  assert.match(rejection(sel('Field|exists: maybe')), /exists/);
});

test('keywords: any value, |all across values, wildcards inside', () => {
  yes('keywords:\n    - evil\n    - bad\ncondition: keywords', { A: 'x', B: 'very EVIL thing' });
  no('keywords:\n    - evil\ncondition: keywords', { A: 'good' });
  yes("keywords:\n    '|all':\n        - OabVirtualDirectory\n        - ' -ExternalUrl '\ncondition: keywords", { Data: 'Set-OabVirtualDirectory -ExternalUrl http://f/' });
  no("keywords:\n    '|all':\n        - OabVirtualDirectory\n        - ' -ExternalUrl '\ncondition: keywords", { Data: 'Set-OabVirtualDirectory -InternalUrl x' });
  yes("keywords:\n    - 'a*c'\ncondition: keywords", { X: 'zzabbbczz' });
  // a bare integer in a keyword list is text too
  yes('keywords:\n    - 200\ncondition: keywords', { X: 'status 200 ok' });
});

test('modifiers: contains, startswith, endswith, all, cased, neq', () => {
  yes(sel('CommandLine|contains: -enc'), { CommandLine: 'powershell -ENC abc' });
  yes(sel('CommandLine|startswith: power'), { CommandLine: 'PowerShell' });
  no(sel('CommandLine|startswith: shell'), { CommandLine: 'PowerShell' });
  yes(sel('CommandLine|endswith: .ps1'), { CommandLine: 'run x.PS1' });
  yes(sel('CommandLine|contains|all:\n    - a\n    - b'), { CommandLine: 'xbxa' });
  no(sel('CommandLine|contains|all:\n    - a\n    - b'), { CommandLine: 'xaxx' });
  assert.match(rejection(sel('CommandLine|contains|all: a')), /all/);
  yes(sel('CommandLine|cased: Evil'), { CommandLine: 'Evil' });
  no(sel('CommandLine|cased: Evil'), { CommandLine: 'evil' });
  yes(sel('User|neq: SYSTEM'), { User: 'bob' });
  no(sel('User|neq: SYSTEM'), { User: 'system' });
  // neq negates the whole entry (pySigma): a missing field is "not SYSTEM" too
  yes(sel('User|neq: SYSTEM'), {});
  no(sel('User|neq:\n    - a\n    - b'), { User: 'b' });
  yes(sel('User|neq:\n    - a\n    - b'), { User: 'c' });
  yes(sel('CommandLine|contains|neq: evil'), { CommandLine: 'good' });
  no(sel('CommandLine|contains|neq: evil'), { CommandLine: 'so evil' });
  no(sel('Count|neq: 5'), { Count: '5' });
  yes(sel('Count|neq: 5'), { Count: '6' });
});

test('modifiers: windash', () => {
  const d = sel('CommandLine|windash|contains: " -enc "');
  for (const dash of ['-', '/', '\u2013', '\u2014', '\u2015']) yes(d, { CommandLine: `powershell ${dash}enc abc` });
  no(d, { CommandLine: 'powershell +enc abc' });
  // a dash inside a word is not a flag
  no(sel('CommandLine|windash|contains: Invoke-Expression'), { CommandLine: 'Invoke/Expression' });
});

test('modifiers: regular expressions with i, m, s; unsupported syntax is rejected', () => {
  yes(sel("CommandLine|re: '\\\\cmd\\.exe /c (whoami|net)'"), { CommandLine: 'C:\\cmd.exe /c whoami' });
  no(sel("CommandLine|re: 'WHOAMI'"), { CommandLine: 'whoami' });
  yes(sel("CommandLine|re|i: 'WHOAMI'"), { CommandLine: 'whoami' });
  no(sel("CommandLine|re: '^b'"), { CommandLine: 'a\nb' });
  yes(sel("CommandLine|re|m: '^b'"), { CommandLine: 'a\nb' });
  no(sel("CommandLine|re: 'a.b'"), { CommandLine: 'a\nb' });
  yes(sel("CommandLine|re|s: 'a.b'"), { CommandLine: 'a\nb' });
  assert.match(rejection(sel("CommandLine|re: '(a)\\1'")), /regular expression/);
  assert.match(rejection(sel("CommandLine|re: 'a(?=b)'")), /regular expression/);
  assert.match(rejection(sel('CommandLine|i: x')), /only valid after 're'/);
  // pySigma's long flag names, and re narrowed by startswith / endswith
  yes(sel("CommandLine|re|ignorecase|dotall: 'A.B'"), { CommandLine: 'a\nb' });
  yes(sel("CommandLine|re|startswith: 'ab+'"), { CommandLine: 'abbbx' });
  no(sel("CommandLine|re|startswith: 'ab+'"), { CommandLine: 'xabbb' });
  yes(sel("CommandLine|re|endswith: 'b+'"), { CommandLine: 'xabbb' });
  no(sel("CommandLine|re|endswith: 'b+'"), { CommandLine: 'xbbbx' });
  assert.match(rejection(sel("CommandLine|contains|re: 'a'")), /'re' must come first/);
});

test('modifiers: base64, base64offset, utf16 family', () => {
  yes(sel('CommandLine|base64: cmd'), { CommandLine: 'Y21k' });
  const b64off = sel('CommandLine|base64offset|contains: http://');
  for (const prefix of ['', 'a', 'ab']) yes(b64off, { CommandLine: `x ${Buffer.from(`${prefix}http://evil`).toString('base64')} y` });
  no(b64off, { CommandLine: Buffer.from('https//evil').toString('base64') });
  const wide = sel('CommandLine|wide|base64offset|contains: IEX');
  for (const prefix of ['', 'a', 'ab']) yes(wide, { CommandLine: Buffer.from(`${prefix}IEX (New-Object)`, 'utf16le').toString('base64') });
  yes(sel('Data|utf16le|base64: cmd'), { Data: Buffer.from('cmd', 'utf16le').toString('base64') });
  yes(sel('Data|utf16be|base64: cmd'), { Data: Buffer.from([0, 0x63, 0, 0x6d, 0, 0x64]).toString('base64') });
  yes(sel('Data|utf16|base64: cmd'), { Data: Buffer.from([0xff, 0xfe, 0x63, 0, 0x6d, 0, 0x64, 0]).toString('base64') });
  assert.match(rejection(sel("CommandLine|base64: 'a*'")), /wildcards/);
});

test('modifiers: numeric comparisons, time parts, cidr', () => {
  yes(sel('Count|gt: 10'), { Count: '11' });
  no(sel('Count|gt: 10'), { Count: '10' });
  yes(sel('Count|gte: 10'), { Count: '10' });
  yes(sel('Count|lt: 10'), { Count: '0x9' });
  yes(sel('Count|lte: 10'), { Count: '10' });
  no(sel('Count|lt: 10'), { Count: 'ten' });
  no(sel('Count|lt: 10'), { Count: '' });
  assert.match(rejection(sel('Count|gt: many')), /not a number/);
  yes(sel('UtcTime|hour: 3'), { UtcTime: '2021-03-02 03:51:00.008' });
  yes(sel('UtcTime|hour|gte: 22'), { UtcTime: '2021-03-02T23:00:00Z' });
  yes(sel('UtcTime|month: 3\nUtcTime|day: 2\nUtcTime|year: 2021\nUtcTime|minute: 51'), { UtcTime: '2021-03-02 03:51:00' });
  yes(sel('UtcTime|week: 9'), { UtcTime: '2021-03-02' });
  yes(sel('IpAddress|cidr: 10.0.0.0/8'), { IpAddress: '10.1.2.3' });
  no(sel('IpAddress|cidr: 10.0.0.0/8'), { IpAddress: '11.1.2.3' });
  yes(sel("IpAddress|cidr: '2001:db8::/32'"), { IpAddress: '2001:db8::1' });
  no(sel("IpAddress|cidr: '2001:db8::/32'"), { IpAddress: '2001:db9::1' });
  no(sel('IpAddress|cidr: 10.0.0.0/8'), { IpAddress: 'not an ip' });
  assert.match(rejection(sel('IpAddress|cidr: 10.0.0.0/33')), /CIDR/);
});

test('modifiers: fieldref and expand', () => {
  yes(sel('TargetUserName|fieldref: SubjectUserName'), { TargetUserName: 'Bob', SubjectUserName: 'bob' });
  no(sel('TargetUserName|fieldref: SubjectUserName'), { TargetUserName: 'Bob', SubjectUserName: 'eve' });
  yes(sel('TargetUserName|fieldref|neq: SubjectUserName'), { TargetUserName: 'Bob', SubjectUserName: 'eve' });
  yes(sel('Image|fieldref|endswith: Name'), { Image: 'C:\\a\\x.exe', Name: 'x.exe' });
  const d = sel("User|expand: '%Admins%'");
  assert.match(rejection(d), /placeholder %Admins% has no values/);
  yes(d, { User: 'root' }, { placeholders: { Admins: ['admin*', 'root'] } });
  yes(d, { User: 'administrator' }, { placeholders: { Admins: ['admin*', 'root'] } });
  no(d, { User: 'bob' }, { placeholders: { Admins: ['admin*', 'root'] } });
  yes(sel("User|expand: '\\%plain%Admins%'"), { User: '%plainroot' }, { placeholders: { Admins: ['root'] } });
});

test('unknown modifiers and bad values are rejected with the reason', () => {
  assert.match(rejection(sel('Image|containz: x')), /unknown modifier 'containz'/);
  assert.match(rejection(sel('Image:\n    a: b')), /values must be/);
});

test('conditions: precedence, parentheses, x of, them, condition lists', () => {
  const base = "a:\n    A: '1'\nb:\n    B: '1'\nc:\n    C: '1'\n";
  const ev = (a: string, b: string, c: string) => ({ A: a, B: b, C: c });
  // not binds tighter than and, and tighter than or
  yes(`${base}condition: a or b and c`, ev('1', '0', '0'));
  no(`${base}condition: (a or b) and c`, ev('1', '0', '0'));
  yes(`${base}condition: not a and b`, ev('0', '1', '0'));
  no(`${base}condition: not (a or b)`, ev('0', '1', '0'));
  yes(`${base}condition: not a or b`, ev('1', '1', '0'));
  const sels = "sel_1:\n    A: '1'\nsel_2:\n    B: '1'\n_hidden:\n    C: '1'\n";
  yes(`${sels}condition: 1 of sel_*`, ev('0', '1', '0'));
  no(`${sels}condition: all of sel_*`, ev('0', '1', '0'));
  yes(`${sels}condition: all of sel_*`, ev('1', '1', '0'));
  // them leaves out identifiers starting with _
  yes(`${sels}condition: all of them`, ev('1', '1', '0'));
  no(`${sels}condition: 1 of them`, ev('0', '0', '1'));
  yes(`${sels}condition:\n    - sel_1\n    - _hidden`, ev('0', '0', '1'));
  yes(`${sels}condition: 1 of sel_* and not 1 of _h*`, ev('1', '0', '0'));
  no(`${sels}condition: 1 of sel_* and not 1 of _h*`, ev('1', '0', '1'));
  assert.match(rejection(`${sels}condition: sel_1 and nothing`), /unknown search identifier 'nothing'/);
  assert.match(rejection(`${sels}condition: 1 of filter_*`), /matches no search identifier/);
  assert.match(rejection(`${sels}condition: sel_1 | count() > 5`), /correlation/);
  assert.match(rejection(`${sels}condition: (sel_1 and sel_2`), /missing '\)'/);
  assert.match(rejection(`${sels}condition: sel_1 sel_2`), /unexpected 'sel_2'/);
});

test('global filters are applied to the rules they name', () => {
  const docs = parseRuleText(`${ruleYaml(sel('Image|endswith: rar.exe'))}---
title: Filter admins
logsource:
    product: windows
filter:
    rules:
        - 00000000-0000-4000-8000-000000000001
    selection:
        User|startswith: adm_
    condition: selection
`, 'f.yml').docs;
  const set = buildRuleSet(docs, { placeholders: {} });
  assert.deepEqual(set.lint.map((l) => l.status), ['loaded', 'loaded']);
  const t = set.rules[0]!.detection.test;
  assert.equal(t(new RecordView({ Image: 'c:\\rar.exe', User: 'bob' })), true);
  assert.equal(t(new RecordView({ Image: 'c:\\rar.exe', User: 'adm_bob' })), false);
});

const CORRELATION = `title: Many failed logins then success
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - TargetUserName
    timespan: 10m
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
name: multiple_failed_login
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - TargetUserName
    timespan: 10m
    condition:
        gte: 3
---
title: Single failed login
id: 53ba33fd-3a50-4468-a5ef-c583635cfa92
name: failed_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4625
    condition: selection
---
title: Successful login
id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
name: successful_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4624
    condition: selection
`;

function feed(rule: string, minute: number, fields: Record<string, string>): FeedEvent {
  const time = Date.parse('2021-03-02T00:00:00Z') + minute * 60_000;
  return { rule, time, fields, evidence: { input: 0, file: 'x', offset: minute, excerpt: rule } };
}

test('correlations: event_count, value_count, temporal, temporal_ordered with group-by and timespan', () => {
  const set = buildRuleSet(parseRuleText(CORRELATION, 'c.yml').docs, { placeholders: {} });
  assert.ok(set.lint.every((l) => l.status === 'loaded'), JSON.stringify(set.lint));
  // the base rules only feed the correlation (no generate: true)
  assert.ok(set.rules.every((r) => !r.emits));
  const failed = '53ba33fd-3a50-4468-a5ef-c583635cfa92';
  const ok = '4d0a2c83-c62c-4ed4-b475-c7e23a9269b8';
  const names = new Map(set.rules.map((r) => [r.id, r.name!]));
  const run = (events: FeedEvent[]) => runCorrelations(set.correlations, events, names).matches.map((m) => `${m.rule.id}:${m.hit.key}`);
  const bob = { TargetUserName: 'bob' };
  const eve = { TargetUserName: 'eve' };
  // three failures then a success for bob inside 10 minutes: both correlations fire, but only the outer one reports
  assert.deepEqual(run([feed(failed, 0, bob), feed(failed, 1, bob), feed(failed, 2, bob), feed(ok, 3, bob)]), ['sigma:b180ead8-d58f-40b2-ae54-c8940995b9b6:TargetUserName=bob']);
  // failures spread over two users never reach 3 per user
  assert.deepEqual(run([feed(failed, 0, bob), feed(failed, 1, eve), feed(failed, 2, bob), feed(ok, 3, bob)]), []);
  // success before the failures: wrong order
  assert.deepEqual(run([feed(ok, 0, bob), feed(failed, 1, bob), feed(failed, 2, bob), feed(failed, 3, bob)]), []);
  // outside the timespan
  assert.deepEqual(run([feed(failed, 0, bob), feed(failed, 1, bob), feed(failed, 20, bob), feed(ok, 21, bob)]), []);

  const vc = buildRuleSet(parseRuleText(`title: spray
id: 11111111-0000-4000-8000-000000000001
correlation:
    type: value_count
    rules: [failed_login]
    group-by: [IpAddress]
    timespan: 1h
    condition:
        field: TargetUserName
        gte: 3
level: high
---
title: temporal
id: 11111111-0000-4000-8000-000000000002
correlation:
    type: temporal
    rules: [failed_login, successful_login]
    group-by: [IpAddress]
    timespan: 5m
level: medium
---
${CORRELATION.split('---\n')[2]}---
${CORRELATION.split('---\n')[3]}`, 'v.yml').docs, { placeholders: {} });
  assert.ok(vc.lint.every((l) => l.status === 'loaded'), JSON.stringify(vc.lint));
  const ip = (u: string, a = '1.2.3.4') => ({ IpAddress: a, TargetUserName: u });
  const got = runCorrelations(vc.correlations, [feed(failed, 0, ip('a')), feed(failed, 1, ip('b')), feed(failed, 2, ip('a')), feed(failed, 3, ip('c', '5.6.7.8')), feed(failed, 4, ip('c'))], new Map()).matches.map((m) => m.rule.id);
  assert.deepEqual(got, ['sigma:11111111-0000-4000-8000-000000000001']);
  const tmp = runCorrelations(vc.correlations, [feed(ok, 0, ip('a')), feed(failed, 2, ip('a'))], new Map()).matches.map((m) => m.rule.id);
  assert.deepEqual(tmp, ['sigma:11111111-0000-4000-8000-000000000002']);
});

test('correlations are rejected with the reason when they cannot run', () => {
  const bad = (corr: string) => buildRuleSet(parseRuleText(`title: c\nid: 22222222-0000-4000-8000-000000000001\ncorrelation:\n${corr}\n`, 'c.yml').docs, { placeholders: {} }).lint[0]!.reason ?? '';
  assert.match(bad('    type: event_count\n    rules: [x]\n    group-by: [a]\n    timespan: 1h\n    condition: {gte: 2}'), /not loaded: x/);
  assert.match(bad('    type: value_percentile\n    rules: [x]\n    timespan: 1h'), /value_percentile/);
  assert.match(bad('    type: event_count\n    rules: [x]\n    timespan: soon\n    condition: {gte: 2}'), /timespan/);
  assert.match(bad('    type: value_count\n    rules: [x]\n    timespan: 1h\n    condition: {gte: 2}'), /condition.field/);
});

test('hunt --sigma: a correlation over an event log, end to end', async () => {
  const t0 = Date.parse('2021-03-02T01:00:00Z');
  const ev = (id: number, min: number, user: string) => ({
    event: winEvent({ provider: 'Microsoft-Windows-Security-Auditing', eventId: id, time: t0 + min * 60_000, channel: 'Security', computer: 'EX01', data: [['TargetUserName', user], ['IpAddress', '203.0.113.9']] }),
    written: t0 + min * 60_000,
  });
  const evtx = writeEvtx([ev(4625, 0, 'bob'), ev(4625, 1, 'bob'), ev(4625, 2, 'bob'), ev(4624, 3, 'bob'), ev(4625, 4, 'eve')]);
  const dir = collection({ 'Security.evtx': evtx, 'rules/corr.yml': CORRELATION });
  const report = await huntFixed([path.join(dir, 'Security.evtx')], { sigma: { paths: [path.join(dir, 'rules')] } });
  const f = report.findings.filter((x) => x.rule.startsWith('sigma:'));
  assert.deepEqual(f.map((x) => [x.rule, x.severity, x.count]), [['sigma:b180ead8-d58f-40b2-ae54-c8940995b9b6', 'high', 4]]);
  assert.equal(f[0]!.ruleFile, `${path.join(dir, 'rules').split(path.sep).join('/')}/corr.yml`);
  assert.deepEqual(report.stats.sigmaRules, { loaded: 4, rejected: 0 });
});

test('hunt --sigma on worker threads: a correlation across files read by different threads', async () => {
  const t0 = Date.parse('2021-03-02T01:00:00Z');
  const ev = (id: number, min: number) => ({
    event: winEvent({ provider: 'Microsoft-Windows-Security-Auditing', eventId: id, time: t0 + min * 60_000, channel: 'Security', computer: 'EX01', data: [['TargetUserName', 'bob']] }),
    written: t0 + min * 60_000,
  });
  const dir = collection({
    'a/Security.evtx': writeEvtx([ev(4625, 0), ev(4625, 1)]),
    'b/Security.evtx': writeEvtx([ev(4625, 2), ev(4624, 3)]),
    'rules/corr.yml': CORRELATION,
  });
  const report = await huntFixed([path.join(dir, 'a'), path.join(dir, 'b')], { sigma: { paths: [path.join(dir, 'rules')] }, threads: 2 });
  assert.equal(report.stats.threads, 2);
  const f = report.findings.filter((x) => x.rule.startsWith('sigma:'));
  assert.deepEqual(f.map((x) => [x.rule, x.count]), [['sigma:b180ead8-d58f-40b2-ae54-c8940995b9b6', 4]]);
  assert.deepEqual([...new Set(f[0]!.evidence.map((e) => e.input))].sort(), [0, 1]);
});

const HAFNIUM = 'rules-emerging-threats/2021/TA/HAFNIUM/web_exchange_exploitation_hafnium.yml';
const IIS_HEADER = '#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2021-03-03 00:00:00\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n';

test('webserver rules on IIS: paths under cs-uri-query, user agents with + for spaces', async () => {
  const rules = path.join(sharedDir(), 'samples', 'sigma-rules', HAFNIUM);
  const dir = collection({
    'inetpub/logs/LogFiles/W3SVC1/u_ex210303.log': `${IIS_HEADER}2021-03-03 02:00:01 10.0.0.5 POST /owa/auth/Current/themes/resources/x.aspx - 443 - 203.0.113.7 Mozilla/5.0 - 200 0 0 15\n2021-03-03 02:00:02 10.0.0.5 POST /ecp/DDI/DDIService.svc/GetList msExchEcpCanary=x 443 - 203.0.113.8 ExchangeServicesClient/0.0.0.0 - 200 0 0 15\n2021-03-03 02:00:03 10.0.0.5 POST /owa/auth/logon.aspx - 443 - 198.51.100.1 Mozilla/5.0+(Windows+NT+10.0) - 200 0 0 15\n`,
  });
  const report = await huntFixed([dir], { sigma: { paths: [rules] } });
  const f = report.findings.filter((x) => x.rule === 'sigma:67bce556-312f-4c81-9162-c3c9ff2599b2');
  assert.deepEqual(f.map((x) => x.clientIp).sort(), ['203.0.113.7', '203.0.113.8']);
  assert.ok(f.every((x) => x.severity === 'high' && x.stage === 'attempt'));
  assert.ok(f.every((x) => x.evidence[0]!.line !== undefined && x.evidence[0]!.file.endsWith('u_ex210303.log')));
});

test('webserver: a user agent quoted with spaces matches the + form IIS writes', async () => {
  const dir = collection({
    'r.yml': ruleYaml(sel("cs-user-agent: 'Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)'"), 'category: webserver'),
    'logs/u_ex1.log': `${IIS_HEADER}2021-03-03 02:00:01 10.0.0.5 GET /owa/ - 443 - 203.0.113.7 Mozilla/5.0+(compatible;+Baiduspider/2.0;++http://www.baidu.com/search/spider.html) - 200 0 0 15\n`,
  });
  const report = await huntFixed([path.join(dir, 'logs')], { sigma: { paths: [path.join(dir, 'r.yml')] } });
  assert.equal(report.findings.filter((x) => x.rule.startsWith('sigma:')).length, 1);
});

test('proxy rules on HttpProxy logs (c-uri = path and query)', async () => {
  const header = 'DateTime,RequestId,UrlHost,UrlStem,AuthenticatedUser,UserAgent,ClientIpAddress,HttpStatus,Method,UrlQuery';
  const dir = collection({
    'r.yml': ruleYaml(sel("c-uri|contains|all:\n    - '/owa/'\n    - '/powershell'\ncs-method: POST\nsc-status: 200"), 'category: proxy'),
    'Logging/HttpProxy/Owa/HttpProxy_2022100101-1.LOG': `#Software: Microsoft Exchange Server\n#Version: 15.01.2375.031\n#Log-type: HttpProxy Logs\n#Date: 2022-10-01T01:00:00.000Z\n#Fields: ${header}\n2022-10-01T01:00:01.000Z,1,mail.example.com,/owa/mastermailbox%40outlook.com/powershell,,python-requests/2.28,203.0.113.5,200,POST,\n2022-10-01T01:00:02.000Z,2,mail.example.com,/owa/,,Mozilla/5.0,198.51.100.1,200,GET,\n`,
  });
  const report = await huntFixed([path.join(dir, 'Logging')], { sigma: { paths: [path.join(dir, 'r.yml')] } });
  const f = report.findings.filter((x) => x.rule.startsWith('sigma:'));
  assert.equal(f.length, 1, JSON.stringify(report.errors));
  assert.equal(f[0]!.clientIp, '203.0.113.5');
});

test('rules lint: every rule listed, loaded or rejected with the reason; JSON shape', async () => {
  const dir = collection({
    'ok.yml': ruleYaml(sel('Image: x')),
    'bad/modifier.yml': ruleYaml(sel('Image|nope: x')),
    'bad/logsource.yml': ruleYaml(sel('Image: x'), 'product: aws'),
    'bad/yaml.yml': 'title: [unclosed\n',
    'bad/empty.yml': '# nothing but a comment\n',
  });
  const json = await runCli(['rules', 'lint', dir, '--format', 'json']);
  assert.equal(json.code, 1);
  const rows = JSON.parse(json.stdout) as { file: string; status: string; reason: string | null }[];
  assert.deepEqual(rows.map((r) => Object.keys(r)), rows.map(() => ['file', 'id', 'title', 'status', 'reason']));
  const by = Object.fromEntries(rows.map((r) => [path.basename(r.file), r]));
  assert.equal(by['ok.yml']!.status, 'loaded');
  assert.equal(by['ok.yml']!.reason, null);
  assert.match(by['modifier.yml']!.reason!, /unknown modifier 'nope'/);
  assert.match(by['logsource.yml']!.reason!, /unmapped logsource \(product: aws\)/);
  assert.match(by['yaml.yml']!.reason!, /YAML error at line/);
  assert.match(by['empty.yml']!.reason!, /no rule in this file/);
  const con = await runCli(['rules', 'lint', dir]);
  assert.match(con.stdout, /1 of 5 rule documents loaded, 4 not loaded:/);
  assert.match(con.stdout, /1 {2}unknown modifier/);
  assert.equal((await runCli(['rules', 'lint', path.join(dir, 'ok.yml')])).code, 0);
  const missing = await runCli(['rules', 'lint', path.join(dir, 'nope')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope: no such file or folder/);
  assert.equal((await runCli(['hunt', dir, '--sigma', path.join(dir, 'nope')])).code, 2);
  assert.equal((await runCli(['rules'])).code, 2);
});

test('hostile rule files: alias bombs, oversized files, symlink loops, pathological regexes', async () => {
  const { symlinkSync, writeFileSync } = await import('node:fs');
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 12; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)}]`);
  const dir = collection({
    'bomb.yml': `${bomb.join('\n')}\n`,
    'ok.yml': ruleYaml(sel("CommandLine|re: '(a+)+b'")),
    'big.yml': `title: big\n# ${'x'.repeat(5 * 1024 * 1024)}\n`,
    'deep.yml': ruleYaml(sel(`CommandLine|re: '${'('.repeat(3000)}a${')'.repeat(3000)}'`)),
  });
  symlinkSync(dir, path.join(dir, 'loop'));
  writeFileSync(path.join(dir, 'huge-rep.yml'), ruleYaml(sel("CommandLine|re: '(a{1000}){1000}'")).replace('000000000001', '000000000002'));
  const res = await runCli(['rules', 'lint', dir, '--format', 'json']);
  const rows = JSON.parse(res.stdout) as { file: string; status: string; reason: string | null }[];
  const by = Object.fromEntries(rows.map((r) => [path.basename(r.file), r]));
  assert.match(by['bomb.yml']!.reason!, /alias|YAML/i);
  assert.match(by['big.yml']!.reason!, /larger than a rule file can be/);
  assert.equal(by['ok.yml']!.status, 'loaded');
  assert.match(by['huge-rep.yml']!.reason!, /regular expression/);
  assert.ok(by['deep.yml'], 'a deeply nested pattern is listed, loaded or not');
  assert.ok(!rows.some((r) => r.file.includes('/loop/')), 'symbolic links are not followed');
  // the catastrophic-backtracking pattern on a hostile 200,000-character value answers at once
  const set = compile(sel("CommandLine|re: '(a+)+b'"));
  assert.equal(set.rules[0]!.detection.test(new RecordView({ CommandLine: `${'a'.repeat(200_000)}c` })), false);
});

test('hunt --no-recovered leaves out records recovered from damaged chunks; kept ones are marked', async () => {
  const sample = path.join(sharedDir(), 'samples', 'evtx', 'sample_with_a_bad_chunk_magic.evtx');
  const dir = collection({ 'any.yml': ruleYaml(sel('EventID|gte: 0')) });
  const rules = { paths: [path.join(dir, 'any.yml')] };
  const count = (r: Awaited<ReturnType<typeof huntFixed>>) => r.findings.filter((f) => f.rule.startsWith('sigma:')).reduce((n, f) => n + f.count, 0);
  const all = await huntFixed([sample], { sigma: rules });
  const live = await huntFixed([sample], { sigma: rules, skipRecovered: true });
  assert.equal(count(live), 270);
  assert.ok(count(all) > count(live));
  assert.ok(all.findings.some((f) => f.evidence.some((e) => e.recovered === true)));
  assert.ok(!live.findings.some((f) => f.evidence.some((e) => e.recovered === true)));
});

test('the SigmaHQ tree: every rule for a log exhunt reads is loaded (with the example placeholder values)', async () => {
  const rules = path.join(sharedDir(), 'samples', 'sigma-rules');
  const res = await runCli(['rules', 'lint', rules, '--format', 'json', '--sigma-config', path.join(repoRoot(), 'examples', 'sigma-config.yaml')]);
  const rows = JSON.parse(res.stdout) as { file: string; status: string; reason: string | null }[];
  assert.ok(rows.length >= 3780, `${rows.length} rule documents`);
  const rejected = rows.filter((r) => r.status === 'rejected');
  const windowsOrWeb = rejected.filter((r) => !/^unmapped logsource/.test(r.reason ?? '') && !/placeholder/.test(r.reason ?? ''));
  assert.deepEqual(windowsOrWeb, [], 'only unmapped log sources and cloud placeholders may be rejected');
  const placeholders = rejected.filter((r) => /placeholder/.test(r.reason ?? ''));
  assert.ok(placeholders.every((r) => !/[/\\]windows[/\\]/.test(r.file)), JSON.stringify(placeholders));
  const unmapped = rejected.filter((r) => /^unmapped logsource/.test(r.reason ?? ''));
  assert.ok(!unmapped.some((r) => /product: windows|category: (webserver|proxy|antivirus)\b/.test(r.reason ?? '')), 'Windows, webserver, proxy and antivirus rules are all mapped');
});

test('a rule that throws is switched off and reported; the other rules go on', async () => {
  const { SigmaEngine } = await import('../src/detect/sigma/engine.js');
  const set = buildRuleSet(parseRuleText(`${ruleYaml(sel('EventID: 4624'))}---\n${ruleYaml(sel('EventID: 4624')).replace('000000000001', '000000000009')}`, 'r.yml').docs, { placeholders: {} });
  set.rules[0]!.detection.test = () => {
    throw new Error('boom');
  };
  const engine = new SigmaEngine(set);
  const ev = {
    source: 'evtx' as const,
    time: 0,
    fields: { EventID: '4624', Channel: 'Security' },
    win: { eventId: 4624, provider: 'Microsoft-Windows-Security-Auditing', channel: 'Security', computer: 'X', recordId: 1, level: 0, data: {}, list: [] },
    prov: { input: 0, file: 'Security.evtx', offset: 4608, record: 1 },
    raw: 'Security 4624',
  };
  const hits: string[] = [];
  engine.inspect(ev, (r) => hits.push(r.id));
  engine.inspect(ev, (r) => hits.push(r.id));
  assert.deepEqual(hits, ['sigma:00000000-0000-4000-8000-000000000009', 'sigma:00000000-0000-4000-8000-000000000009']);
  const { failures } = engine.drainFeed();
  assert.equal(failures.length, 1);
  assert.match(failures[0]!, /00000000-0000-4000-8000-000000000001 .*Security\.evtx offset 4608 and was switched off: boom/);
});
