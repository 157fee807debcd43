// The dashboard of exhunt serve, used the way CERT staff use it: in real headless Chromium against
// the real app (in-process, SQLite). Signing in through the form, the organisations table and its
// filters, an organisation's page and the status form, the exposure chart, findings by type, the
// upload, import, triage, notification and template pages — and the guards: roles, CSRF, the
// session cookie's flags, the Content-Security-Policy and the other headers on every page.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { CSP } from '../src/serve/app.js';
import { createUser } from '../src/serve/auth/sessions.js';
import type { ObservationInput } from '../src/serve/store/observations.js';
import { recordObservations } from '../src/serve/store/observations.js';
import { launchChromium } from './browser.js';
import { repoRoot } from './helpers.js';
import { type Login, assertCleanPage, signIn, submit, texts } from './serve-dashboard-browser.js';
import { type Staff, type TestService, bearer, call, startTestService } from './serve-app.js';

const DEMO_REPORT = readFileSync(path.join(repoRoot(), 'test/testdata/demo-report.json'), 'utf8');
const DAY = 86_400_000;
const PAGES = ['/', '/exposure', '/findings', '/upload', '/import', '/unmatched', '/notifications', '/templates'];

async function user(s: TestService, role: 'analyst' | 'viewer'): Promise<Login> {
  const login = { email: `${role}@cert.example`, password: `${role}-password-long-enough` };
  await createUser(s.h.db, login.email, role, login.password, 'test');
  return login;
}

/** Scan sightings over the last five days: Nord vulnerable to two CVEs every day, Süd to one since day 3, West clean. */
async function sightings(s: TestService): Promise<void> {
  const now = Date.now();
  const rows: ObservationInput[] = [];
  for (let d = 4; d >= 0; d--) {
    const observedAt = new Date(now - d * DAY).toISOString();
    const base = { observedAt, source: 'scan' as const, tag: 'exchange', build: '15.1.2176.2', compromised: false };
    rows.push({ ...base, address: '192.0.2.10', hostname: 'mail.nord.example', vulnerable: true, cves: ['CVE-2021-26855', 'CVE-2021-34473'] });
    if (d <= 2) rows.push({ ...base, address: '198.51.100.20', hostname: 'mx.sued.example', vulnerable: true, cves: ['CVE-2022-41082'] });
    rows.push({ ...base, address: '203.0.113.5', vulnerable: false, cves: [] });
  }
  await recordObservations(s.h.db, rows, 'test');
}

