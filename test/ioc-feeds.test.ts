// --ioc feeds in JSON: STIX 2.1 bundles (patterns, observables, revoked and unusable indicators) and
// MISP events read by parseIndicators; IP ranges and URL indicators; malformed JSON; and the feeds
// end to end in a hunt, where findings must cite the feed. Fixtures: test/fixtures/ioc/.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { Report } from '../src/core/types.js';
import { iocDetector } from '../src/detect/ioc/detector.js';
import { type Indicator, type IndicatorParse, parseIndicators } from '../src/detect/ioc/indicators.js';
import { IpMatcher, readIp, withoutFirstGroup } from '../src/detect/ioc/ip.js';
import { readStixPattern } from '../src/detect/ioc/stix-pattern.js';
import { createScanEnv } from '../src/pipeline/env.js';
import { processFile } from '../src/pipeline/process-file.js';
import { DEFAULT_LIMITS } from '../src/sources/types.js';
import { iisHeader, iisLine } from '../tools/corpus/formats.js';
import { byRule, collection, huntFixed, repoRoot, tempDir } from './helpers.js';

const STIX = 'exchange-campaign.stix.json';
const MISP = 'proxyshell-event.misp.json';
const fixturePath = (name: string) => path.join(repoRoot(), 'test', 'fixtures', 'ioc', name);
const parseFixture = (name: string) => parseIndicators(readFileSync(fixturePath(name), 'utf8'), name);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const find = (p: IndicatorParse, type: Indicator['type'], value: string) => p.indicators.find((i) => i.type === type && i.value === value);
const pairs = (p: IndicatorParse) => p.indicators.map((i) => `${i.type} ${i.value}`).sort();

/** The web shell stand-ins whose hashes the fixtures carry. */
const STIX_SHELL = 'exhunt test stand-in for a dropped page (STIX feed)\n';
const MISP_SHELL = 'exhunt test stand-in for a dropped page (MISP event)\n';

describe('STIX patterns', () => {
  const cases: { pattern: string; want: string[] | RegExp }[] = [
    { pattern: "[ipv4-addr:value = '198.51.100.1']", want: ['ipv4-addr:value = 198.51.100.1'] },
    { pattern: "[file:hashes.'SHA-256' = 'aa' OR file:hashes.SHA256 = 'bb' AND file:name = 'x.aspx']", want: ['file:hashes.SHA-256 = aa', 'file:hashes.SHA256 = bb', 'file:name = x.aspx'] },
    { pattern: "[url:value = 'a'] FOLLOWEDBY ([url:value = 'b'] OR [url:value = 'c']) WITHIN 600 SECONDS", want: ['url:value = a', 'url:value = b', 'url:value = c'] },
    { pattern: "[ipv4-addr:value IN ('1.1.1.1', '2.2.2.2')] REPEATS 5 TIMES START t'2021-03-01T00:00:00Z' STOP t'2021-04-01T00:00:00Z'", want: ['ipv4-addr:value IN 1.1.1.1|2.2.2.2'] },
    { pattern: "[file:name = 'it\\'s.aspx' OR file:name = 'C:\\\\x\\\\y.aspx' OR file:name = 'a\\b']", want: ["file:name = it's.aspx", 'file:name = C:\\x\\y.aspx', 'file:name = a\\b'] },
    { pattern: "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'Mozilla/5.0 (x; y)']", want: ['network-traffic:extensions.http-request-ext.request_header.User-Agent = Mozilla/5.0 (x; y)'] },
    { pattern: "[file:size > 10 AND file:name NOT = 'y' AND process:child_refs[*].name LIKE 'cmd%' AND file:hashes.MD5 != h'00']", want: ['file:size >', 'NOT file:name = y', 'process:child_refs.*.name LIKE cmd%', 'file:hashes.MD5 !='] },
    { pattern: "[file:name = 'never closed]", want: /unterminated string starting at offset 13/ },
    { pattern: "file:name = 'x'", want: /outside an observation expression/ },
    { pattern: "[file:name = 'x'", want: /unbalanced/ },
    { pattern: "[file:name 'x']", want: /not followed by a comparison operator/ },
    { pattern: "[file:name IN ('a', 'b']", want: /not closed/ },
    { pattern: "[file:name = 'x'] § [y:z = 'w']", want: /unexpected "§" at offset 18/ },
  ];
  for (const c of cases) {
    test(c.pattern, () => {
      const read = readStixPattern(c.pattern);
      if (c.want instanceof RegExp) {
        assert.ok('error' in read, JSON.stringify(read));
        assert.match(read.error, c.want);
        return;
      }
      assert.ok('comparisons' in read, JSON.stringify(read));
      const shown = read.comparisons.map((x) => `${x.negated ? 'NOT ' : ''}${x.object}:${x.property.join('.')} ${x.operator}${x.values.length > 0 ? ` ${x.values.join('|')}` : ''}`);
      assert.deepEqual(shown, c.want);
    });
  }

  test('a long pattern reads in one pass (20,000 OR-joined comparisons)', () => {
    const terms = Array.from({ length: 20000 }, (_, i) => `ipv4-addr:value = '10.${(i >> 8) & 255}.${i & 255}.1'`);
    const read = readStixPattern(`[${terms.join(' OR ')}]`);
    assert.ok('comparisons' in read);
    assert.equal(read.comparisons.length, 20000);
    assert.deepEqual(read.comparisons[19999]!.values, ['10.78.31.1']);
  });
});

