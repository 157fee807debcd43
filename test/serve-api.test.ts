import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from './serve-db.js';
import { type TestService, bearer, call, session, startTestService } from './serve-app.js';
import { repoRoot } from './helpers.js';

const demoReport = (): Record<string, unknown> => JSON.parse(readFileSync(path.join(repoRoot(), 'test/testdata/demo-report.json'), 'utf8'));

for (const kind of DATABASE_KINDS) {
  describe(`API on ${kind}`, () => {
    let s: TestService;
    let a: { id: string; token: string };
    let b: { id: string; token: string };
    before(async () => {
      s = await startTestService(kind);
      a = await s.org({ name: 'Org A', ranges: ['192.0.2.0/24'], abuse: ['abuse@a.example'] });
      b = await s.org({ name: 'Org B', ranges: ['198.51.100.0/24'], abuse: ['abuse@b.example'] });
    });
    after(() => s.close());

    test('health answers 200 with the database kind; openapi.json documents every route', async () => {
      const h = await call(`${s.url}/api/v1/health`);
      assert.equal(h.status, 200);
      assert.equal(h.body.database, kind);
      const o = await call(`${s.url}/api/v1/openapi.json`);
      assert.equal(o.status, 200);
      assert.equal(o.body.openapi, '3.1.0');
      for (const p of ['/api/v1/reports', '/api/v1/scans', '/api/v1/organisations/{id}/findings', '/api/v1/organisations/{id}/servers', '/api/v1/health']) assert.ok(o.body.paths[p], `${p} documented`);
      for (const [p, methods] of Object.entries(o.body.paths as Record<string, Record<string, { summary?: string }>>)) {
        for (const [m, op] of Object.entries(methods)) assert.ok(op.summary, `${m} ${p} has a summary`);
      }
      assert.equal(Object.keys(o.body.paths).some((p) => !p.startsWith('/api/v1/')), false, 'dashboard pages are not in the API document');
    });

    test('a report uploaded twice is one record: 201 then 200 with the same id, whatever the whitespace, generatedAt or timings', async () => {
      const doc = demoReport();
      const first = await call(`${s.url}/api/v1/reports?server=192.0.2.10`, { method: 'POST', headers: bearer(a.token), body: doc });
      assert.equal(first.status, 201, first.text);
      assert.match(first.body.id, /^[0-9a-f-]{36}$/);
      const again = await call(`${s.url}/api/v1/reports?server=192.0.2.10`, { method: 'POST', headers: { ...bearer(a.token), 'content-type': 'application/json' }, raw: JSON.stringify(doc, null, 4) });
      assert.equal(again.status, 200);
      assert.equal(again.body.id, first.body.id);
      const rerun = await call(`${s.url}/api/v1/reports?server=192.0.2.10`, { method: 'POST', headers: bearer(a.token), body: { ...doc, generatedAt: '2030-01-01T00:00:00.000Z', stats: { durationMs: 1 } } });
      assert.equal(rerun.status, 200, 'hunting the same collection again is the same report');
      assert.equal(rerun.body.id, first.body.id);
      const reports = await s.h.db.selectFrom('reports').select('id').where('org_id', '=', a.id).execute();
      assert.equal(reports.length, 1);
      const findings = await call(`${s.url}/api/v1/organisations/${a.id}/findings?limit=500`, { headers: bearer(a.token) });
      assert.equal(findings.status, 200);
      assert.equal(findings.body.total, (doc['findings'] as unknown[]).length);
      assert.equal(findings.body.items[0].severity, 'critical');
      const servers = await call(`${s.url}/api/v1/organisations/${a.id}/servers`, { headers: bearer(a.token) });
      assert.equal(servers.body.items[0].address, '192.0.2.10');
      assert.equal(servers.body.items[0].compromised, true);
      const body = await call(`${s.url}/api/v1/reports/${first.body.id}`, { headers: bearer(a.token) });
      assert.deepEqual(body.body, doc);
    });

    test('a report about a server outside the organisation\'s ranges is refused', async () => {
      const r = await call(`${s.url}/api/v1/reports?server=198.51.100.9`, { method: 'POST', headers: bearer(a.token), body: { ...demoReport(), findings: [] } });
      assert.equal(r.status, 400);
      assert.match(r.body.error, /198\.51\.100\.9 is not in the organisation's registered address ranges/);
    });

    test('an upload cannot move a server into the future or plant made-up CVE ids', async () => {
      const host = { target: '192.0.2.30', address: '192.0.2.30', port: 443, scheme: 'https', reachable: true, exchange: true, build: '15.1.2106.2', product: 'Exchange Server 2016', verdict: 'vulnerable', cves: [{ id: 'CVE-2021-26855' }, { id: '<img src=x>' }, { id: 'cve-2021-27065' }], error: null };
      const r = await call(`${s.url}/api/v1/scans`, { method: 'POST', headers: bearer(a.token), body: { hosts: [host] } });
      assert.equal(r.status, 201, r.text);
      const stored = await s.h.db.selectFrom('servers').select(['cves', 'last_seen']).where('address', '=', '192.0.2.30').executeTakeFirstOrThrow();
      assert.equal(stored.cves, 'CVE-2021-26855 CVE-2021-27065');
      const future = await call(`${s.url}/api/v1/reports?server=192.0.2.31`, { method: 'POST', headers: bearer(a.token), body: { ...demoReport(), generatedAt: '9999-12-31T00:00:00.000Z', findings: [] } });
      assert.equal(future.status, 201, future.text);
      const seen = await s.h.db.selectFrom('servers').select('last_seen').where('address', '=', '192.0.2.31').executeTakeFirstOrThrow();
      assert.ok(seen.last_seen <= new Date().toISOString(), `last_seen ${seen.last_seen} is not in the future`);
      const chart = await s.h.db.selectFrom('exposure_counts').select('day').where('day', '>', new Date().toISOString().slice(0, 10)).execute();
      assert.deepEqual(chart, []);
    });

    test("a provider's range that holds a customer's more specific range does not let the provider write about the customer's servers", async () => {
      const provider = await s.org({ name: 'Provider', ranges: ['203.0.113.0/24'] });
      const customer = await s.org({ name: 'Customer', ranges: ['203.0.113.64/28'] });
      const mine = await call(`${s.url}/api/v1/reports?server=203.0.113.5`, { method: 'POST', headers: bearer(provider.token), body: { ...demoReport(), findings: [] } });
      assert.equal(mine.status, 201, 'its own address');
      const theirs = await call(`${s.url}/api/v1/reports?server=203.0.113.70`, { method: 'POST', headers: bearer(provider.token), body: { ...demoReport(), findings: [] } });
      assert.equal(theirs.status, 400);
      const host = { address: '203.0.113.70', target: '203.0.113.70', port: 443, reachable: true, exchange: true, build: '15.2.1118.7', verdict: 'patched', cves: [], error: null };
      const scan = await call(`${s.url}/api/v1/scans`, { method: 'POST', headers: bearer(provider.token), body: { hosts: [host] } });
      assert.equal(scan.body.outsideRanges, 1);
      const byCustomer = await call(`${s.url}/api/v1/scans`, { method: 'POST', headers: bearer(customer.token), body: { hosts: [host] } });
      assert.equal(byCustomer.body.recorded, 1);
    });

    test('bad uploads get one clear 4xx line; oversize gets 413', async () => {
      const notJson = await call(`${s.url}/api/v1/reports`, { method: 'POST', headers: { ...bearer(a.token), 'content-type': 'application/json' }, raw: '{"schemaVersion": "1.5", ' });
      assert.equal(notJson.status, 400);
      assert.equal(typeof notJson.body.error, 'string');
      const missing = await call(`${s.url}/api/v1/reports`, { method: 'POST', headers: bearer(a.token), body: { schemaVersion: '1.5', tool: { name: 'exhunt', version: '0.1.0' }, findings: [] } });
      assert.equal(missing.status, 400);
      assert.match(missing.body.error, /verdict/);
      const wrongSchema = await call(`${s.url}/api/v1/reports`, { method: 'POST', headers: bearer(a.token), body: { ...demoReport(), schemaVersion: '2.0' } });
      assert.equal(wrongSchema.status, 400);
      const proto = await call(`${s.url}/api/v1/reports`, { method: 'POST', headers: { ...bearer(a.token), 'content-type': 'application/json' }, raw: '{"__proto__": {"polluted": 1}}' });
      assert.equal(proto.status, 400);
      const small = await startTestService('sqlite', { maxUploadBytes: 10_000 });
      try {
        const o = await small.org({ name: 'Small', ranges: ['192.0.2.0/24'] });
        const big = await call(`${small.url}/api/v1/reports`, { method: 'POST', headers: bearer(o.token), body: demoReport() });
        assert.equal(big.status, 413);
        assert.match(big.body.error, /larger than the limit of 10000 bytes/);
      } finally {
        await small.close();
      }
    });

    test('scan uploads keep only hosts inside the organisation\'s ranges, once', async () => {
      const host = (address: string, verdict: string, cves: string[]) => ({ target: address, address, port: 443, scheme: 'https', reachable: true, exchange: true, build: '15.1.2106.2', buildSource: 'x-owa-version', product: 'Exchange Server 2016', cu: 'CU19', su: null, cves: cves.map((id) => ({ id })), suDependent: [], verdict, summary: '', tls: null, error: null, evidence: [], requests: 2, durationMs: 5 });
      const doc = { tool: { name: 'exhunt', version: '0.1.0' }, interrupted: false, stats: {}, hosts: [host('192.0.2.20', 'vulnerable', ['CVE-2021-26855']), host('198.51.100.20', 'vulnerable', ['CVE-2021-26855'])] };
      const r = await call(`${s.url}/api/v1/scans`, { method: 'POST', headers: bearer(a.token), body: doc });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.outsideRanges, 1);
      assert.equal(r.body.recorded, 1);
      const again = await call(`${s.url}/api/v1/scans`, { method: 'POST', headers: bearer(a.token), body: doc });
      assert.equal(again.status, 200);
      assert.equal(again.body.id, r.body.id);
      const other = await s.h.db.selectFrom('servers').select('id').where('address', '=', '198.51.100.20').executeTakeFirst();
      assert.equal(other, undefined, "org A cannot plant a server in org B's range");
    });

    test('without credentials: 401; with an unknown token: 401', async () => {
      for (const url of [`/api/v1/organisations/${a.id}/findings`, '/api/v1/organisations']) {
        assert.equal((await call(`${s.url}${url}`)).status, 401);
        assert.equal((await call(`${s.url}${url}`, { headers: bearer('exo_nope') })).status, 401);
      }
      assert.equal((await call(`${s.url}/api/v1/reports`, { method: 'POST', body: demoReport() })).status, 401);
    });

    test('staff sign-in: wrong password 401, then 429 after five failures for the account, and after fifty from one address', async () => {
      await s.staff('viewer', 'limited@cert.example');
      for (let i = 0; i < 5; i++) assert.equal((await call(`${s.url}/api/v1/session`, { method: 'POST', body: { email: 'limited@cert.example', password: `wrong${i}` } })).status, 401);
      const blocked = await call(`${s.url}/api/v1/session`, { method: 'POST', body: { email: ' Limited@cert.example', password: 'pw-viewer-x' } });
      assert.equal(blocked.status, 429, 'the account is limited whatever the spelling of its address');
      assert.ok(Number(blocked.headers.get('retry-after')) > 0);
      const parallel = await Promise.all(Array.from({ length: 8 }, (_, i) => call(`${s.url}/api/v1/session`, { method: 'POST', body: { email: 'burst@cert.example', password: `guess${i}` } })));
      assert.equal(parallel.filter((r) => r.status === 401).length, 5, 'guesses sent at once are counted before the password check');
      assert.equal(parallel.filter((r) => r.status === 429).length, 3);
      for (let i = 0; i < 40; i++) await call(`${s.url}/api/v1/session`, { method: 'POST', body: { email: `spray${i}@cert.example`, password: 'x' } });
      const fresh = await s.staff('analyst', 'fresh@cert.example');
      assert.ok(fresh);
      const other = await call(`${s.url}/api/v1/session`, { method: 'POST', headers: { 'x-forwarded-for': '10.9.9.9' }, body: { email: 'fresh@cert.example', password: 'pw-analyst-whatever' } });
      assert.equal(other.status, 429, 'the client address is limited too (X-Forwarded-For is not trusted without --trust-proxy)');
    });

    test('sign-in from another site is refused (login CSRF)', async () => {
      const r = await call(`${s.url}/api/v1/session`, { method: 'POST', headers: { origin: 'https://evil.example' }, body: { email: 'x@cert.example', password: 'y' } });
      assert.equal(r.status, 403);
    });

    test('an anonymous upload is refused before its body is read', async () => {
      const r = await call(`${s.url}/api/v1/imports/shadowserver`, { method: 'POST', headers: { 'content-type': 'text/csv' }, raw: 'x'.repeat(2 * 1024 * 1024) });
      assert.equal(r.status, 401);
      const big = await call(`${s.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, raw: JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(2 * 1024 * 1024) }) });
      assert.equal(big.status, 413, 'requests other than uploads are limited to 1 MiB');
    });

    test('session cookie flags and CSRF: a change without the token is 403, with it 201', async () => {
      const s2 = await startTestService('sqlite');
      try {
        const { createUser } = await import('../src/serve/auth/sessions.js');
        await createUser(s2.h.db, 'boss@cert.example', 'analyst', 'a-long-enough-password', 'test');
        const login = await fetch(`${s2.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'boss@cert.example', password: 'a-long-enough-password' }) });
        assert.equal(login.status, 200);
        const cookie = login.headers.get('set-cookie') ?? '';
        assert.match(cookie, /HttpOnly/i);
        assert.match(cookie, /Secure/i);
        assert.match(cookie, /SameSite=Strict/i);
        const { csrf } = (await login.json()) as { csrf: string };
        const jar = cookie.split(';')[0]!;
        const body = { name: 'Via session', ranges: ['203.0.113.0/28'] };
        assert.equal((await call(`${s2.url}/api/v1/organisations`, { method: 'POST', headers: { cookie: jar }, body })).status, 403);
        assert.equal((await call(`${s2.url}/api/v1/organisations`, { method: 'POST', headers: { cookie: jar, 'x-csrf-token': 'x'.repeat(csrf.length) }, body })).status, 403);
        assert.equal((await call(`${s2.url}/api/v1/organisations`, { method: 'POST', headers: { cookie: jar, 'x-csrf-token': csrf }, body })).status, 201);
      } finally {
        await s2.close();
      }
    });

    test('roles: a viewer reads but cannot change; an analyst cannot manage users; an admin can', async () => {
      const viewer = await s.staff('viewer');
      const analyst = await s.staff('analyst');
      const admin = await s.staff('admin');
      assert.equal((await call(`${s.url}/api/v1/organisations`, { headers: session(viewer) })).status, 200);
      assert.equal((await call(`${s.url}/api/v1/organisations`, { method: 'POST', headers: session(viewer), body: { name: 'X' } })).status, 403);
      assert.equal((await call(`${s.url}/api/v1/users`, { method: 'POST', headers: session(analyst), body: { email: 'n@cert.example', role: 'viewer' } })).status, 403);
      const made = await call(`${s.url}/api/v1/users`, { method: 'POST', headers: session(admin), body: { email: 'n@cert.example', role: 'viewer' } });
      assert.equal(made.status, 201);
      assert.equal(made.body.password.length, 20);
    });

    test('organisations report their own progress; verified is the CERT\'s to set', async () => {
      const server = await s.h.db.selectFrom('servers').select('id').where('org_id', '=', a.id).where('address', '=', '192.0.2.10').executeTakeFirstOrThrow();
      const ack = await call(`${s.url}/api/v1/servers/${server.id}/status`, { method: 'PUT', headers: bearer(a.token), body: { status: 'acknowledged', note: 'on it' } });
      assert.equal(ack.status, 200);
      assert.equal((await call(`${s.url}/api/v1/servers/${server.id}/status`, { method: 'PUT', headers: bearer(a.token), body: { status: 'verified' } })).status, 403);
      const history = await call(`${s.url}/api/v1/organisations/${a.id}/history`, { headers: bearer(a.token) });
      assert.equal(history.body.items[0].to_status, 'acknowledged');
      assert.equal(history.body.items[0].actor, `org:${a.id}`);
    });

    test("isolation: organisation A's token gets 403 or 404 on every route, for every organisation-B resource", async () => {
      // B's resources, one of each kind.
      const rep = await call(`${s.url}/api/v1/reports?server=198.51.100.10`, { method: 'POST', headers: bearer(b.token), body: demoReport() });
      assert.equal(rep.status, 201);
      const bServer = await s.h.db.selectFrom('servers').select('id').where('org_id', '=', b.id).executeTakeFirstOrThrow();
      const anyUser = await s.h.db.selectFrom('users').select('id').executeTakeFirstOrThrow();
      const { insertJob } = await import('../src/serve/jobs/queue.js');
      const bJob = await insertJob(s.h.db, 'scan', b.id, {}, 'test');
      const ids: Record<string, string> = { organisations: b.id, reports: rep.body.id, servers: bServer.id, users: anyUser.id, unmatched: bServer.id, jobs: bJob, notifications: bJob };
      const examples = isolationExamples(b.id);
      const doc = (await call(`${s.url}/api/v1/openapi.json`)).body as { paths: Record<string, Record<string, unknown>> };
      const open = new Set(['get /api/v1/health', 'get /api/v1/openapi.json', 'post /api/v1/session', 'delete /api/v1/session']);
      let checked = 0;
      for (const [p, methods] of Object.entries(doc.paths)) {
        for (const m of Object.keys(methods)) {
          const key = `${m} ${p}`;
          if (open.has(key)) continue;
          const example = examples[key];
          assert.ok(example, `${key}: add it to isolationExamples so this test covers it`);
          const url = p.replace('{name}', 'notification').replace('{id}', () => ids[p.split('/')[3]!] ?? assert.fail(`${key}: no B resource for this path`)) + (example.query ?? '');
          const r = await call(`${s.url}${url}`, { method: m.toUpperCase(), headers: bearer(a.token), ...(example.body !== undefined ? { body: example.body } : {}) });
          assert.ok(r.status === 403 || r.status === 404, `${key} with A's token on B: ${r.status} ${r.text.slice(0, 200)}`);
          assert.ok(!r.text.includes('Org B') && !r.text.includes('198.51.100.10'), `${key} leaks B's data`);
          checked++;
        }
      }
      assert.ok(checked >= 15, `checked ${checked} routes`);
      // And B's data is untouched.
      const bs = await s.h.db.selectFrom('servers').select('status').where('id', '=', bServer.id).executeTakeFirstOrThrow();
      assert.equal(bs.status, 'open');
    });
  });
}

