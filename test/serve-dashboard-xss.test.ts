// Everything the dashboard shows was written by someone else: organisation lists, hunt reports
// uploaded with an organisation's token, Shadowserver rows, the names of uploaded files. Here every
// string of it holds markup, script, `javascript:` links, CSS and header injections, and every page
// is opened in real headless Chromium: nothing may run, load, pop up or be refused by the policy,
// and each payload must be on the page as text.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { createUser } from '../src/serve/auth/sessions.js';
import { recordObservations } from '../src/serve/store/observations.js';
import { launchChromium } from './browser.js';
import { repoRoot } from './helpers.js';
import { type Login, type SitePage, assertCleanPage, signIn, sitePage, submit } from './serve-dashboard-browser.js';
import { type TestService, bearer, call, session, startTestService } from './serve-app.js';

/** The payload whose text every page that shows data must display. */
const MARK = '<script>window.__xss=1</script>';
/** Each one, if it ever ran or loaded, sets window.__xss, opens a frame, makes a request or sets a cookie. */
const PAYLOADS = [
  MARK,
  '<img src=x onerror="window.__xss=2">',
  '"><svg onload="window.__xss=3">',
  `'><iframe srcdoc="<script>parent.__xss=4</script>">`,
  'javascript:window.__xss=5',
  '<a href="javascript:window.__xss=6">click</a>',
  '</textarea></title></option></select><script>window.__xss=7</script>',
  '<style>*{background:url(http://127.0.0.1:1/css)}</style>',
  'x{}*{background-image:url("http://127.0.0.1:1/css2")}',
  '<meta http-equiv="refresh" content="0;url=http://127.0.0.1:1/">',
  '<form action="http://127.0.0.1:1/"><button>go</button></form>',
  'line\r\nSet-Cookie: injected=1',
];
const ALL = PAYLOADS.join(' ');
/** For fields with tight length limits (a finding's rule: 300 characters). */
const SHORT = `${MARK}<img src=x onerror=window.__xss=2>`;

/** Keys whose values the upload schema fixes (enums, short strings) or the service needs intact. */
const KEEP = new Set(['schemaVersion', 'severity', 'stage', 'status', 'source', 'verdict', 'phase', 'kind', 'minSeverity', 'build', 'product']);
const KEEP_TREES = new Set(['tool', 'cves']);
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** Numbers the upload schema does not check: an upload may hold any text there instead. */
const NUMBERS_TO_TEXT = new Set(['line', 'record', 'offset', 'size', 'files', 'events', 'parseErrors', 'total', 'belowThreshold', 'yaraRules']);

/** Appends the payloads to every string of the report (ids change consistently, so references still match), and turns unchecked numbers into payloads. */
function poison(node: unknown, key = ''): unknown {
  if (KEEP_TREES.has(key)) return node;
  if (typeof node === 'number' && NUMBERS_TO_TEXT.has(key)) return `${node} ${ALL}`;
  if (typeof node === 'string') return KEEP.has(key) || ISO_TIME.test(node) ? node : `${node} ${key === 'rule' ? SHORT : ALL}`;
  if (Array.isArray(node)) return node.map((x) => poison(x, key));
  if (node && typeof node === 'object') {
    const obj = node as Record<string, unknown>;
    for (const [k, v] of Object.entries(obj)) obj[k] = poison(v, k);
    if (key === 'details') obj[SHORT] = [ALL];
  }
  return node;
}

function hostileReport(): string {
  const doc = JSON.parse(readFileSync(path.join(repoRoot(), 'test/testdata/demo-report.json'), 'utf8')) as Record<string, unknown>;
  return JSON.stringify(poison(doc));
}

/** Each visit is judged on its own: what earlier pages did is forgotten. */
function forget(p: SitePage): void {
  for (const list of Object.values(p.watch)) list.length = 0;
}

const csvField = (v: string) => `"${v.replace(/"/g, '""')}"`;

