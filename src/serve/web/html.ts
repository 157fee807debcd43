// Small pieces every page uses. The rule of the dashboard: every value that came from the database
// or the request goes through esc() (it is attacker-controlled: organisation lists, uploads,
// Shadowserver rows), whether it lands in text or in a double-quoted attribute; only our own
// vocabulary (statuses, severities) becomes a class name, through token().
import type { FastifyReply } from 'fastify';
import { esc, token, when } from '../../report/html/escape.js';
import type { Session } from '../auth/sessions.js';

export { esc, token, when };

export type Query = Record<string, unknown>;

/** A query-string value as trimmed text (the first of repeated keys), at most `max` characters, or undefined when empty. */
export function param(q: Query, name: string, max = 200): string | undefined {
  let v = q[name];
  if (Array.isArray(v)) v = v[0];
  if (typeof v !== 'string') return undefined;
  const t = v.trim().slice(0, max);
  return t === '' ? undefined : t;
}

/** A non-negative integer from the query string, or `fallback`. */
export function intParam(q: Query, name: string, fallback: number, max = 1_000_000): number {
  const v = param(q, name, 12);
  return v !== undefined && /^\d+$/.test(v) ? Math.min(max, Number(v)) : fallback;
}

/** One of `allowed`, or undefined. */
export function choice<T extends string>(q: Query, name: string, allowed: readonly T[]): T | undefined {
  const v = param(q, name, 100);
  return allowed.find((a) => a === v);
}

/** path?k=v&… without the empty values. The result is a URL, not HTML: put it through esc() in an attribute. */
export function link(path: string, params: Record<string, string | number | undefined> = {}): string {
  const qs = Object.entries(params).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return qs.length === 0 ? path : `${path}?${qs.join('&')}`;
}

const ID = /^[A-Za-z0-9-]{1,64}$/;

/** Ids in paths are ours (UUIDs); anything else is not found, before it reaches a query. */
export function isId(v: unknown): v is string {
  return typeof v === 'string' && ID.test(v);
}

export function mayChange(s: Session): boolean {
  return s.user.role === 'analyst' || s.user.role === 'admin';
}

export function csrfField(s: Session): string {
  return `<input type="hidden" name="_csrf" value="${esc(s.csrf)}">`;
}

export function utc(iso: string | null | undefined): string {
  return esc(when(iso));
}

export function statusBadge(status: string): string {
  return `<span class="badge status-${token(status)}">${esc(status)}</span>`;
}

export function severityBadge(severity: string): string {
  return `<span class="sev sev-${token(severity)}">${esc(severity)}</span>`;
}

export function num(n: number): string {
  return n.toLocaleString('en-GB');
}

/** Messages shown after a change, by key: the redirect carries the key, never the text. */
const NOTICES: Record<string, string> = {
  'status-changed': 'The server’s status was changed and recorded in its history.',
  'report-stored': 'The report was stored; its findings are listed below.',
  'report-known': 'This report had been uploaded before; nothing changed.',
  'scan-stored': 'The scan results were stored.',
  'scan-known': 'These scan results had been uploaded before; nothing changed.',
  assigned: 'The server was assigned to the organisation.',
  'template-saved': 'The template was saved.',
  'signed-out': 'You are signed out.',
};

export function noticeFor(q: Query): string | undefined {
  const key = param(q, 'notice', 40);
  return key !== undefined && Object.hasOwn(NOTICES, key) ? NOTICES[key] : undefined;
}

export function sendPage(reply: FastifyReply, html: string, status = 200): FastifyReply {
  return reply.status(status).type('text/html; charset=utf-8').send(html);
}

/** Term/description pairs; descriptions are HTML the caller escaped. */
export function facts(pairs: readonly [string, string][]): string {
  return `<dl class="facts">${pairs.map(([t, d]) => `<dt>${esc(t)}</dt><dd>${d === '' ? '<span class="muted">—</span>' : d}</dd>`).join('')}</dl>`;
}
