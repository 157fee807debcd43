// The exposure scanner against a fleet of simulated front ends on 127.0.0.1: verdicts match what
// `exhunt build` says for the build each host runs, nothing but browser GETs is sent, scope is
// enforced before any packet, and timeouts, retries, rate and concurrency limits and Ctrl-C behave.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assessBuild } from '../src/exposure/assess.js';
import { Scope } from '../src/exposure/scan/scope.js';
import { type ScanResult, scanTargets } from '../src/exposure/scan/scanner.js';
import { type Target, expandTarget } from '../src/exposure/scan/targets.js';
import { EXPORT_TOOL_PATH } from '../src/exposure/scan/fingerprint.js';
import { type Fleet, type HostSpec, startFleet } from './fleet.js';
import { repoRoot, runCli, tempDir } from './helpers.js';

const NOW = Date.parse('2026-11-26T00:00:00Z');
const SPECS: HostSpec[] = [
  { name: 'e16-cu19-header', style: 'header', build: '15.1.2176.2' },
  { name: 'e19-cu12-tool', style: 'exporttool', build: '15.2.1118.20' },
  { name: 'e16-cu22-mitigated', style: 'owa-path', build: '15.1.2375.37' },
  { name: 'se-abs-redirect', style: 'absolute-redirect', build: '15.2.2562.17' },
  { name: 'e13-offsite', style: 'offsite-redirect', build: '15.0.1497.12' },
  { name: 'e19-cu14-header', style: 'header', build: '15.2.1544.4' },
  { name: 'web', style: 'not-exchange' },
  { name: 'hidden', style: 'hidden' },
  { name: 'hang', style: 'hang' },
  { name: 'broken-tls', style: 'broken-tls' },
  { name: 'closed', style: 'closed' },
  { name: 'e16-http', style: 'header', build: '15.1.2507.59', tls: false },
];

let fleet: Fleet;
let result: ScanResult;
const byName = (name: string) => result.hosts[SPECS.findIndex((s) => s.name === name)]!;
const targetOf = (name: string): Target => {
  const h = fleet.hosts.find((x) => x.name === name)!;
  return { given: h.url, host: '127.0.0.1', port: h.port, tls: h.tls };
};

before(async () => {
  fleet = await startFleet(SPECS);
  result = await scanTargets(
    SPECS.map((s) => targetOf(s.name)),
    {
      scope: new Scope(['127.0.0.1']),
      concurrency: 4,
      rate: 0,
      timeoutMs: 700,
      retries: 1,
      now: NOW,
      resolve: async (n) => {
        throw new Error(`the scan must not resolve ${n}`);
      },
    },
  );
});
after(() => fleet.close());

