// Sending notifications over SMTP, each outcome recorded: 'sent' marks the news as told and moves
// the servers it is about from 'open' to 'notified'; 'bounced' (the server refused the recipient for
// good) and 'failed' (anything else: connection refused, a 4xx) leave the news untold, so the next
// send tries again. A bounce that arrives later as a DSN is recorded with recordBounce. News is
// claimed and marked per key, so a vulnerable server's item holds one key per CVE not told yet.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Database } from '../db/schema.js';
import { audit } from '../store/audit.js';
import { InvalidInput, refreshOrganisationSummary } from '../store/orgs.js';
import { type Batch, type ComposeOptions, type NoContact, composeBatches, composeFromNews } from './compose.js';
import { type NewsItem, type NewsRef, chunks, narrowNews, newsFor } from './news.js';

export interface PreviewBatch extends Omit<Batch, 'attachments'> {
  attachments: { filename: string; size: number }[];
}

export interface SendOptions extends ComposeOptions {
  /** Who sent: a user id or 'system', for the audit log and the remediation history. */
  actor: string;
}

export interface Delivery {
  notificationId: string;
  recipient: string;
  orgIds: string[];
  news: NewsRef[];
  messageId?: string;
  error?: string;
}

export interface SendResult {
  batchId: string;
  sent: Delivery[];
  failed: Delivery[];
  bounced: Delivery[];
  noContact: NoContact[];
}

type Outcome = { status: 'sent'; messageId: string } | { status: 'failed' | 'bounced'; error: string };

/** The dry run the dashboard shows: exactly what a send would do now, without sending. */
export async function previewNotifications(db: Kysely<Database>, opts: ComposeOptions): Promise<{ batches: PreviewBatch[]; noContact: NoContact[] }> {
  const { batches, noContact } = await composeBatches(db, opts);
  return { batches: batches.map((b) => ({ ...b, attachments: b.attachments.map((a) => ({ filename: a.filename, size: a.content.length })) })), noContact };
}

// A claim in notified_news names the run that holds it until the message is sent.
const CLAIM = 'claim:';
// A run that died (crash, kill) leaves claims behind; after this long they are released so the news
// is not lost for good. The price: a message the SMTP server had accepted just before the crash,
// whose recording was lost, goes out once more. Runs end within minutes (timeouts in transportFromUrl).
const STALE_CLAIM_MS = 24 * 3600_000;
const ref = (n: NewsRef): string => `${n.orgId}\n${n.key}`;

const refsOf = (news: readonly NewsItem[]): NewsRef[] => news.flatMap((n) => n.keys.map((key) => ({ orgId: n.orgId, key })));

function byOrg(news: readonly NewsRef[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const n of news) m.set(n.orgId, [...(m.get(n.orgId) ?? []), n.key]);
  return m;
}

/**
 * Claims the news for this run before anything is sent, key by key. The primary key (org_id,
 * news_key) makes the claim exclusive: an insert that meets an existing row does nothing and is not
 * returned, so of two runs at the same time (two workers, a double click) each key goes to exactly
 * one; on PostgreSQL the second insert waits for the first transaction and then sees its rows. The
 * transaction makes the claim all-or-nothing. An item keeps the keys this run won (a vulnerable
 * server only the CVEs it won) and is dropped when it won none. After sending, a claim becomes the
 * notification's mark (sent) or is deleted (not sent), so a failure is retried by the next send.
 */
async function claimNews(db: Kysely<Database>, news: readonly NewsItem[], marker: string, at: string): Promise<NewsItem[]> {
  const won = new Set<string>();
  await db.transaction().execute(async (trx) => {
    for (const part of chunks(refsOf(news), 200)) {
      const rows = await trx.insertInto('notified_news').values(part.map((n) => ({ org_id: n.orgId, news_key: n.key, notification_id: marker, at })))
        .onConflict((oc) => oc.columns(['org_id', 'news_key']).doNothing()).returning(['org_id', 'news_key']).execute();
      for (const r of rows) won.add(ref({ orgId: r.org_id, key: r.news_key }));
    }
  });
  return news.flatMap((n) => narrowNews(n, new Set(n.keys.filter((key) => won.has(ref({ orgId: n.orgId, key }))))) ?? []);
}

async function releaseClaims(db: Kysely<Database>, news: readonly NewsRef[], marker: string): Promise<void> {
  for (const [orgId, keys] of byOrg(news)) {
    for (const part of chunks(keys)) await db.deleteFrom('notified_news').where('notification_id', '=', marker).where('org_id', '=', orgId).where('news_key', 'in', part).execute();
  }
}

async function releaseStaleClaims(db: Kysely<Database>, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - STALE_CLAIM_MS).toISOString();
  const r = await db.deleteFrom('notified_news').where('notification_id', 'like', `${CLAIM}%`).where('at', '<', cutoff).executeTakeFirst();
  return Number(r.numDeletedRows);
}