describe('STIX 2.1 bundles', () => {
  const parsed = parseFixture(STIX);

  test('reads indicators and observables of every supported kind; revoked ones and non-STIX patterns are left out', () => {
    assert.equal(sha256(STIX_SHELL), 'cf8e9b8cf7ec5511fc4a742e8297e123a4a091bca35ca7c7393bfd1c3cb550fc');
    assert.deepEqual(pairs(parsed), [
      'file-name o\'brien.aspx',
      'file-name redirsuiteserverproxy.aspx',
      'file-path inetpub/wwwroot/aspnet_client/shell2.aspx',
      'ip 192.0.2.77',
      'ip 198.51.100.0/24',
      'ip 2001:db8:85a3::8a2e:370:7334',
      'ip 203.0.113.45',
      'md5 b8d9dd719c8242d5f84fb5da161aad3f',
      `sha256 ${sha256(STIX_SHELL)}`,
      'url /aspnet_client/system_web/log.aspx',
      'url /ecp/y.js',
      'url /owa/auth/erroree.aspx',
      'user-agent ExchangeServicesClient/0.0.0.0',
      'user-agent Mozilla/5.0 (Windows NT 10.0; Win64; x64) zgrab/0.x',
    ]);
    assert.equal(find(parsed, 'ip', '192.0.2.200'), undefined, 'revoked indicator');
  });

  test('sources cite the file and the indicator; notes carry the description and the validity of expiring indicators', () => {
    const ip = find(parsed, 'ip', '203.0.113.45')!;
    assert.equal(ip.source, `${STIX} (STIX indicator Exchange exploitation infrastructure March 2021)`);
    assert.equal(ip.note, 'Addresses that sent ProxyLogon exploit requests.; valid from 2021-03-02T00:00:00Z until 2021-06-30T00:00:00Z');
    const hash = find(parsed, 'sha256', sha256(STIX_SHELL))!;
    assert.equal(hash.source, `${STIX} (STIX indicator Web shell dropped in aspnet_client)`);
    assert.equal(hash.note, 'File hash of the web shell written after ProxyLogon exploitation.');
    assert.equal(find(parsed, 'url', '/owa/auth/erroree.aspx')?.note, 'Web shell URLs', 'the name is the note when there is no description');
    assert.equal(find(parsed, 'ip', '192.0.2.77')?.source, `${STIX} (STIX ipv4-addr ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd)`);
  });

  test('one error line per indicator with nothing usable, one for skipped pattern types; none for skipped comparisons', () => {
    assert.deepEqual(parsed.errors, [
      `${STIX}: indicator indicator--9f0e8d7c-6b5a-4a39-8271-605f4e3d2c1b: no usable comparison in pattern "[domain-name:value = 'evil.example' OR file:name MATCHES '^[a-zA-Z0-9]{8}\\\\.aspx$']"`,
      `${STIX}: 1 indicators with pattern types exhunt does not read (sigma ×1) were skipped`,
    ]);
  });

  test('a bare array of objects, a single indicator, STIX 2.0 hash names and embedded observed-data objects', () => {
    const indicator = { type: 'indicator', id: 'indicator--1', name: 'single', pattern: "[file:hashes.SHA-1 = 'ABCDEF0123456789ABCDEF0123456789ABCDEF01']" };
    assert.deepEqual(pairs(parseIndicators(JSON.stringify(indicator), 'one.json')), ['sha1 abcdef0123456789abcdef0123456789abcdef01']);
    const observed = { type: 'observed-data', id: 'observed-data--2', objects: { 0: { type: 'ipv6-addr', value: '2001:DB8::5' }, 1: { type: 'url', value: 'http://x.example/Shell.ASPX' } } };
    const traffic = { type: 'network-traffic', id: 'network-traffic--3', extensions: { 'http-request-ext': { request_method: 'get', request_value: '/ecp/DDI/DDIService.svc/x', request_header: { 'User-Agent': ['curl/7.1 (x)'] } } } };
    const arr = parseIndicators(JSON.stringify([indicator, observed, traffic]), 'arr.json');
    assert.deepEqual(pairs(arr), ['ip 2001:db8::5', 'sha1 abcdef0123456789abcdef0123456789abcdef01', 'url /ecp/ddi/ddiservice.svc/x', 'url /shell.aspx', 'user-agent curl/7.1 (x)']);
    assert.equal(find(arr, 'ip', '2001:db8::5')?.source, 'arr.json (STIX observed-data observed-data--2)');
  });

  test('unusable values say why: a range too wide, a URL without a path, a pattern that does not parse', () => {
    const bundle = {
      type: 'bundle',
      id: 'bundle--3',
      objects: [
        { type: 'indicator', id: 'indicator--wide', pattern: "[ipv4-addr:value = '10.0.0.0/4']" },
        { type: 'indicator', id: 'indicator--root', pattern: "[url:value = 'https://evil.example/']" },
        { type: 'indicator', id: 'indicator--broken', pattern: "[url:value = 'https://evil.example/x" },
        { type: 'indicator', id: 'indicator--nopattern' },
      ],
    };
    const p = parseIndicators(JSON.stringify(bundle), 'why.json');
    assert.equal(p.indicators.length, 0);
    assert.equal(p.errors.length, 4, p.errors.join('\n'));
    assert.match(p.errors[0]!, /^why\.json: indicator indicator--wide: no usable comparison .*: range 10\.0\.0\.0\/4 is too wide/);
    assert.match(p.errors[1]!, /indicator--root: .*has no path to look for/);
    assert.match(p.errors[2]!, /indicator--broken: .*cannot read it: unterminated string/);
    assert.match(p.errors[3]!, /indicator--nopattern: no pattern/);
  });

  test('a large bundle parses, and unusable indicators are listed up to a limit and then counted', () => {
    const objects: unknown[] = [];
    for (let i = 0; i < 30000; i++) {
      const hash = createHash('sha256').update(String(i)).digest('hex');
      objects.push({ type: 'indicator', spec_version: '2.1', id: `indicator--${i}`, created: '2021-03-05T08:00:00.000Z', modified: '2021-03-05T08:00:00.000Z', name: `hash ${i}`, description: 'x'.repeat(200), pattern: `[file:hashes.'SHA-256' = '${hash}']`, pattern_type: 'stix', valid_from: '2021-03-02T00:00:00Z' });
    }
    for (let i = 0; i < 100; i++) objects.push({ type: 'indicator', id: `indicator--d${i}`, pattern: `[domain-name:value = 'd${i}.example']` });
    const text = JSON.stringify({ type: 'bundle', id: 'bundle--big', objects });
    assert.ok(text.length > 10_000_000);
    const p = parseIndicators(text, 'big.json');
    assert.equal(p.indicators.length, 30000);
    assert.equal(p.errors.length, 21);
    assert.equal(p.errors[20], 'big.json: 80 more problems like the ones above were not listed');
  });
});