describe('scan: verdicts match the build each simulated host runs', () => {
  const expect: [string, string, string][] = [
    ['e16-cu19-header', '15.1.2176.2', 'x-owa-version'],
    ['e19-cu12-tool', '15.2.1118.20', 'exporttool'],
    ['e16-cu22-mitigated', '15.1.2375', 'owa-path'],
    ['se-abs-redirect', '15.2.2562.17', 'exporttool'],
    ['e13-offsite', '15.0.1497.12', 'exporttool'],
    ['e19-cu14-header', '15.2.1544.4', 'x-owa-version'],
    ['e16-http', '15.1.2507.59', 'x-owa-version'],
  ];
  for (const [name, build, source] of expect) {
    test(`${name}: ${build} from ${source}`, () => {
      const h = byName(name);
      const want = assessBuild(build, { now: NOW });
      assert.equal(h.reachable, true);
      assert.equal(h.exchange, true);
      assert.equal(h.build, build);
      assert.equal(h.buildSource, source);
      assert.equal(h.product, want.product);
      assert.equal(h.cu, want.cu);
      assert.equal(h.su, want.su);
      assert.equal(h.verdict, want.verdict);
      assert.deepEqual(h.cves.map((c) => c.id), want.cves.map((c) => c.id));
      assert.equal(h.error, null);
    });
  }

  test('verdicts cover every kind', () => {
    assert.equal(byName('e16-cu19-header').verdict, 'vulnerable');
    assert.equal(byName('se-abs-redirect').verdict, 'patched');
    assert.equal(byName('e19-cu14-header').verdict, 'outdated-unsupported');
    assert.equal(byName('e16-cu22-mitigated').verdict, 'vulnerable', 'CU22 is open whatever its SU');
    assert.ok(byName('e16-cu22-mitigated').suDependent.length > 0);
  });

  test('HTTPS hosts record the certificate; plain HTTP has none', () => {
    const tls = byName('e16-cu19-header').tls!;
    assert.match(tls.subject, /CN=mail\.exhunt\.test/);
    assert.equal(tls.selfSigned, true);
    assert.equal(tls.expired, false);
    assert.match(tls.validTo, /^2126-/);
    assert.ok(tls.altNames.includes('DNS:mail.exhunt.test'));
    assert.match(tls.sha256, /^[0-9A-F:]{95}$/);
    assert.equal(byName('e16-http').tls, null);
  });

  test('a web server that is not Exchange, and an Exchange that hides its build, are unknown', () => {
    const web = byName('web');
    assert.equal(web.reachable, true);
    assert.equal(web.exchange, false);
    assert.equal(web.verdict, 'unknown');
    const hidden = byName('hidden');
    assert.equal(hidden.exchange, true);
    assert.equal(hidden.build, null);
    assert.equal(hidden.verdict, 'unknown');
    assert.match(hidden.summary, /build is hidden/);
  });

  test('a host that never answers times out after its retries; broken TLS and a closed port are errors', () => {
    const hang = byName('hang');
    assert.equal(hang.reachable, true, 'the connection was accepted');
    assert.match(hang.error!, /no answer within 700 ms/);
    assert.equal(hang.requests, 2, 'one try and one retry');
    assert.equal(fleet.connections.get('hang'), 2);
    const broken = byName('broken-tls');
    assert.match(broken.error!, /TLS|reset|socket/i);
    assert.equal(broken.verdict, 'unknown');
    const closed = byName('closed');
    assert.equal(closed.reachable, false);
    assert.equal(closed.error, 'connection refused');
    assert.equal(closed.requests, 1, 'a refused connection is a definite answer, not retried');
  });

  test('only browser requests: GET, three known paths, no cookies, an honest user agent', () => {
    assert.ok(fleet.requests.length >= 15);
    for (const r of fleet.requests) {
      assert.equal(r.method, 'GET');
      assert.ok(['/owa/', '/owa/auth/logon.aspx?url=%2fowa%2f&reason=0', EXPORT_TOOL_PATH].includes(r.url), r.url);
      assert.equal(r.headers.cookie, undefined);
      assert.match(r.headers['user-agent'] ?? '', /exhunt-scan/);
    }
    const offsite = fleet.requests.filter((r) => r.host === 'e13-offsite').map((r) => r.url);
    assert.deepEqual(offsite, ['/owa/', EXPORT_TOOL_PATH], 'a redirect to another host is not followed');
    assert.deepEqual(fleet.requests.filter((r) => r.host === 'e16-cu19-header').map((r) => r.url), ['/owa/'], 'the header was enough');
  });

  test('concurrency bounds the requests in flight', () => {
    assert.ok(fleet.maxInFlight() <= 4, `max in flight ${fleet.maxInFlight()}`);
  });
});

