import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDatabase } from '../src/serve/db/connect.js';
import { repoRoot, runCli, tempDir } from './helpers.js';
import { type TestService, startTestService } from './serve-app.js';

const EXAMPLES = path.join(repoRoot(), 'examples/serve');

describe('exhunt admin', () => {
  const data = tempDir('exhunt-admin-');
  const admin = (...args: string[]) => runCli(['admin', ...args, '--data', data]);

  test('create-user prints a one-time password that signs in; a second account with the same address is refused', async () => {
    const r = await admin('create-user', 'First@Example.org', '--role', 'admin');
    assert.equal(r.code, 0, r.stderr);
    const password = /one-time password: (\S+)/.exec(r.stdout)?.[1];
    assert.equal(password?.length, 20);
    const h = await openDatabase({ dataDir: data });
    try {
      const { checkLogin } = await import('../src/serve/auth/sessions.js');
      assert.equal((await checkLogin(h.db, 'first@example.org', password!))?.role, 'admin');
    } finally {
      await h.close();
    }
    const again = await admin('create-user', 'first@example.org', '--role', 'viewer');
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already has an account/);
    assert.equal((await admin('create-user', 'x@example.org', '--role', 'root')).code, 2);
  });

  test('create-org prints the id and a token; --ranges is required and checked', async () => {
    const r = await admin('create-org', 'Town of Example', '--ranges', '192.0.2.0/24,2001:db8::/48', '--abuse', 'it@town.example');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^organisation id: [0-9a-f-]{36}\nAPI token: exo_[A-Za-z0-9_-]{43}\n$/);
    const none = await admin('create-org', 'No ranges');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--ranges/);
    const bad = await admin('create-org', 'Bad', '--ranges', '192.0.2.0/33');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /192\.0\.2\.0\/33/);
  });

  test('import-orgs then import-shadowserver: the examples load, attribute and deduplicate', async () => {
    const orgs = await admin('import-orgs', path.join(EXAMPLES, 'organisations.csv'));
    assert.equal(orgs.code, 0, orgs.stderr);
    assert.match(orgs.stdout, /4 created, 1 updated, 0 refused/, 'Town of Example exists already: it gains the list\'s ranges');
    const ss = await admin('import-shadowserver', path.join(EXAMPLES, 'scan_exchange.csv'));
    assert.equal(ss.code, 0, ss.stderr);
    assert.match(ss.stdout, /10 observations \(0 already known\), 7 servers, 5 organisations, 1 unmatched, 0 refused/);
    const again = await admin('import-shadowserver', path.join(EXAMPLES, 'scan_exchange.csv'));
    assert.match(again.stdout, /0 observations \(10 already known\)/);
    const bad = path.join(data, 'bad.csv');
    writeFileSync(bad, '"timestamp","ip","port","hostname","tag"\n"2021-03-09 00:00:00","not-an-ip",443,"x","exchange;cve-2021-26855"\n');
    const refused = await admin('import-shadowserver', bad);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /bad\.csv:2: /);
  });

  test('unknown action and missing arguments are usage errors', async () => {
    assert.equal((await admin('frobnicate')).code, 2);
    assert.equal((await admin('import-orgs')).code, 2);
  });
});

describe('hunt and scan --upload', () => {
  let s: TestService;
  let org: { id: string; token: string };
  before(async () => {
    s = await startTestService('sqlite');
    org = await s.org({ name: 'Uploader', ranges: ['192.0.2.0/24'] });
  });
  after(() => s.close());

  test('hunt --demo --upload stores the report once; the token may come from EXHUNT_TOKEN', async () => {
    const out = path.join(tempDir(), 'r.json');
    const first = await runCli(['hunt', '--demo', '-f', 'json', '-o', out, '--upload', s.url, '--token', org.token, '--upload-server', '192.0.2.10']);
    assert.equal(first.code, 1, first.stderr);
    assert.match(first.stderr, /uploaded to http:\/\/127\.0\.0\.1:\d+: report [0-9a-f-]{36}/);
    const second = await runCli(['hunt', '--demo', '-f', 'console', '--upload', `${s.url}/`, '--upload-server', '192.0.2.10'], { EXHUNT_TOKEN: org.token });
    assert.match(second.stderr, /already uploaded .* \(same document\)/);
    const n = await s.h.db.selectFrom('reports').select('id').where('org_id', '=', org.id).execute();
    assert.equal(n.length, 1);
  });

  test('a refused upload is exit 2 with the service\'s reason; a bad URL or missing token is a usage error', async () => {
    const wrong = await runCli(['hunt', '--demo', '-f', 'json', '-o', path.join(tempDir(), 'r.json'), '--upload', s.url, '--token', 'exo_wrong']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /refused: HTTP 401: the API token is unknown or revoked/);
    assert.equal((await runCli(['hunt', '--demo', '--upload', s.url])).code, 2);
    assert.equal((await runCli(['hunt', '--demo', '--upload', 'ftp://x', '--token', 't'])).code, 2);
    assert.equal((await runCli(['scan', '192.0.2.1', '--scope', '192.0.2.0/24', '--upload', s.url])).code, 2);
  });
});

test('exhunt serve starts on SQLite with no setup, answers health, logs the request, and stops on SIGTERM with exit 0', async () => {
  const data = tempDir('exhunt-serve-cli-');
  const child = spawn(process.execPath, [path.join(repoRoot(), 'bin/exhunt.js'), 'serve', '--port', '0', '--data', data], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DATABASE_URL: '' } });
  let err = '';
  // Whatever happens below, the service must not outlive the test (it would hold the runner open).
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
    assert.match(err, /SQLite .*exhunt\.sqlite/);
    const health = (await (await fetch(`${url}/api/v1/health`)).json()) as { status: string; database: string };
    assert.deepEqual([health.status, health.database], ['ok', 'sqlite']);
    // Standard error arrives in its own time: wait (at most 10 s) for the hint and the access-log line.
    const seen = async (re: RegExp): Promise<boolean> => {
      for (let i = 0; i < 100 && !re.test(err); i++) await new Promise((r) => setTimeout(r, 100));
      return re.test(err);
    };
    assert.ok(await seen(/no staff account yet: exhunt admin create-user/), err);
    assert.ok(await seen(/127\.0\.0\.1 GET \/api\/v1\/health 200 [\d.]+ms anonymous/), `one access-log line per request: ${err}`);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