describe('MISP events', () => {
  const parsed = parseFixture(MISP);
  const source = `${MISP} (MISP event 1234: ProxyShell intrusion at a hosting customer)`;

  test('event and object attributes, composite types split, deleted attributes left out', () => {
    assert.equal(sha256(MISP_SHELL), '334aeb6a19c1fdb4b4f0fe9ee03e1b6c5eacf9f788f2706f43b4388270afb942');
    assert.deepEqual(pairs(parsed), [
      'file-name errorff.aspx',
      'file-path inetpub/wwwroot/aspnet_client/system_web/xx2.aspx',
      'ip 192.0.2.55',
      'ip 198.18.7.23',
      `sha256 ${sha256(MISP_SHELL)}`,
      'sha256 9b4a3c6f1e2d8a7b5c0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b',
      'url /aspnet_client/discover.aspx',
      'user-agent python-requests/2.25.1',
    ]);
    assert.equal(parsed.indicators.filter((i) => i.type === 'sha1').length, 0, 'the deleted sha1');
  });

  test('sources name the event; notes are the attribute comments', () => {
    assert.ok(parsed.indicators.every((i) => i.source === source), JSON.stringify(parsed.indicators));
    assert.equal(find(parsed, 'ip', '198.18.7.23')?.note, 'C2 reached from w3wp.exe');
    assert.equal(find(parsed, 'file-name', 'errorff.aspx')?.note, 'Web shell');
    assert.equal(find(parsed, 'url', '/aspnet_client/discover.aspx')?.note, undefined);
  });

  test('a bad value is named by attribute; skipped types are one summary line', () => {
    assert.deepEqual(parsed.errors, [
      `${MISP}: MISP event 1234 attribute a0000000-0000-4000-8000-00000000000a: "not-an-md5" is not a valid md5`,
      `${MISP}: 4 attributes of types exhunt does not match (domain ×2, email-src ×1, hostname ×1) were skipped`,
    ]);
  });

  test('REST search responses and bare lists of events', () => {
    const event = (id: number, ip: string) => ({ Event: { id: String(id), info: `event ${id}`, Attribute: [{ type: 'ip-src', value: ip }] } });
    const response = parseIndicators(JSON.stringify({ response: [event(1, '192.0.2.1'), event(2, '192.0.2.2')] }), 'r.json');
    assert.deepEqual(response.indicators.map((i) => i.source), ['r.json (MISP event 1: event 1)', 'r.json (MISP event 2: event 2)']);
    const bare = parseIndicators(JSON.stringify([event(3, '192.0.2.3').Event]), 'b.json');
    assert.deepEqual(pairs(bare), ['ip 192.0.2.3']);
  });
});