describe('scan: scope', () => {
  test('targets outside the scope are refused before anything is sent', async () => {
    const before = fleet.requests.length;
    const connections = [...fleet.connections.values()].reduce((a, b) => a + b, 0);
    const port = fleet.hosts[0]!.port;
    const resolved: string[] = [];
    const r = await scanTargets(
      [
        { given: 'sneaky.test', host: 'sneaky.test', port, tls: true },
        { given: '127.0.0.2', host: '127.0.0.2', port, tls: true },
        { given: 'mail.victim.test', host: 'mail.victim.test', port, tls: true },
      ],
      {
        scope: new Scope(['10.0.0.0/8', 'mail.victim.test']),
        concurrency: 2,
        rate: 0,
        timeoutMs: 1000,
        retries: 0,
        now: NOW,
        resolve: async (n) => {
          resolved.push(n);
          return n === 'sneaky.test' ? ['10.1.1.1', '127.0.0.1'] : ['127.0.0.1'];
        },
      },
    );
    assert.deepEqual(r.hosts.map((h) => h.verdict), ['refused', 'refused', 'vulnerable']);
    assert.match(r.hosts[0]!.error!, /resolves to 127\.0\.0\.1, outside the scope/);
    assert.match(r.hosts[1]!.error!, /127\.0\.0\.2 is outside the scope/);
    assert.equal(r.hosts[2]!.address, '127.0.0.1', 'a name in scope connects to the address it resolved to');
    assert.equal(fleet.requests.length - before, 1, 'only the in-scope host was contacted');
    assert.equal([...fleet.connections.values()].reduce((a, b) => a + b, 0) - connections, 1);
    assert.equal(fleet.requests.at(-1)!.headers.host, `mail.victim.test:${port}`);
    assert.equal(r.stats.refused, 2);
  });

  test('scope and target syntax', () => {
    const s = new Scope(['192.0.2.0/24', '2001:db8::/64', 'mail.example.org', '*.corp.example', '# comment', '198.51.100.7']);
    assert.ok(s.allowsAddress('192.0.2.200'));
    assert.ok(!s.allowsAddress('192.0.3.1'));
    assert.ok(s.allowsAddress('2001:db8::5'));
    assert.ok(s.allowsAddress('198.51.100.7'));
    assert.ok(s.allowsName('MAIL.example.org.'));
    assert.ok(s.allowsName('owa.corp.example'));
    assert.ok(!s.allowsName('corp.example.evil'));
    assert.throws(() => new Scope(['10.0.0.0/33']), /CIDR/);
    assert.throws(() => new Scope(['#only a comment']), /empty/);
    const d = { tls: true };
    assert.deepEqual([...expandTarget('192.0.2.4/30', d, 100)].map((t) => t.host), ['192.0.2.4', '192.0.2.5', '192.0.2.6', '192.0.2.7']);
    assert.deepEqual([...expandTarget('2001:db8::/127', d, 100)].map((t) => t.host), ['2001:db8::', '2001:db8::1']);
    assert.deepEqual([...expandTarget('http://mail.example.org:8080/owa/', d, 1)][0], { given: 'http://mail.example.org:8080/owa/', host: 'mail.example.org', port: 8080, tls: false });
    assert.deepEqual([...expandTarget('[2001:db8::1]:444', d, 1)][0]!.port, 444);
    assert.deepEqual([...expandTarget('mail.example.org', { tls: false }, 1)][0]!.port, 80);
    assert.throws(() => [...expandTarget('10.0.0.0/8', d, 65536)], /more than --max-hosts/);
    assert.throws(() => [...expandTarget('bad host!', d, 1)], /not a host/);
  });
});