describe('dashboard: hostile data stays text', () => {
  let s: TestService;
  let browser: Browser;
  let analyst: Login;
  let org: { id: string; token: string };
  let reportId: string;
  let p: SitePage;

  before(async () => {
    s = await startTestService('sqlite');
    browser = await launchChromium();
    analyst = { email: 'analyst@cert.example', password: 'analyst-password-long-enough' };
    await createUser(s.h.db, analyst.email, 'analyst', analyst.password, 'test');
    org = await s.org({
      name: `ACME ${PAYLOADS.slice(0, 3).join(' ')} ${PAYLOADS[11]}`,
      sector: ALL,
      country: SHORT,
      ranges: ['10.9.0.0/16'],
      abuse: ['abuse@acme.example'],
      contacts: [{ name: ALL, email: 'soc@acme.example', phone: SHORT }],
    });
    const up = await call(`${s.url}/api/v1/reports?server=10.9.0.5`, { method: 'POST', headers: { ...bearer(org.token), 'content-type': 'application/json' }, raw: hostileReport() });
    assert.equal(up.status, 201, up.text.slice(0, 500));
    reportId = up.body.id;
    const server = await s.h.db.selectFrom('servers').select('id').where('address', '=', '10.9.0.5').executeTakeFirstOrThrow();
    const ack = await call(`${s.url}/api/v1/servers/${server.id}/status`, { method: 'PUT', headers: bearer(org.token), body: { status: 'acknowledged', note: ALL } });
    assert.equal(ack.status, 200, ack.text);
    // Straight into the store: values no importer would let through, to test the pages' escaping alone.
    const hostile = { observedAt: new Date().toISOString(), source: 'scan' as const, tag: ALL, build: SHORT, product: SHORT, verdict: SHORT, hostname: ALL, url: PAYLOADS[4]!, vulnerable: true, compromised: true, cves: ['CVE-2021-26855', MARK] };
    await recordObservations(s.h.db, [{ ...hostile, address: '10.9.0.6' }, { ...hostile, address: '100.64.9.9' }], 'test');
    // Ingest keeps only real CVE ids; a hostile one written to the chart's table directly (an older
    // version, a restored backup) must still render as text.
    await s.h.db.insertInto('exposure_counts').values({ day: new Date().toISOString().slice(0, 10), cve: MARK, servers: 1 }).execute();
    const staff = await s.staff('analyst');
    const template = await call(`${s.url}/api/v1/templates/notification`, { method: 'PUT', headers: session(staff), body: { subject: `Notice ${MARK} {{headline}}`, body: `${ALL}\n{{items}}` } });
    assert.equal(template.status, 200, template.text);
    await s.h.db.insertInto('notifications').values({
      id: randomUUID(), batch_id: randomUUID(), recipient: SHORT, org_ids: JSON.stringify([org.id]), subject: ALL, body: ALL, attachments: JSON.stringify([ALL]), news: '[]',
      status: 'failed', error: ALL, message_id: null, created_at: new Date().toISOString(),
    }).execute();
    p = await signIn(browser, s.url, analyst, '/');
  });
  after(async () => {
    await p?.close();
    await browser?.close();
    await s?.close();
  });

  /** Opens the page on the signed-in tab, runs the page checks, and returns its text. */
  async function visit(path: string, opts: { inlineScript?: boolean } = {}): Promise<string> {
    forget(p);
    await p.go(path);
    assert.equal(decodeURIComponent(p.page.url()), decodeURIComponent(`${s.url}${path}`), `${path}: stays where it was opened`);
    await assertCleanPage(p, path, opts);
    return (await p.page.evaluate<string>('document.documentElement.textContent')) ?? '';
  }

  const enc = encodeURIComponent;
  const pages: [string, { shows: boolean; inlineScript?: boolean }][] = [
    ['/', { shows: true }],
    ['/organisations/ORG', { shows: true }],
    ['/reports/REPORT', { shows: true, inlineScript: true }],
    ['/exposure', { shows: true }],
    ['/exposure?days=365', { shows: true }],
    ['/findings', { shows: true }],
    ['/findings?sort=title&dir=desc', { shows: true }],
    ['/upload?org=ORG', { shows: false }],
    ['/import', { shows: false }],
    ['/unmatched', { shows: true }],
    ['/notifications', { shows: true }],
    ['/templates', { shows: true }],
  ];
  for (const [template, o] of pages) {
    test(`${template}: runs and loads nothing from the data, and shows it as text`, async () => {
      const path = template.replace('ORG', org.id).replace('REPORT', reportId);
      const text = await visit(path, o);
      if (o.shows) assert.ok(text.includes(MARK), `${path}: the payload is on the page as text`);
    });
  }

  test('values from the query string are echoed only as escaped text', async () => {
    await visit(`/?q=${enc(MARK)}&sector=${enc(ALL)}&status=${enc(MARK)}&sort=${enc(MARK)}&dir=${enc(MARK)}&offset=${enc(MARK)}`);
    assert.equal(await p.page.inputValue('input[name="q"]'), MARK);
    const sectors = await p.page.$$eval('select[name="sector"] option', (os) => os.map((o) => o.textContent ?? ''));
    assert.ok(sectors.some((t) => t.startsWith(MARK)), 'the hostile sector is an option, as text');
    await visit(`/upload?org=${enc(MARK)}`);
    assert.equal(await p.page.inputValue('input[name="org"]'), MARK, 'the organisation field holds the value as typed, as a value');
    await visit(`/upload?org=${org.id}`);
    assert.ok((await p.page.inputValue('input[name="org"]')).includes(MARK), 'the hostile organisation name is filled in as a value');
    await visit(`/notifications?status=${enc(MARK)}&offset=${enc(MARK)}`);
    await visit(`/organisations/${org.id}?servers=${enc(MARK)}&findings=1&notice=${enc(MARK)}`);
    assert.equal(await p.page.$('.notice'), null, 'a notice is chosen by key, never echoed');

    const anon = await sitePage(browser, s.url);
    const next = `/"><script>window.__xss=1</script>`;
    await anon.go(`/login?next=${enc(next)}`);
    await assertCleanPage(anon, 'login');
    assert.equal(await anon.page.inputValue('input[name="next"]'), next);
    await anon.close();
  });

  test('an import through the page: a hostile file name and rows are reported as text', async () => {
    await visit('/import');
    const bad = `"timestamp","ip","tag","hostname"\n${[MARK, '10.9.0.7', ALL.replace(/\r\n/g, ' '), ALL.replace(/\r\n/g, ' ')].map(csvField).join(',')}\n${['2026-11-20 10:00:00', PAYLOADS[1]!, 'exchange', ''].map(csvField).join(',')}\n`;
    const name = `${PAYLOADS[1]}.csv`;
    await p.page.setInputFiles('form[action="/import/shadowserver"] input[type="file"]', { name, mimeType: 'text/csv', buffer: Buffer.from(bad) });
    forget(p);
    await submit(p.page, 'form[action="/import/shadowserver"] button');
    await assertCleanPage(p, 'import result');
    const errors = await p.page.$$eval('#import-errors li', (lis) => lis.map((li) => li.textContent ?? ''));
    assert.equal(errors.length, 2);
    assert.ok(errors[0]!.includes(MARK) && errors[1]!.includes(PAYLOADS[1]!), 'each bad row is quoted as text');
  });

  test('no cookie was injected, and the session cookie is still the only one', async () => {
    assert.deepEqual((await p.context.cookies()).map((c) => c.name), ['exhunt_session']);
  });
});