describe('malformed JSON and unknown documents', () => {
  const cases: { text: string; offset: number; why: RegExp }[] = [
    { text: '{"type":"bundle","objects":[{"type":"indicator",}]}', offset: 48, why: /Expected double-quoted property name/ },
    { text: "{'Event': {}}", offset: 1, why: /property name/ },
    { text: '\uFEFF{"Event": {"info": tru}}', offset: 20, why: /: Unexpected token '.'$/ },
    { text: '[{"type": "indicator"', offset: 21, why: /Expected ',' or '}'|Unexpected end/ },
  ];
  for (const c of cases) {
    test(JSON.stringify(c.text), () => {
      const p = parseIndicators(c.text, 'feed.json');
      assert.equal(p.indicators.length, 0);
      assert.equal(p.errors.length, 1, p.errors.join('\n'));
      assert.ok(p.errors[0]!.startsWith(`feed.json: not valid JSON at offset ${c.offset}: `), p.errors[0]);
      assert.match(p.errors[0]!, c.why);
    });
  }

  test('valid JSON that is neither STIX nor MISP is said to be so', () => {
    const p = parseIndicators('{"indicators": ["192.0.2.1"]}', 'other.json');
    assert.deepEqual(p, { indicators: [], errors: ['other.json: JSON that is neither a STIX 2.1 bundle (or STIX objects) nor a MISP event'] });
  });
});