describe('scan (CLI)', () => {
  test('--format json has the promised host fields; out-of-scope targets appear as refused', async () => {
    const h = fleet.hosts.find((x) => x.name === 'e19-cu12-tool')!;
    const r = await runCli(['scan', `127.0.0.1:${h.port}`, 'https://192.0.2.1/owa/', '--scope', '127.0.0.1', '-f', 'json', '--as-of', '2026-11-26', '--timeout', '2s']);
    assert.equal(r.code, 1, r.stderr);
    const j = JSON.parse(r.stdout) as { hosts: Record<string, unknown>[]; stats: Record<string, number> };
    assert.deepEqual(Object.keys(j.hosts[0]!).slice(0, 2), ['target', 'address']);
    for (const k of ['target', 'reachable', 'exchange', 'build', 'buildSource', 'product', 'cu', 'su', 'cves', 'verdict', 'tls', 'error']) assert.ok(k in j.hosts[0]!, k);
    assert.equal(j.hosts[0]!['verdict'], 'vulnerable');
    assert.equal(j.hosts[1]!['target'], 'https://192.0.2.1/owa/');
    assert.equal(j.hosts[1]!['verdict'], 'refused');
    assert.equal(j.stats['refused'], 1);
  });

  test('csv and jsonl; every target refused is exit 2; --scope is required', async () => {
    const h = fleet.hosts.find((x) => x.name === 'se-abs-redirect')!;
    const csv = await runCli(['scan', `127.0.0.1:${h.port}`, '--scope', '127.0.0.0/8', '-f', 'csv']);
    assert.equal(csv.code, 0, csv.stderr);
    const [head, row] = csv.stdout.trim().split('\n');
    assert.match(head!, /^target,address,port,scheme,reachable,exchange,build,build_source,product,cu,su,verdict,cves/);
    assert.match(row!, /,15\.2\.2562\.17,exporttool,Exchange SE,RTM,,patched,/);
    const jl = await runCli(['scan', `127.0.0.1:${h.port}`, `127.0.0.1:${fleet.hosts.find((x) => x.name === 'closed')!.port}`, '--scope', '127.0.0.1', '-f', 'jsonl']);
    assert.equal(jl.stdout.trim().split('\n').length, 2);
    const refused = await runCli(['scan', '192.0.2.1', '--scope', '127.0.0.1']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /every target was refused/);
    const noScope = await runCli(['scan', '127.0.0.1']);
    assert.equal(noScope.code, 2);
    assert.match(noScope.stderr, /--scope is required/);
  });

  test('targets and scope from files', async () => {
    const dir = tempDir();
    const h = fleet.hosts.find((x) => x.name === 'e16-http')!;
    writeFileSync(path.join(dir, 'targets.txt'), `# our servers\n${h.url}\n`);
    writeFileSync(path.join(dir, 'scope.txt'), '127.0.0.1/32 # loopback\n');
    const r = await runCli(['scan', `@${path.join(dir, 'targets.txt')}`, '--scope', `@${path.join(dir, 'scope.txt')}`, '-f', 'json', '--as-of', '2026-11-26']);
    const j = JSON.parse(r.stdout) as { hosts: { verdict: string; buildSource: string }[] };
    assert.equal(j.hosts[0]!.verdict, 'outdated-unsupported');
    assert.equal(j.hosts[0]!.buildSource, 'x-owa-version');
  });

  test('the rate limit spaces requests', async () => {
    const names = ['e19-cu12-tool', 'e16-cu22-mitigated', 'se-abs-redirect'];
    const from = fleet.requests.length;
    const r = await runCli(['scan', ...names.map((n) => `127.0.0.1:${fleet.hosts.find((x) => x.name === n)!.port}`), '--scope', '127.0.0.1', '--rate', '20', '-f', 'json']);
    assert.notEqual(r.code, 2, r.stderr);
    const times = fleet.requests.slice(from).map((q) => q.at).sort((a, b) => a - b);
    assert.equal(times.length, 9);
    // 20/s = one request every 50 ms; allow for timer granularity.
    assert.ok(times.at(-1)! - times[0]! >= 8 * 50 - 20, `9 requests over ${times.at(-1)! - times[0]!} ms`);
  });

  test('Ctrl-C writes the partial results and exits 130', async () => {
    const hang = fleet.hosts.find((x) => x.name === 'hang')!;
    const quick = fleet.hosts.find((x) => x.name === 'e16-cu19-header')!;
    const seen = fleet.connections.get('hang') ?? 0;
    const child = spawn(process.execPath, [path.join(repoRoot(), 'bin', 'exhunt.js'), 'scan', `127.0.0.1:${quick.port}`, `127.0.0.1:${hang.port}`, `127.0.0.1:${hang.port}`, '--scope', '127.0.0.1', '-c', '1', '--timeout', '30s', '-f', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => void (out += c));
    child.stderr.on('data', (c: Buffer) => void (err += c));
    const deadline = Date.now() + 10_000;
    while ((fleet.connections.get('hang') ?? 0) < seen + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 130, err);
    assert.match(err, /interrupted; writing the results so far/);
    const j = JSON.parse(out) as { interrupted: boolean; hosts: { verdict: string; error: string | null }[] };
    assert.equal(j.interrupted, true);
    assert.equal(j.hosts.length, 3);
    assert.equal(j.hosts[0]!.verdict, 'vulnerable', 'the finished host is kept');
    assert.deepEqual(j.hosts.slice(1).map((h) => h.error), ['interrupted', 'not scanned: interrupted']);
  });
});
