// News → messages: one message per recipient address, covering every organisation that address
// answers for (abuse addresses first; an organisation without one falls back to its contacts), with
// the evidence attached: the news as CSV and, for each hunt report, the self-contained HTML report.
import type { Kysely } from 'kysely';
import { csvCell } from '../../report/sanitize.js';
import { renderHtml } from '../../report/writers/html.js';
import { asReport } from '../store/report-doc.js';
import type { Database } from '../db/schema.js';
import { type NewsItem, type NewsRef, chunks, newsFor } from './news.js';
import { getTemplate, messageValues, renderMessage } from './templates.js';

export interface Attachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface Batch {
  recipient: string;
  orgIds: string[];
  subject: string;
  text: string;
  attachments: Attachment[];
  /** The notified_news keys the message tells (a vulnerable server gives one per new CVE). */
  news: NewsRef[];
  /** The servers the news is about: they move from 'open' to 'notified' once the message is sent. */
  serverIds: string[];
}

export interface NoContact {
  orgId: string;
  name: string;
  /** How many news items wait for an address to go to. */
  news: number;
}

export interface Composed {
  batches: Batch[];
  noContact: NoContact[];
}

export interface ComposeOptions {
  sender: string;
  now?: Date;
  orgIds?: string[];
}

interface OrgRow {
  id: string;
  name: string;
  recipients: string[];
}