/** A valid request for every non-public route, aimed at organisation B (the `{id}` is filled in by the test). */
function isolationExamples(bId: string): Record<string, { body?: unknown; query?: string }> {
  return {
    'post /api/v1/reports': { body: demoReport(), query: `?org=${bId}` },
    'post /api/v1/scans': { body: { hosts: [] }, query: `?org=${bId}` },
    'get /api/v1/session': {},
    'get /api/v1/users': {},
    'post /api/v1/users': { body: { email: 'x@example.org', role: 'admin' } },
    'post /api/v1/users/{id}/password': { body: {} },
    'get /api/v1/organisations': {},
    'post /api/v1/organisations': { body: { name: 'Sneaky', ranges: ['198.51.100.0/24'] } },
    'get /api/v1/organisations/{id}': {},
    'get /api/v1/organisations/{id}/servers': {},
    'get /api/v1/organisations/{id}/findings': {},
    'get /api/v1/organisations/{id}/reports': {},
    'get /api/v1/organisations/{id}/history': {},
    'post /api/v1/organisations/{id}/tokens': { body: {} },
    'get /api/v1/reports/{id}': {},
    'put /api/v1/servers/{id}/status': { body: { status: 'acknowledged' } },
    'get /api/v1/stats/exposure': {},
    'get /api/v1/stats/findings': {},
    'get /api/v1/stats/status': {},
    'get /api/v1/audit': {},
    'post /api/v1/imports/shadowserver': {},
    'post /api/v1/imports/organisations': {},
    'get /api/v1/unmatched': {},
    'post /api/v1/unmatched/{id}/assign': { body: { organisation: bId } },
    'post /api/v1/notifications/preview': { body: { organisations: [bId] } },
    'post /api/v1/notifications/send': { body: { organisations: [bId] } },
    'post /api/v1/notifications/{id}/bounce': { body: { reason: 'x' } },
    'get /api/v1/notifications': {},
    'get /api/v1/templates/{name}': {},
    'put /api/v1/templates/{name}': { body: { subject: 'x', body: 'y' } },
    'post /api/v1/organisations/{id}/scan-jobs': { body: {} },
    'get /api/v1/organisations/{id}/jobs': {},
    'get /api/v1/jobs/{id}': {},
  };
}