describe('URL indicators and IP ranges in CSV and text', () => {
  test('url, uri and link types; URLs recognised by shape; paths kept without host, lower case', () => {
    const csv = parseIndicators('indicator,type\nhttps://Mail.Victim.example/OWA/auth/errorEE.aspx,url\n/aspnet_client/system_web/log.aspx,uri\nevil.example/ecp/Y.js?a=B,link\n', 'u.csv');
    assert.deepEqual(csv.indicators.map((i) => i.value), ['/owa/auth/erroree.aspx', '/aspnet_client/system_web/log.aspx', '/ecp/y.js?a=b']);
    const txt = parseIndicators('hxxps://evil[.]example/a%20b.aspx#top\nurl:http://evil.example/\nurl:https://phish.example/owa/auth/logon.aspx\n198.51.100.7/24\n2001:db8::/32\n10.0.0.0/4\n', 'u.txt');
    assert.deepEqual(pairs(txt), ['ip 198.51.100.0/24', 'ip 2001:db8::/32', 'url /a b.aspx']);
    assert.equal(txt.errors.length, 3);
    assert.match(txt.errors[0]!, /^u\.txt:2: URL http:\/\/evil\.example\/ has no path/);
    assert.match(txt.errors[1]!, /^u\.txt:3: .*every Exchange server serves/);
    assert.match(txt.errors[2]!, /^u\.txt:6: range 10\.0\.0\.0\/4 is too wide/);
  });

  test('addresses and ranges: canonical IPv6, single-address ranges, the narrowest range wins', () => {
    assert.deepEqual(readIp('2001:0DB8:0000:0000:0000:0000:0000:0001'), { value: '2001:db8::1' });
    assert.deepEqual(readIp('192.0.2.9/32'), { value: '192.0.2.9' });
    assert.deepEqual(readIp('::ffff:192.0.2.9'), { value: '::ffff:192.0.2.9' });
    assert.ok('problem' in readIp('192.0.2.0/33'));
    const m = new IpMatcher<string>();
    for (const v of ['198.51.0.0/16', '198.51.100.0/24', '192.0.2.9', '2001:db8::/32', '2001:db8::1']) m.add(v, v);
    assert.equal(m.match('198.51.100.77'), '198.51.100.0/24');
    assert.equal(m.match('198.51.7.1'), '198.51.0.0/16');
    assert.equal(m.match('198.52.0.1'), undefined);
    assert.equal(m.match('192.0.2.9'), '192.0.2.9');
    assert.equal(m.match('2001:DB8:0::1'), '2001:db8::1');
    assert.equal(m.match('2001:db8:ffff::2'), '2001:db8::/32');
    assert.equal(m.match('2001:db9::2'), undefined);
    assert.equal(m.match('-'), undefined);
  });

  test('needles are literals a matching line holds: range prefixes, user-agent pieces without spaces, URL paths', () => {
    const ind = (type: Indicator['type'], value: string): Indicator => ({ type, value, source: 't' });
    const d = iocDetector([ind('ip', '198.51.100.0/24'), ind('ip', '2001:db8::/32'), ind('user-agent', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) zgrab/0.x'), ind('url', '/owa/auth/erroree.aspx'), ind('url', '/a b.aspx?x=1')])!;
    // Address needles leave out the first group: the prefilter alternation must not start on digits.
    assert.deepEqual([...d.needles!].sort(), ['/owa/auth/erroree.aspx', '.51.100.', ':db8:', 'b.aspx', 'mozilla/5.0'].sort());
    assert.equal(withoutFirstGroup('203.0.113.45'), '.0.113.45');
    assert.equal(withoutFirstGroup('2001:db8::1'), ':db8::1');
    assert.equal(withoutFirstGroup('198.'), '198.', 'nothing would be left');
    assert.equal(d.inspectsEveryCandidate, true, 'the detector looks addresses up itself');
    const many = Array.from({ length: 6000 }, (_, i) => ind('ip', `10.${i >> 8}.${i & 255}.1`));
    assert.equal(iocDetector(many)!.needles, null, 'a large feed reads every record rather than prefiltering with thousands of needles');
  });
});

/** Runs one IIS log through the scanning path (line prefilter included) with these indicators. */
async function scanIis(lines: string[], indicators: Indicator[]) {
  const dir = tempDir();
  const file = path.join(dir, 'u_ex210303.log');
  const t = Date.parse('2021-03-03T02:00:00Z');
  writeFileSync(file, `${iisHeader(t)}${lines.join('\r\n')}\r\n`);
  const env = createScanEnv({ limits: DEFAULT_LIMITS, iocs: indicators });
  await processFile({ input: 0, rel: 'u_ex210303.log', size: statSync(file).size, location: { kind: 'fs', path: file } }, env);
  return env.engine.drain().groups.filter((g) => g.rule === 'ioc-match');
}

const T = Date.parse('2021-03-03T02:00:00Z');
const req = (clientIp: string, stem: string, opts: { query?: string; userAgent?: string; status?: number } = {}) =>
  iisLine({ time: T, serverIp: '10.0.0.5', method: 'GET', stem, query: opts.query ?? '', port: 443, user: '', clientIp, userAgent: opts.userAgent ?? 'Mozilla/5.0', status: opts.status ?? 200, timeTaken: 5 });

describe('URL indicators in web logs', () => {
  test('a request for the path matches whatever the host and case; other paths do not', async () => {
    const stix = parseFixture(STIX).indicators.filter((i) => i.type === 'url');
    const groups = await scanIis([req('10.9.9.9', '/OWA/auth/ErrorEE.aspx'), req('10.9.9.8', '/owa/auth/logon.aspx'), req('10.9.9.7', '/aspnet_client/system_web/log.aspx', { status: 404 })], stix);
    assert.deepEqual(groups.map((g) => `${g.key} ${g.severity} ${g.rep.title}`).sort(), [
      'url:/aspnet_client/system_web/log.aspx medium Known attacker URL /aspnet_client/system_web/log.aspx',
      'url:/owa/auth/erroree.aspx high Known attacker URL /owa/auth/erroree.aspx',
    ]);
    const shell = groups.find((g) => g.key === 'url:/owa/auth/erroree.aspx')!;
    assert.deepEqual(shell.facets['source'], [`${STIX} (STIX indicator Web shell URLs)`]);
    assert.match(shell.rep.summary, /10\.9\.9\.9: GET \/OWA\/auth\/ErrorEE\.aspx \(status 200\) matches a published indicator \(Web shell URLs; source: exchange-campaign\.stix\.json/);
  });

  test('an indicator with a query matches that query only', async () => {
    const ind: Indicator = { type: 'url', value: '/ecp/default.flt?cmd=whoami', source: 'q.csv' };
    const groups = await scanIis([req('10.9.9.9', '/ecp/default.flt', { query: 'cmd=WHOAMI' }), req('10.9.9.8', '/ecp/default.flt', { query: 'cmd=dir' })], [ind]);
    assert.deepEqual(groups.map((g) => g.rep.clientIp), ['10.9.9.9']);
  });

  test('existing kinds keep their titles and keys; user agents with spaces get through the prefilter', async () => {
    const groups = await scanIis(
      [req('203.0.113.45', '/owa/'), req('10.1.1.1', '/ecp/', { userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) zgrab/0.x' })],
      parseFixture(STIX).indicators,
    );
    assert.deepEqual(groups.map((g) => `${g.key} | ${g.rep.title}`).sort(), [
      'ip:203.0.113.45 | Known attacker address 203.0.113.45',
      'user-agent:Mozilla/5.0 (Windows NT 10.0; Win64; x64) zgrab/0.x | Known attacker user agent Mozilla/5.0 (Windows NT 10.0; Win64; x64) zgrab/0.x',
    ]);
  });
});

describe('--ioc feeds in a hunt', () => {
  const files = () =>
    collection({
      'C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log': `${iisHeader(T)}${[
        req('203.0.113.45', '/owa/auth/x.js'),
        req('198.51.100.99', '/ecp/default.flt', { status: 401 }),
        req('192.0.2.55', '/autodiscover/autodiscover.json', { query: 'a=b' }),
        req('10.1.1.1', '/owa/', { userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) zgrab/0.x' }),
        req('10.2.2.2', '/owa/auth/errorEE.aspx'),
      ].join('\r\n')}\r\n`,
      'C/inetpub/wwwroot/aspnet_client/system_web/stand_in.aspx': STIX_SHELL,
      'C/inetpub/wwwroot/aspnet_client/errorFF.aspx': MISP_SHELL,
    });
  const sourceOf = (r: Report, title: string) => byRule(r, 'ioc-match').find((f) => f.title === title)?.details['source'];

  test('log and file findings cite the STIX indicator or the MISP event', async () => {
    const r = await huntFixed([files()], { sweep: { iocs: [fixturePath(STIX), fixturePath(MISP)] } });
    assert.deepEqual(sourceOf(r, 'Known attacker address 203.0.113.45'), [`${fixturePath(STIX)} (STIX indicator Exchange exploitation infrastructure March 2021)`]);
    const range = byRule(r, 'ioc-match').find((f) => f.title === 'Known attacker address 198.51.100.0/24');
    assert.equal(range?.clientIp, '198.51.100.99');
    assert.ok(sourceOf(r, 'Known attacker user agent Mozilla/5.0 (Windows NT 10.0; Win64; x64) zgrab/0.x'));
    assert.deepEqual(sourceOf(r, 'Known attacker address 192.0.2.55'), [`${fixturePath(MISP)} (MISP event 1234: ProxyShell intrusion at a hosting customer)`]);

    const stixFile = r.findings.find((f) => f.file?.path === 'C/inetpub/wwwroot/aspnet_client/system_web/stand_in.aspx');
    assert.equal(stixFile?.rule, 'file-known-bad-hash');
    assert.match(stixFile!.summary, /STIX indicator Web shell dropped in aspnet_client/);
    const mispFile = r.findings.find((f) => f.file?.path === 'C/inetpub/wwwroot/aspnet_client/errorFF.aspx');
    assert.equal(mispFile?.rule, 'file-known-bad-hash');
    assert.match(mispFile!.summary, /MISP event 1234: ProxyShell intrusion at a hosting customer/);

    const iocErrors = r.errors.filter((e) => e.code === 'E_IOC').map((e) => e.message);
    assert.ok(iocErrors.some((m) => /indicator--9f0e8d7c.*no usable comparison/.test(m)), iocErrors.join('\n'));
    assert.ok(iocErrors.some((m) => /4 attributes of types exhunt does not match/.test(m)), iocErrors.join('\n'));
  });

  test('a URL indicator from a feed finds the request in the hunt', async () => {
    const r = await huntFixed([files()], { sweep: { iocs: [fixturePath(STIX)] } });
    assert.deepEqual(sourceOf(r, 'Known attacker URL /owa/auth/erroree.aspx'), [`${fixturePath(STIX)} (STIX indicator Web shell URLs)`]);
  });

  test('a malformed feed is one error, no indicators, and the hunt goes on', async () => {
    const dir = tempDir();
    const bad = path.join(dir, 'feed.json');
    writeFileSync(bad, '{"type": "bundle", "objects": [\n  {"type": "indicator", "pattern": \'[ipv4-addr:value = "1.2.3.4"]\'}\n]}');
    const r = await huntFixed([files()], { sweep: { iocs: [bad] } });
    const messages = r.errors.filter((e) => e.code === 'E_IOC').map((e) => e.message);
    assert.deepEqual(messages, [`${bad}: not valid JSON at offset 67: Unexpected token '''`, `${bad}: no indicators read`]);
    assert.equal(byRule(r, 'ioc-match').some((f) => f.title === 'Known attacker address 203.0.113.45'), false);
  });
});
