// The dashboard in real headless Chromium: a watched page that may reach the service and nothing
// else, signing in through the login form, and the checks every page must pass — nothing logged,
// thrown, asked or refused by the policy, no request off the site, and no markup from the data
// (event handlers, style attributes, foreign links, frames, inline scripts). Nothing starts on import.
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { type WatchedPage, watchedPage } from './browser.js';

export interface Login {
  email: string;
  password: string;
}

export interface SitePage extends WatchedPage {
  origin: string;
  /** Loads a path of the site and waits for it. */
  go(path: string): Promise<void>;
}

/** A watched page limited to `origin` (other requests are recorded and aborted). */
export async function sitePage(browser: Browser, origin: string): Promise<SitePage> {
  const w = await watchedPage(browser, (url) => url.startsWith(`${origin}/`));
  return {
    ...w,
    origin,
    go: async (path) => {
      await w.page.goto(`${origin}${path}`, { waitUntil: 'load' });
    },
  };
}

/** Clicks what submits a form and waits for the page it leads to. */
export async function submit(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
}

/** Opens `path`, is sent to the login form, signs in there and lands back on `path`. */
export async function signIn(browser: Browser, origin: string, user: Login, path = '/'): Promise<SitePage> {
  const p = await sitePage(browser, origin);
  await p.go(path);
  assert.match(p.page.url(), /\/login\?next=/, `${path} sends a stranger to the login form`);
  await p.page.fill('input[name="email"]', user.email);
  await p.page.fill('input[name="password"]', user.password);
  await submit(p.page, 'form[action="/login"] button[type="submit"]');
  assert.equal(p.page.url(), `${origin}${path}`, 'signing in returns to the page asked for');
  return p;
}

/** What a page's markup must never hold, whatever the data: checked in the live DOM. */
const DOM_AUDIT = `(() => {
  const out = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (/^on/i.test(a.name)) out.push('event handler ' + el.localName + '[' + a.name + ']');
      if (a.name === 'style') out.push('style attribute on ' + el.localName);
      if (/^(href|src|action|formaction|xlink:href|srcdoc|data|poster)$/i.test(a.name) && !/^(\\/(?!\\/)|#|\\?)/.test(a.value) && !(el.localName === 'script' && a.value.startsWith('/assets/'))) out.push(el.localName + '[' + a.name + '=' + a.value.slice(0, 80) + ']');
    }
    if (['iframe', 'frame', 'object', 'embed', 'img', 'base', 'audio', 'video', 'image', 'use', 'foreignobject'].includes(el.localName)) out.push('<' + el.localName + '> element');
    if (el.localName === 'meta' && el.getAttribute('http-equiv') && el.getAttribute('http-equiv').toLowerCase() !== 'content-security-policy') out.push('<meta http-equiv=' + el.getAttribute('http-equiv') + '>');
    if (el.localName === 'link' && !(el.getAttribute('rel') === 'stylesheet' && (el.getAttribute('href') || '').startsWith('/assets/'))) out.push('<link> ' + el.outerHTML.slice(0, 80));
  }
  return out;
})()`;

/** The page's scripts: their src, or "inline". */
const SCRIPTS = `[...document.scripts].map((s) => s.getAttribute('src') || 'inline')`;

/**
 * Everything a dashboard page must be: quiet (no console message, uncaught error, dialog or policy
 * violation), on the site only, with no trace of markup from the data and only our own script.
 * `inlineScript`: the hunt report page, which carries the report writer's script inline (by hash).
 */
export async function assertCleanPage(p: SitePage, label: string, opts: { inlineScript?: boolean } = {}): Promise<void> {
  assert.deepEqual(p.watch.pageErrors, [], `${label}: uncaught errors`);
  assert.deepEqual(p.watch.console, [], `${label}: console errors or warnings`);
  assert.deepEqual(p.watch.dialogs, [], `${label}: dialogs`);
  assert.deepEqual(await p.cspViolations(), [], `${label}: Content-Security-Policy violations`);
  assert.deepEqual(p.watch.requests.filter((u) => !u.startsWith(`${p.origin}/`)), [], `${label}: requests off the site`);
  assert.equal(await p.page.evaluate('window.__xss'), undefined, `${label}: an injected script ran`);
  assert.equal(p.page.frames().length, 1, `${label}: frames`);
  assert.deepEqual(await p.page.evaluate<string[]>(DOM_AUDIT), [], `${label}: markup from the data`);
  const scripts = await p.page.evaluate<string[]>(SCRIPTS);
  if (opts.inlineScript) assert.deepEqual(scripts, ['inline'], `${label}: only the report writer's script`);
  else assert.ok(scripts.length === 1 && /^\/assets\/dashboard\.js\?v=[0-9a-f]+$/.test(scripts[0]!), `${label}: only the dashboard's script, got ${scripts.join(', ')}`);
}

/** The text of every match of `selector`, trimmed. */
export function texts(page: Page, selector: string): Promise<string[]> {
  return page.$$eval(selector, (els) => els.map((e) => (e.textContent ?? '').trim()));
}