function jsonList(text: string): unknown[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

function emailsOf(list: unknown[], pick: (x: unknown) => unknown): string[] {
  return list.map(pick).filter((e): e is string => typeof e === 'string').map((e) => e.trim().toLowerCase()).filter((e) => e !== '');
}

/** Abuse addresses, else the contacts' addresses (lower-cased so one mailbox gets one message). */
function recipientsOf(abuse: string, contacts: string): string[] {
  const a = emailsOf(jsonList(abuse), (x) => x);
  const list = a.length > 0 ? a : emailsOf(jsonList(contacts), (c) => (typeof c === 'object' && c !== null ? (c as { email?: unknown }).email : undefined));
  return [...new Set(list)];
}

async function orgsOf(db: Kysely<Database>, ids: readonly string[]): Promise<OrgRow[]> {
  const out: OrgRow[] = [];
  for (const part of chunks(ids)) {
    const rows = await db.selectFrom('organisations').select(['id', 'name', 'abuse', 'contacts']).where('id', 'in', part).execute();
    out.push(...rows.map((r) => ({ id: r.id, name: r.name, recipients: recipientsOf(r.abuse, r.contacts) })));
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

function slug(name: string): string {
  return name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '') || 'organisation';
}

// For a vulnerable server, cves holds the CVEs this message tells and cves_told_before those it
// still has that an earlier message told. reference holds the item's keys, separated by spaces.
const CSV_COLUMNS = ['organisation', 'news', 'address', 'hostname', 'port', 'product', 'build', 'cves', 'cves_told_before', 'first_seen', 'last_seen', 'status', 'web_shell_url', 'report_id', 'verdict', 'summary', 'reference'];

function findingsCsv(items: readonly NewsItem[], orgName: ReadonlyMap<string, string>): string {
  const rows = [CSV_COLUMNS.join(',')];
  for (const n of items) {
    const cells = [orgName.get(n.orgId), n.kind, n.address ?? undefined, n.hostname ?? undefined, n.port ?? undefined, n.product ?? undefined, n.build ?? undefined,
      n.cves.join(' '), n.cvesTold.join(' '), n.firstSeen ?? undefined, n.lastSeen ?? undefined, n.status ?? undefined, n.url ?? undefined, n.report?.id, n.report?.verdict, n.report?.summary,
      n.keys.join(' ')];
    rows.push(cells.map((c) => csvCell(c)).join(','));
  }
  return `${rows.join('\r\n')}\r\n`;
}

/**
 * The HTML report for a stored hunt report, or undefined when it cannot be rendered. A body passed
 * the upload schema when it was stored, which checks less than the HTML writer relies on, so one
 * that does not parse or makes the writer throw is skipped (the message says so). Reports older
 * than schema 1.5 get their intrusions from their findings, as `exhunt report` gives them.
 */
function reportHtml(body: string): string | undefined {
  try {
    const report = asReport(body);
    return typeof report === 'string' ? undefined : renderHtml(report);
  } catch {
    return undefined;
  }
}

/** Renders each report once, however many messages carry it. */
class ReportRenderer {
  private readonly cache = new Map<string, Promise<string | undefined>>();
  constructor(private readonly db: Kysely<Database>) {}

  html(reportId: string): Promise<string | undefined> {
    let p = this.cache.get(reportId);
    if (!p) {
      p = this.db.selectFrom('reports').select('body').where('id', '=', reportId).executeTakeFirst().then((r) => (r ? reportHtml(r.body) : undefined));
      this.cache.set(reportId, p);
    }
    return p;
  }
}

/** Groups news by recipient: an address that answers for several organisations gets one message. */
function byRecipient(orgs: readonly OrgRow[]): Map<string, OrgRow[]> {
  const map = new Map<string, OrgRow[]>();
  for (const o of orgs) for (const r of o.recipients) map.set(r, [...(map.get(r) ?? []), o]);
  return new Map([...map].sort(([a], [b]) => a.localeCompare(b)));
}

/** Messages for the given news (send.ts passes the news it has claimed). */
export async function composeFromNews(db: Kysely<Database>, news: readonly NewsItem[], opts: ComposeOptions): Promise<Composed> {
  const now = opts.now ?? new Date();
  const day = now.toISOString().slice(0, 10);
  const template = await getTemplate(db, 'notification');
  const orgs = await orgsOf(db, [...new Set(news.map((n) => n.orgId))]);
  const orgName = new Map(orgs.map((o) => [o.id, o.name]));
  const noContact = orgs.filter((o) => o.recipients.length === 0).map((o) => ({ orgId: o.id, name: o.name, news: news.filter((n) => n.orgId === o.id).length }));
  const renderer = new ReportRenderer(db);
  const batches: Batch[] = [];
  for (const [recipient, covered] of byRecipient(orgs)) {
    const items = covered.flatMap((o) => news.filter((n) => n.orgId === o.id));
    const csvName = `exhunt-findings-${day}.csv`;
    const attachments: Attachment[] = [{ filename: csvName, contentType: 'text/csv; charset=utf-8', content: Buffer.from(findingsCsv(items, orgName), 'utf8') }];
    const notes = [`${csvName}: the list above as a spreadsheet, one row per finding.`];
    const reportFiles = new Map<string, string>();
    for (const n of items) {
      if (!n.report) continue;
      const html = await renderer.html(n.report.id);
      const id8 = n.report.id.replace(/[^A-Za-z0-9]/g, '').slice(0, 8);
      if (html === undefined) {
        notes.push(`The hunt report ${id8} could not be read, so it is not attached; ask us for a copy.`);
        continue;
      }
      const filename = `exhunt-report-${slug(orgName.get(n.orgId) ?? '')}-${id8}.html`;
      reportFiles.set(n.report.id, filename);
      attachments.push({ filename, contentType: 'text/html; charset=utf-8', content: Buffer.from(html, 'utf8') });
      notes.push(`${filename}: the full hunt report; open it in a web browser (it needs no internet access).`);
    }
    const values = messageValues({ recipient, sender: opts.sender, now, orgs: covered, items, attachments: notes, reportFiles });
    const { subject, text } = renderMessage(template, values);
    batches.push({
      recipient, orgIds: covered.map((o) => o.id), subject, text, attachments,
      news: items.flatMap((n) => n.keys.map((key) => ({ orgId: n.orgId, key }))),
      serverIds: [...new Set(items.flatMap((n) => (n.serverId ? [n.serverId] : [])))],
    });
  }
  return { batches, noContact };
}

/** What would be sent now: one batch per recipient, and the organisations with news but no address. */
export async function composeBatches(db: Kysely<Database>, opts: ComposeOptions): Promise<Composed> {
  return composeFromNews(db, await newsFor(db, opts.orgIds), opts);
}
