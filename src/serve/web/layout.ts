// The page shell: head (the stylesheet and script by URL — the Content-Security-Policy allows
// nothing inline), the navigation bar with the signed-in user and the sign-out form, and any
// notice or error above the page's own content.
import type { Session } from '../auth/sessions.js';
import { assetUrls } from './assets.js';
import { csrfField, esc } from './html.js';

const NAV = [
  { id: 'organisations', path: '/', label: 'Organisations' },
  { id: 'exposure', path: '/exposure', label: 'Exposure' },
  { id: 'findings', path: '/findings', label: 'Findings' },
  { id: 'upload', path: '/upload', label: 'Upload' },
  { id: 'import', path: '/import', label: 'Import' },
  { id: 'unmatched', path: '/unmatched', label: 'Unmatched' },
  { id: 'notifications', path: '/notifications', label: 'Notifications' },
  { id: 'templates', path: '/templates', label: 'Templates' },
] as const;

export type NavId = (typeof NAV)[number]['id'];

export interface PageOptions {
  title: string;
  session?: Session | undefined;
  nav?: NavId;
  notice?: string | undefined;
  error?: string | undefined;
}

function navBar(o: PageOptions): string {
  if (!o.session) return '<header class="nav"><div class="bar"><span class="brand">exhunt serve</span></div></header>';
  const items = NAV.map((n) => `<li><a href="${n.path}"${n.id === o.nav ? ' aria-current="page"' : ''}>${n.label}</a></li>`).join('');
  const s = o.session;
  return `<header class="nav"><div class="bar"><a class="brand" href="/">exhunt serve</a><nav aria-label="Main"><ul>${items}</ul></nav>
<div class="who"><span>${esc(s.user.email)} (${esc(s.user.role)})</span><form method="post" action="/logout">${csrfField(s)}<button type="submit">Sign out</button></form></div></div></header>`;
}

export function page(o: PageOptions, body: string): string {
  const { css, js } = assetUrls();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${esc(o.title)} · exhunt serve</title>
<link rel="stylesheet" href="${esc(css)}">
<script src="${esc(js)}" defer></script>
</head>
<body>
${navBar(o)}
<main>
${o.notice ? `<p class="notice" role="status">${esc(o.notice)}</p>` : ''}${o.error ? `<p class="error" role="alert">${esc(o.error)}</p>` : ''}
${body}
<footer>All times are UTC. Everything shown from uploads and imports is displayed as text.</footer>
</main>
</body>
</html>
`;
}