function describeError(err: unknown): string {
  const e = err as { code?: unknown; responseCode?: unknown; message?: unknown };
  const parts = [e.code, e.responseCode, e.message ?? String(err)].filter((p) => p !== undefined && p !== '');
  return parts.join(' ').slice(0, 2000);
}

/** 5xx to RCPT or DATA: the receiving server refused this recipient or message for good (503 is a sequence error). */
function isBounce(err: unknown): boolean {
  const e = err as { code?: unknown; responseCode?: unknown; command?: unknown };
  const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600 && e.responseCode !== 503;
  return permanent && (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') && e.command !== 'MAIL FROM';
}

async function deliver(transport: Transporter, b: Batch, sender: string): Promise<Outcome> {
  try {
    const info = await transport.sendMail({
      from: sender, to: b.recipient, subject: b.subject, text: b.text,
      attachments: b.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
      // Tells auto-responders not to answer (RFC 3834).
      headers: { 'Auto-Submitted': 'auto-generated' },
      disableFileAccess: true, disableUrlAccess: true,
    });
    const rejected = info.rejected ?? [];
    if (rejected.length > 0) return { status: 'bounced', error: `recipient refused: ${rejected.join(', ')} ${info.response ?? ''}`.trim() };
    return { status: 'sent', messageId: info.messageId };
  } catch (err) {
    return { status: isBounce(err) ? 'bounced' : 'failed', error: describeError(err) };
  }
}

interface Run {
  batchId: string;
  marker: string;
  actor: string;
  now: Date;
}

async function record(db: Kysely<Database>, run: Run, b: Batch, id: string, o: Outcome): Promise<void> {
  const at = run.now.toISOString();
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('notifications').values({
      id, batch_id: run.batchId, recipient: b.recipient, org_ids: JSON.stringify(b.orgIds), subject: b.subject, body: b.text,
      attachments: JSON.stringify(b.attachments.map((a) => a.filename)), news: JSON.stringify(b.news), status: o.status,
      error: o.status === 'sent' ? null : o.error, message_id: o.status === 'sent' ? o.messageId : null, created_at: at,
    }).execute();
    await audit(trx, {
      actor: run.actor, action: o.status === 'sent' ? 'notify' : `notify-${o.status}`, entity: 'notification', entityId: id,
      detail: { batchId: run.batchId, recipient: b.recipient, orgIds: b.orgIds, news: b.news.length, ...(o.status === 'sent' ? { messageId: o.messageId } : { error: o.error }) },
    }, run.now);
    if (o.status !== 'sent') return;
    // Another recipient of the same organisation may have turned the claim into its mark already.
    for (const [orgId, keys] of byOrg(b.news)) {
      for (const part of chunks(keys)) {
        await trx.updateTable('notified_news').set({ notification_id: id, at }).where('notification_id', '=', run.marker).where('org_id', '=', orgId).where('news_key', 'in', part).execute();
      }
    }
    for (const part of chunks(b.serverIds)) {
      const moved = await trx.updateTable('servers').set({ status: 'notified' }).where('id', 'in', part).where('org_id', 'in', b.orgIds).where('status', '=', 'open')
        .returning(['id', 'org_id']).execute();
      if (moved.length === 0) continue;
      await trx.insertInto('remediation_history').values(moved.map((m) => ({
        org_id: m.org_id!, server_id: m.id, from_status: 'open', to_status: 'notified', at, actor: run.actor, note: `notified ${b.recipient}`,
      }))).execute();
    }
    for (const orgId of b.orgIds) await refreshOrganisationSummary(trx, orgId, run.now);
  });
}

/**
 * Sends every untold piece of news, one message per recipient address. Safe to call twice at once:
 * each piece of news is claimed by one run before it is sent (claimNews).
 */