describe('dashboard in Chromium', () => {
  let s: TestService;
  let browser: Browser;
  let analyst: Login;
  let viewer: Login;
  let nord: { id: string; token: string };
  let sued: { id: string; token: string };
  let west: { id: string; token: string };
  let reportId: string;

  before(async () => {
    s = await startTestService('sqlite');
    browser = await launchChromium();
    analyst = await user(s, 'analyst');
    viewer = await user(s, 'viewer');
    nord = await s.org({ name: 'Stadtwerke Nord', country: 'DE', sector: 'energy', ranges: ['192.0.2.0/24'], abuse: ['abuse@nord.example'] });
    sued = await s.org({ name: 'Klinikum Süd', country: 'DE', sector: 'health', ranges: ['198.51.100.0/24'], abuse: ['cert@sued.example'] });
    west = await s.org({ name: 'Gemeinde West', country: 'AT', sector: 'government', ranges: ['203.0.113.0/24'] });
    await sightings(s);
    const up = await call(`${s.url}/api/v1/reports?server=192.0.2.10`, { method: 'POST', headers: { ...bearer(nord.token), 'content-type': 'application/json' }, raw: DEMO_REPORT });
    assert.equal(up.status, 201, up.text);
    reportId = up.body.id;
    const log = (id: string, orgIds: string[], recipient: string) => ({
      id, batch_id: 'b1', recipient, org_ids: JSON.stringify(orgIds), subject: `Security notice for ${recipient}`, body: 'text', attachments: '["findings.csv"]', news: '[]',
      status: 'sent' as const, error: null, message_id: `<${id}@cert.example>`, created_at: new Date().toISOString(),
    });
    await s.h.db.insertInto('notifications').values([log('n1', [nord.id], 'abuse@nord.example'), log('n2', [sued.id], 'cert@sued.example')]).execute();
  });
  after(async () => {
    await browser?.close();
    await s?.close();
  });

  test('pages need a staff session: a stranger is sent to the login form, an organisation token is refused', async () => {
    for (const p of [...PAGES, `/organisations/${nord.id}`, `/reports/${reportId}`]) {
      const r = await call(`${s.url}${p}`);
      assert.equal(r.status, 302, p);
      assert.equal(r.headers.get('location'), `/login?next=${encodeURIComponent(p)}`, p);
    }
    const org = await call(`${s.url}/`, { headers: bearer(nord.token) });
    assert.equal(org.status, 403);
    assert.match(org.text, /needs a staff account/);
  });

  test('signing in through the form: a HttpOnly, Secure, SameSite=Strict cookie, back to the page asked for; signing out ends the session', async () => {
    const p = await signIn(browser, s.url, analyst, '/exposure');
    const cookie = (await p.context.cookies()).find((c) => c.name === 'exhunt_session');
    assert.ok(cookie, 'Chromium keeps the Secure session cookie from http://127.0.0.1');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.secure, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(await p.page.evaluate('document.cookie'), '', 'the page script cannot read the session');
    await assertCleanPage(p, '/exposure after sign-in');
    await submit(p.page, 'form[action="/logout"] button');
    assert.equal(p.page.url(), `${s.url}/login?notice=signed-out`);
    await p.go('/');
    assert.match(p.page.url(), /\/login\?next=%2F$/, 'the old session is gone');
    await p.close();

    const form = (body: Record<string, string>) => call(`${s.url}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, raw: new URLSearchParams(body).toString() });
    const ok = await form({ email: analyst.email, password: analyst.password, next: '/findings' });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('location'), '/findings');
    assert.match(ok.headers.get('set-cookie') ?? '', /^exhunt_session=[^;]+;.*HttpOnly.*; Secure; SameSite=Strict$/i);
    const wrong = await form({ email: analyst.email, password: 'not it', next: '/' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.text, /Wrong e-mail address or password/);
    assert.equal(wrong.headers.get('set-cookie'), null);
  });

  test('after signing in, next leads only to a path on this site', async () => {
    const cases: [string, string][] = [
      ['/organisations?x=1', '/organisations?x=1'],
      ['//evil.example/x', '/'],
      ['https://evil.example/', '/'],
      ['/\\evil.example', '/'],
      ['javascript:alert(1)', '/'],
      ['/a\r\nSet-Cookie: x=1', '/'],
    ];
    for (const [next, expected] of cases) {
      const r = await call(`${s.url}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, raw: new URLSearchParams({ email: analyst.email, password: analyst.password, next }).toString() });
      assert.equal(r.status, 303, next);
      assert.equal(r.headers.get('location'), expected, JSON.stringify(next));
    }
  });

  test('the organisations table: counts by status, filters in the query string (selects submit themselves), sorting, links', async () => {
    const p = await signIn(browser, s.url, analyst, '/');
    const { page } = p;
    assert.deepEqual(await texts(page, '#status-counts a[aria-current="true"]'), ['3all organisations']);
    // The most exposed first (by compromised, then vulnerable servers), then by name.
    assert.deepEqual(await texts(page, '#organisations tbody td:first-child'), ['Klinikum Süd', 'Stadtwerke Nord', 'Gemeinde West']);
    assert.deepEqual(await texts(page, '#organisations tbody td:nth-child(4)'), ['open', 'open', 'clear']);
    assert.deepEqual(await texts(page, '#organisations tbody tr:first-child td.num'), ['1', '1', '0']);
    await Promise.all([page.waitForURL(/status=clear/), page.selectOption('select[name="status"]', 'clear')]);
    assert.deepEqual(await texts(page, '#organisations tbody td:first-child'), ['Gemeinde West']);
    await p.go('/');
    await page.fill('input[name="q"]', 'süd');
    await submit(page, 'form.filters button[type="submit"]');
    assert.match(page.url(), /q=s%C3%BCd/);
    assert.deepEqual(await texts(page, '#organisations tbody td:first-child'), ['Klinikum Süd']);
    await p.go('/?country=DE&sector=energy');
    assert.deepEqual(await texts(page, '#organisations tbody td:first-child'), ['Stadtwerke Nord']);
    await p.go('/?problem=vulnerable');
    assert.equal((await texts(page, '#organisations tbody tr')).length, 2);
    await p.go('/');
    await submit(page, '#organisations th a:text("Organisation")');
    assert.match(page.url(), /sort=name&dir=asc/);
    assert.deepEqual(await texts(page, '#organisations tbody td:first-child'), ['Gemeinde West', 'Klinikum Süd', 'Stadtwerke Nord']);
    await submit(page, '#organisations th a:text("Organisation")');
    assert.deepEqual(await texts(page, '#organisations tbody td:first-child'), ['Stadtwerke Nord', 'Klinikum Süd', 'Gemeinde West']);
    await submit(page, '#organisations a:text("Stadtwerke Nord")');
    assert.equal(page.url(), `${s.url}/organisations/${nord.id}`);
    await assertCleanPage(p, 'organisations');
    await p.close();
  });

  test('an organisation: details, servers, findings, reports, history and its own notifications; an analyst changes a status with the form', async () => {
    const p = await signIn(browser, s.url, analyst, `/organisations/${nord.id}`);
    const { page } = p;
    assert.equal(await page.textContent('h1'), 'Stadtwerke Nord open');
    assert.match((await page.textContent('#details'))!, /192\.0\.2\.0\/24.*abuse@nord\.example|abuse@nord\.example[\s\S]*192\.0\.2\.0\/24/);
    assert.deepEqual(await texts(page, '#servers-table tbody td:first-child'), ['192.0.2.10']);
    assert.equal((await texts(page, '#findings-table tbody tr')).length, JSON.parse(DEMO_REPORT).findings.length);
    assert.deepEqual(await texts(page, '#reports-table tbody td:nth-child(2)'), ['COMPROMISED']);
    assert.deepEqual(await texts(page, '#notifications-table tbody td:nth-child(2)'), ['abuse@nord.example'], 'only the messages that covered this organisation');
    assert.match((await page.textContent('#history'))!, /No status change yet/);

    await page.selectOption('#servers-table select[name="status"]', 'acknowledged');
    await page.fill('#servers-table input[name="note"]', 'the admin called back');
    await submit(page, '#servers-table button[type="submit"]');
    assert.equal(page.url(), `${s.url}/organisations/${nord.id}?notice=status-changed#servers`);
    assert.match((await page.textContent('.notice'))!, /status was changed/);
    assert.deepEqual(await texts(page, '#servers-table tbody td:nth-child(6)'), ['acknowledged']);
    const history = await texts(page, '#history-table tbody td');
    assert.deepEqual(history.slice(1), ['192.0.2.10', 'open → acknowledged', analyst.email, 'the admin called back']);
    await assertCleanPage(p, 'organisation');

    // The hunt report as the exhunt HTML report, under its own policy (its inline style and script by hash).
    await submit(page, '#reports-table a:text("report")');
    assert.equal(page.url(), `${s.url}/reports/${reportId}`);
    assert.equal(await page.textContent('h1'), 'Exchange compromise report');
    await assertCleanPage(p, 'hunt report', { inlineScript: true });
    await p.close();
    const r = await call(`${s.url}/reports/${reportId}`, { headers: { cookie: await staffCookie() } });
    const csp = r.headers.get('content-security-policy') ?? '';
    assert.match(csp, /^default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-[^']+';.*frame-ancestors 'none'$/);
  });

  test('exposure over time: one line per CVE with a point per day, and the numbers as a table', async () => {
    const p = await signIn(browser, s.url, analyst, '/exposure');
    const { page } = p;
    const series = await page.$$eval('#exposure-chart g.series', (gs) => gs.map((g) => [g.getAttribute('data-cve'), g.querySelectorAll('circle').length, g.querySelector('polyline')?.getAttribute('points')?.split(' ').length]));
    assert.deepEqual(series, [['CVE-2021-26855', 5, 5], ['CVE-2021-34473', 5, 5], ['CVE-2022-41082', 5, 5]]);
    assert.deepEqual(await texts(page, '.legend li'), ['CVE-2021-26855', 'CVE-2021-34473', 'CVE-2022-41082']);
    const today = new Date().toISOString().slice(0, 10);
    assert.match((await page.textContent('#exposure-chart circle title'))!, /^\d{4}-\d\d-\d\d: 1 server vulnerable to CVE-2021-26855$/);
    assert.deepEqual(await texts(page, '#exposure-table tbody tr:first-child td'), [today, '1', '1', '1']);
    assert.equal((await texts(page, '#exposure-table tbody tr')).length, 5);
    await p.go('/exposure?days=365');
    assert.ok((await texts(page, '#exposure-chart g.series')).length > 3, 'a year back includes the hunt report of 2026-01-01');
    await assertCleanPage(p, 'exposure');
    await p.close();
  });

  test('findings by type: one row per rule with counts and a bar, sortable', async () => {
    const p = await signIn(browser, s.url, analyst, '/findings');
    const { page } = p;
    const rules = new Set((JSON.parse(DEMO_REPORT).findings as { rule: string }[]).map((f) => f.rule));
    assert.equal((await texts(page, '#findings-by-type tbody tr')).length, rules.size);
    assert.equal((await page.$$('#findings-by-type svg.bar rect')).length, rules.size);
    await submit(page, '#findings-by-type th a:text("Severity")');
    assert.match(page.url(), /sort=severity&dir=asc/);
    const rank = ['info', 'low', 'medium', 'high', 'critical'];
    const severities = (await texts(page, '#findings-by-type tbody .sev')).map((v) => rank.indexOf(v));
    assert.deepEqual(severities, [...severities].sort((a, b) => a - b), 'least severe first');
    assert.ok(severities[0]! >= 0);
    await assertCleanPage(p, 'findings');
    await p.close();
  });

  test('uploading a hunt report through the upload page; the same file again changes nothing; a wrong file is explained', async () => {
    const p = await signIn(browser, s.url, analyst, `/upload?org=${sued.id}`);
    const { page } = p;
    const preset = await page.$eval('input[name="org"]', (el) => (el as unknown as { value: string }).value);
    const name = (await s.h.db.selectFrom('organisations').select('name').where('id', '=', sued.id).executeTakeFirstOrThrow()).name;
    assert.equal(preset, name, '?org= fills in the organisation by name');
    const file = { name: 'report.json', mimeType: 'application/json', buffer: Buffer.from(DEMO_REPORT) };
    await page.fill('input[name="server"]', '198.51.100.20');
    await page.setInputFiles('input[name="file"]', file);
    await submit(page, '#upload-form button[type="submit"]');
    assert.equal(page.url(), `${s.url}/organisations/${sued.id}?notice=report-stored#reports`);
    assert.deepEqual(await texts(page, '#reports-table tbody td:nth-child(4)'), ['198.51.100.20']);
    await assertCleanPage(p, 'after upload');
    await p.go(`/upload?org=${sued.id}`);
    await page.fill('input[name="server"]', '198.51.100.20');
    await page.setInputFiles('input[name="file"]', file);
    await submit(page, '#upload-form button[type="submit"]');
    assert.match(page.url(), /notice=report-known/, 'the same report about the same server');
    await p.go(`/upload?org=${sued.id}`);
    await page.setInputFiles('input[name="file"]', { ...file, buffer: Buffer.from('{"schemaVersion":"1.0","findings":"no"}') });
    await submit(page, '#upload-form button[type="submit"]');
    assert.match((await page.textContent('.error'))!, /not an exhunt hunt report: \/(tool|verdict|findings)/);
    assert.equal(await s.h.db.selectFrom('reports').select('id').where('org_id', '=', sued.id).execute().then((r) => r.length), 1);
    await p.close();
  });

  test('importing a Shadowserver report, then assigning the server no organisation owns', async () => {
    const p = await signIn(browser, s.url, analyst, '/import');
    const { page } = p;
    const csv = '"timestamp","ip","port","hostname","tag","version"\n"2026-11-20 10:00:00","192.0.2.11","443","owa.nord.example","exchange;cve-2021-26855",""\n"2026-11-20 10:05:00","100.64.0.5","443","mail.unknown.example","exchange;webshell",""\n';
    await page.setInputFiles('form[action="/import/shadowserver"] input[type="file"]', { name: 'scan_exchange.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await submit(page, 'form[action="/import/shadowserver"] button');
    assert.match((await page.textContent('#import-result'))!, /New observations2.*Without an organisation1/);
    await p.go('/unmatched');
    assert.deepEqual(await texts(page, '#unmatched tbody td:first-child'), ['100.64.0.5:443']);
    await page.fill('#unmatched input[name="organisation"]', 'gemeinde west');
    await submit(page, '#unmatched button[type="submit"]');
    assert.match(page.url(), /\/unmatched\?notice=assigned$/);
    assert.match((await page.textContent('#unmatched'))!, /Every server seen so far belongs to an organisation/);
    const server = await s.h.db.selectFrom('servers').select('org_id').where('address', '=', '100.64.0.5').executeTakeFirstOrThrow();
    assert.equal(server.org_id, west.id);
    await assertCleanPage(p, 'unmatched');
    await p.close();
  });

  test('notifications: the dry run shows each message; Send is disabled and refused without an SMTP server; templates are edited with the form', async () => {
    const p = await signIn(browser, s.url, analyst, '/notifications');
    const { page } = p;
    const recipients = await texts(page, '#preview details.message summary strong');
    assert.deepEqual(recipients.sort(), ['abuse@nord.example', 'cert@sued.example']);
    assert.match((await page.textContent('#preview details.message pre'))!, /security notice/i);
    assert.match((await page.textContent('#preview details.message'))!, /Attachments: .*\.csv/);
    assert.deepEqual(await texts(page, '#no-contact li a'), ['Gemeinde West'], 'West has news (its new server) but no address');
    assert.equal(await page.getAttribute('#send-form button', 'disabled'), '');
    assert.match((await page.textContent('#send-disabled'))!, /No SMTP server is configured/);
    assert.equal((await texts(page, '#notification-log tbody tr')).length, 2);
    await assertCleanPage(p, 'notifications');
    const csrf = await page.getAttribute('#send-form input[name="_csrf"]', 'value');
    const send = await call(`${s.url}/notifications/send`, { method: 'POST', headers: { cookie: await cookieOf(p), 'content-type': 'application/x-www-form-urlencoded' }, raw: `_csrf=${csrf}` });
    assert.equal(send.status, 409);

    await p.go('/templates');
    await page.fill('#template-notification input[name="subject"]', 'Notice {{nope}}');
    await submit(page, '#template-notification button[type="submit"]');
    assert.match((await page.textContent('.error'))!, /unknown placeholder \{\{nope\}\}/);
    assert.equal(await page.inputValue('#template-notification input[name="subject"]'), 'Notice {{nope}}', 'the form keeps what was typed');
    // Chromium logs the 400 answer itself; what follows must be quiet.
    p.watch.console.length = 0;
    await page.fill('#template-notification input[name="subject"]', 'Exchange: {{headline}}');
    await submit(page, '#template-notification button[type="submit"]');
    assert.match(page.url(), /notice=template-saved/);
    assert.equal(await page.inputValue('#template-notification input[name="subject"]'), 'Exchange: {{headline}}');
    await assertCleanPage(p, 'templates');
    await p.close();
  });

  test('a viewer sees no forms that change anything, and changes are refused: by role for a viewer, without the CSRF token for anyone', async () => {
    const p = await signIn(browser, s.url, viewer, `/organisations/${sued.id}`);
    const { page } = p;
    assert.equal(await page.$$('main form[method="post"]').then((f) => f.length), 0, 'no status form');
    for (const path of ['/upload', '/import', '/unmatched', '/notifications', '/templates', '/']) {
      await p.go(path);
      assert.deepEqual(await page.$$eval('main form[method="post"]', (fs) => fs.map((f) => f.getAttribute('action'))), [], `${path}: no change form`);
      assert.equal((await page.$$('main textarea, main input[type="file"]')).length, 0, path);
    }
    await assertCleanPage(p, 'viewer');
    const viewerCookie = await cookieOf(p);
    const viewerCsrf = await page.getAttribute('form[action="/logout"] input[name="_csrf"]', 'value');
    await p.close();

    const server = await s.h.db.selectFrom('servers').select('id').where('address', '=', '198.51.100.20').executeTakeFirstOrThrow();
    const statusUrl = `${s.url}/organisations/${sued.id}/servers/${server.id}/status`;
    const post = (cookie: string, body: string, url = statusUrl) => call(url, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, raw: body });
    const byViewer = await post(viewerCookie, `_csrf=${viewerCsrf}&status=verified`);
    assert.equal(byViewer.status, 403);
    assert.match(byViewer.text, /needs the analyst role/);
    const a: Staff = await s.staff('analyst');
    assert.equal((await post(a.cookie, 'status=verified')).status, 403, 'no _csrf');
    assert.equal((await post(a.cookie, `_csrf=${'x'.repeat(a.csrf.length)}&status=verified`)).status, 403, 'a wrong _csrf');
    assert.equal((await post(a.cookie, '', `${s.url}/logout`)).status, 403, 'signing out is a change too');
    const multipart = new FormData();
    multipart.set('org', sued.id);
    multipart.set('file', new Blob([DEMO_REPORT]), 'r.json');
    const upload = await fetch(`${s.url}/upload`, { method: 'POST', headers: { cookie: a.cookie }, body: multipart, redirect: 'manual' });
    assert.equal(upload.status, 403, 'an upload without _csrf');
    multipart.set('_csrf', viewerCsrf!);
    const viewerUpload = await fetch(`${s.url}/upload`, { method: 'POST', headers: { cookie: viewerCookie }, body: multipart, redirect: 'manual' });
    assert.equal(viewerUpload.status, 403, 'an upload by a viewer');
    const status = await s.h.db.selectFrom('servers').select('status').where('id', '=', server.id).executeTakeFirstOrThrow();
    assert.equal(status.status, 'open', 'nothing changed');
    assert.equal((await post(a.cookie, `_csrf=${a.csrf}&status=verified`)).status, 303, 'the same change with the token is done');
  });

  test('every page: the strict Content-Security-Policy and the other security headers, never cached; the assets cached for a year', async () => {
    const a = await s.staff('viewer');
    for (const p of [...PAGES, `/organisations/${nord.id}`, '/login', '/nowhere']) {
      const r = await call(`${s.url}${p}`, { headers: p === '/login' ? {} : { cookie: a.cookie } });
      assert.equal(r.headers.get('content-security-policy'), CSP, p);
      assert.equal(r.headers.get('x-frame-options'), 'DENY', p);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff', p);
      assert.equal(r.headers.get('referrer-policy'), 'same-origin', p);
      if (p === '/nowhere') continue;
      assert.equal(r.status, 200, p);
      assert.equal(r.headers.get('cache-control'), 'no-store', p);
      assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8', p);
      assert.doesNotMatch(r.text, /<script(?![^>]*\bsrc="\/assets\/dashboard\.js\?v=)|<style|\sstyle=|\son[a-z]+=/i, `${p}: nothing inline`);
    }
    // A report the HTML writer cannot render (the upload schema checks only what the service stores) gets the dashboard's page and a link to the JSON.
    const minimal = { schemaVersion: '1.0', tool: { name: 'exhunt', version: '0.0.1' }, verdict: { status: 'NOTHING FOUND', summary: 'nothing' }, findings: [] };
    const up = await call(`${s.url}/api/v1/reports`, { method: 'POST', headers: bearer(west.token), body: minimal });
    assert.equal(up.status, 201, up.text);
    const fallback = await call(`${s.url}/reports/${up.body.id}`, { headers: { cookie: a.cookie } });
    assert.equal(fallback.status, 200);
    assert.equal(fallback.headers.get('content-security-policy'), CSP);
    assert.match(fallback.text, /cannot be shown as a page: &quot;inputs&quot; is missing or not a list\./);
    assert.ok(fallback.text.includes(`href="/api/v1/reports/${up.body.id}"`));

    const html = (await call(`${s.url}/login`)).text;
    for (const [asset, type] of [['css', 'text/css; charset=utf-8'], ['js', 'text/javascript; charset=utf-8']] as const) {
      const href = new RegExp(`/assets/dashboard\\.${asset}\\?v=[0-9a-f]{12}`).exec(html)?.[0];
      assert.ok(href, asset);
      const r = await call(`${s.url}${href}`);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), type);
      assert.equal(r.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    }
  });

  async function staffCookie(): Promise<string> {
    return (await s.staff('viewer')).cookie;
  }
});

async function cookieOf(p: { context: { cookies(): Promise<{ name: string; value: string }[]> } }): Promise<string> {
  const c = (await p.context.cookies()).find((x) => x.name === 'exhunt_session');
  assert.ok(c, 'signed in');
  return `exhunt_session=${c.value}`;
}
