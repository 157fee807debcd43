// Real headless Chromium for the HTML report tests: playwright-core driving the system's Debian
// Chromium, a one-page loopback server, and a watch on everything a page does that a report must not
// (console errors, requests, dialogs, Content-Security-Policy violations). Nothing starts on import:
// node --test loads every compiled test module.
import { existsSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** Launches Chromium, or fails with what to install: these tests never skip. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: the HTML report tests open the report in a real browser. Install it (Debian/Ubuntu: apt-get install chromium); CI does.`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

export interface OnePageServer {
  url: string;
  /** Every path the server was asked for, in order. */
  hits: string[];
  close(): Promise<void>;
}

/** Serves one HTML document at /report.html on 127.0.0.1 (any free port); everything else is 404. */
export async function serveOnce(html: string): Promise<OnePageServer> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/report.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(html);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/report.html`,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface PageWatch {
  /** Console messages of type error or warning, as `type: text`. */
  console: string[];
  /** Uncaught exceptions in the page. */
  pageErrors: string[];
  /** Every URL the page requested (the document included). */
  requests: string[];
  /** alert/confirm/prompt/beforeunload dialogs, as `type: message` (each dismissed). */
  dialogs: string[];
  /** URLs the main frame navigated to (the first load included, fragments dropped). */
  navigations: string[];
}

export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  watch: PageWatch;
  /** `securitypolicyviolation` events the page saw, as `directive blocked-uri`. */
  cspViolations(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * A fresh context and page with every watch attached before anything loads. Every request except
 * `allowed` (the one document's URL, or a test for the URLs of a whole site) is aborted (after being
 * recorded), so a faulty page cannot reach any network.
 */
export async function watchedPage(browser: Browser, allowed: string | ((url: string) => boolean)): Promise<WatchedPage> {
  const isAllowed = typeof allowed === 'string' ? (url: string) => url === allowed : allowed;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: 'block' });
  const page = await context.newPage();
  const watch: PageWatch = { console: [], pageErrors: [], requests: [], dialogs: [], navigations: [] };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') watch.console.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => watch.pageErrors.push(String(e)));
  page.on('request', (r) => watch.requests.push(r.url()));
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) watch.navigations.push(f.url().replace(/#.*$/, ''));
  });
  page.on('dialog', (d) => {
    watch.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss().catch(() => undefined);
  });
  context.on('page', (p) => {
    if (p !== page) watch.requests.push(`new window: ${p.url()}`);
  });
  await context.route('**/*', (route) => (isAllowed(route.request().url()) ? route.continue() : route.abort()));
  // Init scripts run through the DevTools protocol, outside the page's CSP. (The tests compile
  // without the DOM library, so in-page code is given as text or reads only its arguments.)
  await page.addInitScript({
    content: `window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI), true);`,
  });
  return {
    context,
    page,
    watch,
    cspViolations: () => page.evaluate<string[]>(`window.__cspViolations ?? ['(the watch script did not run)']`),
    close: () => context.close(),
  };
}