export async function sendNotifications(db: Kysely<Database>, transport: Transporter, opts: SendOptions): Promise<SendResult> {
  const now = opts.now ?? new Date();
  const batchId = randomUUID();
  const run: Run = { batchId, marker: `${CLAIM}${batchId}`, actor: opts.actor, now };
  const released = await releaseStaleClaims(db, now);
  const news = await newsFor(db, opts.orgIds);
  const claimed = await claimNews(db, news, run.marker, now.toISOString());
  const result: SendResult = { batchId, sent: [], failed: [], bounced: [], noContact: [] };
  // News whose message the SMTP server accepted keeps its claim even if recording it fails below.
  const delivered = new Set<string>();
  try {
    const { batches, noContact } = await composeFromNews(db, claimed, opts);
    result.noContact = noContact;
    for (const b of batches) {
      const id = randomUUID();
      const o = await deliver(transport, b, opts.sender);
      if (o.status === 'sent') for (const n of b.news) delivered.add(ref(n));
      await record(db, run, b, id, o);
      const d: Delivery = { notificationId: id, recipient: b.recipient, orgIds: b.orgIds, news: b.news, ...(o.status === 'sent' ? { messageId: o.messageId } : { error: o.error }) };
      result[o.status].push(d);
    }
  } finally {
    await releaseClaims(db, refsOf(claimed).filter((n) => !delivered.has(ref(n))), run.marker);
  }
  await audit(db, {
    actor: opts.actor, action: 'send', entity: 'notification-batch', entityId: batchId,
    detail: {
      sent: result.sent.length, failed: result.failed.length, bounced: result.bounced.length, noContact: result.noContact.map((n) => n.orgId),
      news: refsOf(news).length, claimedElsewhere: refsOf(news).length - refsOf(claimed).length, staleClaimsReleased: released,
    },
  }, now);
  return result;
}

function newsRefs(json: string): NewsRef[] {
  try {
    const v: unknown = JSON.parse(json);
    if (!Array.isArray(v)) return [];
    return v.filter((n): n is NewsRef => typeof n === 'object' && n !== null && typeof (n as NewsRef).orgId === 'string' && typeof (n as NewsRef).key === 'string');
  } catch {
    return [];
  }
}

/**
 * A bounce that arrived later (a DSN): the message is marked bounced and its news untold, to be sent
 * again. News that another delivered message of the same send also carried (an organisation with
 * several abuse addresses, an address shared by organisations) stays told: its mark moves to that
 * message. unmarked counts the keys un-marked.
 */
export async function recordBounce(db: Kysely<Database>, notificationId: string, reason: string, actor: string, now = new Date()): Promise<{ unmarked: number }> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('notifications').select(['id', 'batch_id', 'recipient', 'status']).where('id', '=', notificationId).executeTakeFirst();
    if (!row) throw new InvalidInput(`there is no notification ${notificationId}`);
    await trx.updateTable('notifications').set({ status: 'bounced', error: reason.slice(0, 2000) }).where('id', '=', notificationId).execute();
    const marks = await trx.selectFrom('notified_news').select(['org_id', 'news_key']).where('notification_id', '=', notificationId).execute();
    // The first other delivered message of the same send that carried each key.
    const carrier = new Map<string, string>();
    if (marks.length > 0) {
      const others = await trx.selectFrom('notifications').select(['id', 'news']).where('batch_id', '=', row.batch_id).where('status', '=', 'sent').where('id', '!=', notificationId)
        .orderBy('created_at').orderBy('id').execute();
      for (const o of others) for (const n of newsRefs(o.news)) if (!carrier.has(ref(n))) carrier.set(ref(n), o.id);
    }
    const untold: NewsRef[] = [];
    let kept = 0;
    for (const m of marks) {
      const n = { orgId: m.org_id, key: m.news_key };
      const other = carrier.get(ref(n));
      if (other === undefined) {
        untold.push(n);
        continue;
      }
      await trx.updateTable('notified_news').set({ notification_id: other }).where('org_id', '=', n.orgId).where('news_key', '=', n.key).where('notification_id', '=', notificationId).execute();
      kept++;
    }
    let unmarked = 0;
    for (const [orgId, keys] of byOrg(untold)) {
      for (const part of chunks(keys)) {
        const r = await trx.deleteFrom('notified_news').where('notification_id', '=', notificationId).where('org_id', '=', orgId).where('news_key', 'in', part).executeTakeFirst();
        unmarked += Number(r.numDeletedRows);
      }
    }
    await audit(trx, {
      actor, action: 'bounce', entity: 'notification', entityId: notificationId,
      detail: { recipient: row.recipient, was: row.status, reason: reason.slice(0, 500), unmarked, keptByOtherRecipients: kept },
    }, now);
    return { unmarked };
  });
}

/**
 * The SMTP transport for EXHUNT_SMTP_URL: smtp://user:password@host:port (STARTTLS when offered,
 * default port 587) or smtps://… (TLS from the start, default port 465). User and password are
 * percent-decoded. Errors never repeat the URL, which holds the password.
 */
export function transportFromUrl(url: string): Transporter {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InvalidInput('the SMTP URL is not a URL; expected smtp://user:password@host:port or smtps://user:password@host:port');
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') throw new InvalidInput(`the SMTP URL must start with smtp:// or smtps://, not ${u.protocol}//`);
  if (!u.hostname) throw new InvalidInput('the SMTP URL names no host');
  const secure = u.protocol === 'smtps:';
  return nodemailer.createTransport({
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    auth: u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : undefined,
    // Bounded waits keep a send run short (see STALE_CLAIM_MS).
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 120_000,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
}
