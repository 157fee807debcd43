// The notification's wording: defaults in code, overridable per name in the templates table from the
// dashboard. A template is plain text with {{placeholders}}; the values carry names and evidence
// from uploads, which are attacker-controlled, so the message is only ever sent as text/plain and
// the subject, a header, loses every control character and line break.
import type { Kysely } from 'kysely';
import { assessBuild, trackedCves } from '../../exposure/assess.js';
import { when } from '../../report/html/escape.js';
import { terminalSafe } from '../../report/sanitize.js';
import type { Database } from '../db/schema.js';
import { audit } from '../store/audit.js';
import { InvalidInput } from '../store/orgs.js';
import type { NewsItem } from './news.js';

export const PLACEHOLDERS = ['recipient', 'organisations', 'headline', 'summary', 'items', 'actions', 'attachments', 'date', 'sender'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type TemplateValues = Record<Placeholder, string>;

export interface Template {
  name: string;
  subject: string;
  body: string;
  /** False while the default from code is in use. */
  custom: boolean;
  updatedAt: string | null;
  updatedBy: string | null;
}

const NOTIFICATION_BODY = `Hello,

this is a security notice about the Microsoft Exchange e-mail servers of {{organisations}}. It is sent to {{recipient}} because that is the security contact we have on file. If someone else looks after these servers (an IT provider, for example), please forward this message to them today.

WHAT WE SAW
{{summary}}

{{items}}

WHY IT MATTERS
Exchange servers that can be reached from the internet are attacked automatically, often within hours of a flaw becoming known. The flaws called ProxyLogon (2021), ProxyShell (2021) and ProxyNotShell (2022) let someone who knows nothing but the server's address run programs on it. They have been used against tens of thousands of servers to plant "web shells": small web pages that work as a remote control for the server. Where a web shell was found, assume a break-in: the attacker may have read mail, taken passwords and moved on to other computers, and installing the update alone does not throw them out.

WHAT TO DO NOW
{{actions}}

THE EVIDENCE
{{attachments}}

If something is unclear or you need help, reply to this message. Please also tell us when the servers have been updated or cleaned.

Kind regards,
{{sender}}
{{date}}
`;

const DEFAULTS: Readonly<Record<string, { subject: string; body: string }>> = {
  notification: { subject: 'Security notice: {{headline}} ({{organisations}})', body: NOTIFICATION_BODY },
};

export const TEMPLATE_NAMES: readonly string[] = Object.keys(DEFAULTS);

const MAX_SUBJECT = 300;
const MAX_BODY = 50_000;
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The placeholders in text that are not one of PLACEHOLDERS, as written. */
function unknownPlaceholders(text: string): string[] {
  const known = new Set<string>(PLACEHOLDERS);
  return [...new Set([...text.matchAll(PLACEHOLDER)].filter((m) => !known.has(m[1]!)).map((m) => m[0]))];
}

/** Throws InvalidInput naming what is wrong: unknown placeholders, an empty or oversized part. */
export function checkTemplate(name: string, subject: string, body: string): void {
  if (!(name in DEFAULTS)) throw new InvalidInput(`"${name}" is not a template; there are: ${TEMPLATE_NAMES.join(', ')}`);
  if (subject.trim() === '' || subject.length > MAX_SUBJECT) throw new InvalidInput(`a subject needs 1 to ${MAX_SUBJECT} characters`);
  if (/[\r\n]/.test(subject)) throw new InvalidInput('a subject is one line');
  if (body.trim() === '' || body.length > MAX_BODY) throw new InvalidInput(`a body needs 1 to ${MAX_BODY} characters`);
  const unknown = [...new Set([...unknownPlaceholders(subject), ...unknownPlaceholders(body)])];
  if (unknown.length > 0) {
    throw new InvalidInput(`unknown placeholder${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}; known: ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`);
  }
}

/** The template in use: the saved one, else the default. */
export async function getTemplate(db: Kysely<Database>, name: string): Promise<Template> {
  const fallback = DEFAULTS[name];
  if (!fallback) throw new InvalidInput(`"${name}" is not a template; there are: ${TEMPLATE_NAMES.join(', ')}`);
  const row = await db.selectFrom('templates').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) return { name, ...fallback, custom: false, updatedAt: null, updatedBy: null };
  return { name, subject: row.subject, body: row.body, custom: true, updatedAt: row.updated_at, updatedBy: row.updated_by };
}

export async function saveTemplate(db: Kysely<Database>, name: string, subject: string, body: string, actor: string, now = new Date()): Promise<Template> {
  checkTemplate(name, subject, body);
  const at = now.toISOString();
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('templates').values({ name, subject, body, updated_at: at, updated_by: actor })
      .onConflict((oc) => oc.column('name').doUpdateSet({ subject, body, updated_at: at, updated_by: actor })).execute();
    await audit(trx, { actor, action: 'update', entity: 'template', entityId: name, detail: { subject, bodyChars: body.length } }, now);
  });
  return { name, subject, body, custom: true, updatedAt: at, updatedBy: actor };
}

/** One pass: a value that itself contains "{{…}}" is not expanded again. */
export function fillTemplate(text: string, values: TemplateValues): string {
  return text.replace(PLACEHOLDER, (whole, key: string) => (Object.hasOwn(values, key) ? values[key as Placeholder] : whole));
}

// C0/C1 controls (CR and LF among them), line/paragraph separators, bidi overrides, zero-width marks.
const HEADER_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]+/g;

/** A value fit for one header line: no way to end the line and start another header. */
export function headerSafe(text: string, max = 250): string {
  const flat = text.replace(HEADER_UNSAFE, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function renderMessage(t: Pick<Template, 'subject' | 'body'>, values: TemplateValues): { subject: string; text: string } {
  return { subject: headerSafe(fillTemplate(t.subject, values)), text: fillTemplate(t.body, values) };
}

// ——— The values: plain words for someone who runs a town's mail server, not a security analyst. ———

export interface MessageFacts {
  recipient: string;
  sender: string;
  now: Date;
  /** The organisations this message covers, in the order they are shown. */
  orgs: { id: string; name: string }[];
  items: NewsItem[];
  /** One line per attachment, or per report that could not be attached. */
  attachments: string[];
  /** Report id → the file name it is attached as. */
  reportFiles: ReadonlyMap<string, string>;
}

/** An attacker-controlled value on one line of the text: controls become visible escapes. */
function v(value: string | number | null | undefined, max = 300): string {
  const s = terminalSafe(String(value ?? ''));
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

let cveNames: Map<string, string> | undefined;

/** ProxyLogon, ProxyShell…: the name a CVE is known by, from the build knowledge. */
function cveName(id: string): string | undefined {
  cveNames ??= new Map(trackedCves().map((c) => [c.id, c.name]));
  return cveNames.get(id);
}

/** "ProxyLogon (CVE-2021-26855, CVE-2021-27065), CVE-2099-0001". */
function describeCves(cves: readonly string[]): string {
  const groups = new Map<string, string[]>();
  for (const c of cves) {
    const name = cveName(c) ?? '';
    groups.set(name, [...(groups.get(name) ?? []), c]);
  }
  return [...groups].map(([name, ids]) => (name ? `${name} (${ids.map((i) => v(i, 40)).join(', ')})` : ids.map((i) => v(i, 40)).join(', '))).join(', ');
}

// A web shell's address is defanged so that no mail client turns it into a link someone clicks.
function defang(url: string): string {
  return v(url, 500).replace(/^http/i, 'hxxp');
}

function isBreach(n: NewsItem): boolean {
  return n.kind === 'compromised' || n.report?.verdict === 'COMPROMISED';
}

function serverName(n: NewsItem): string {
  const where = [n.hostname, n.port ? `port ${n.port}` : undefined].filter((x) => x).map((x) => v(x, 120));
  const addr = n.address ?? n.report?.host ?? 'a server';
  return `${v(addr, 120)}${where.length > 0 ? ` (${where.join(', ')})` : ''}`;
}

function softwareLine(n: NewsItem): string | undefined {
  if (!n.product && !n.build) return undefined;
  return `${v(n.product ?? 'Exchange', 120)}${n.build ? ` (build ${v(n.build, 40)})` : ''}`;
}

function itemLines(n: NewsItem, reportFiles: ReadonlyMap<string, string>): string[] {
  const seen = `Seen from ${when(n.firstSeen)} to ${when(n.lastSeen)}${n.status ? `; status in our records: ${n.status}` : ''}`;
  const software = softwareLine(n);
  if (n.kind === 'report') {
    const r = n.report!;
    const file = reportFiles.get(r.id);
    return [
      `HUNT REPORT: ${v(r.verdict, 40)} for ${r.host ? `host ${v(r.host, 120)}` : serverName(n)} (uploaded ${when(r.uploadedAt)})`,
      v(r.summary, 1200),
      file ? `The full report is attached as ${file}.` : 'The full report could not be read, so it is not attached.',
    ];
  }
  if (n.kind === 'compromised') {
    return [
      `BREAK-IN: signs of a web shell on ${serverName(n)}`,
      ...(software ? [software] : []),
      ...(n.url ? [`Web shell: ${defang(n.url)} (the link is disabled on purpose: "hxxp" instead of "http")`] : []),
      seen,
    ];
  }
  return [
    `VULNERABLE: ${serverName(n)}`,
    `${software ?? 'Exchange'} is open to ${n.cves.length > 0 ? describeCves(n.cves) : 'known, attacked flaws'}`,
    seen,
  ];
}

function itemsText(f: MessageFacts): string {
  const out: string[] = [];
  for (const o of f.orgs) {
    out.push(`${v(o.name)}:`);
    for (const n of f.items.filter((i) => i.orgId === o.id)) {
      const [first, ...rest] = itemLines(n, f.reportFiles);
      out.push(`  * ${first}`, ...rest.map((l) => `    ${l}`));
    }
    out.push('');
  }
  return out.join('\n').trimEnd();
}

function counts(items: readonly NewsItem[]): { breached: number; attempted: number; vulnerable: number } {
  const id = (n: NewsItem): string => n.address ?? n.report?.host ?? n.key;
  const breached = new Set(items.filter(isBreach).map(id));
  const attempted = new Set(items.filter((n) => n.report?.verdict === 'EXPLOITATION ATTEMPTED').map(id).filter((x) => !breached.has(x)));
  const vulnerable = new Set(items.filter((n) => n.kind === 'vulnerable').map(id).filter((x) => !breached.has(x) && !attempted.has(x)));
  return { breached: breached.size, attempted: attempted.size, vulnerable: vulnerable.size };
}

function headlineOf(items: readonly NewsItem[]): string {
  const c = counts(items);
  const parts = [c.breached && `${c.breached} compromised`, c.attempted && `${c.attempted} attacked`, c.vulnerable && `${c.vulnerable} vulnerable`].filter((p) => p);
  const total = c.breached + c.attempted + c.vulnerable;
  return `${parts.join(', ')} Exchange server${total === 1 ? '' : 's'}`;
}

function summaryOf(items: readonly NewsItem[]): string {
  const c = counts(items);
  const out: string[] = [];
  if (c.breached) out.push(`${plural(c.breached, 'Exchange server shows', 'Exchange servers show')} signs of a break-in: a web shell, or a hunt of its logs found an attack that succeeded.`);
  if (c.attempted) out.push(`On ${plural(c.attempted, 'server', 'servers')}, a hunt of the logs found attacks that were tried.`);
  if (c.vulnerable) {
    const names = [...new Set(items.filter((n) => n.kind === 'vulnerable').flatMap((n) => n.cves.map((id) => cveName(id) ?? id)))];
    out.push(`${plural(c.vulnerable, 'Exchange server is', 'Exchange servers are')} missing security updates and open to flaws that criminals attack${names.length > 0 ? ` (${names.map((x) => v(x, 60)).join(', ')})` : ''}.`);
  }
  return out.join(' ');
}

function updateAdvice(n: NewsItem, now: Date): string {
  const generic = 'install the latest Cumulative Update (CU) for its Exchange version, then the latest Security Update (SU) for that CU (Microsoft\'s page "Exchange Server build numbers and release dates" lists them; the Exchange Health Checker script shows what is installed)';
  if (!n.build) return generic;
  try {
    const a = assessBuild(n.build, { now: now.getTime() });
    const eol = a.supported ? '' : `. ${a.product} gets no more free security updates since ${a.supportEnds}: plan the move to Exchange Server Subscription Edition (SE)`;
    return `install ${a.product} ${a.latest.update} (build ${a.latest.build}) or later${eol}`;
  } catch {
    return generic;
  }
}

function actionsText(items: readonly NewsItem[], now: Date): string {
  const steps: string[] = [];
  const breached = items.filter(isBreach);
  if (breached.length > 0) {
    const where = [...new Set(breached.map((n) => v(n.address ?? n.report?.host ?? 'the server', 120)))].join(', ');
    steps.push(
      `Cut the attacker off now: at the firewall, block connections from the internet to ${where} (HTTPS, port 443), or take Outlook on the web (OWA) and the Exchange admin center (ECP) offline. Do not switch the server off, wipe or reinstall it yet.`,
      'Keep the evidence before you change anything: copy the Exchange "Logging" folder, the web server logs (C:\\inetpub\\logs\\LogFiles) and any unknown .aspx files, with their dates, to a separate disk.',
      'Find out what happened: collect the logs with "exhunt collect" on the server and run "exhunt hunt" over them (or ask your IT provider or us to). The report says when and how the attacker got in and what they did.',
      'Once the attacker is cut off, reset passwords from a computer you trust: every administrator and service account, and every account the hunt report names.',
      'Contact your national CERT or an incident-response company: the attacker may have moved beyond the mail server.',
    );
  }
  if (items.some((n) => n.report?.verdict === 'EXPLOITATION ATTEMPTED')) {
    steps.push('Attacks were tried: read the "What to do now" section of the attached hunt report and make sure the security update below is installed.');
  }
  const servers = [...new Map(items.filter((n) => n.kind !== 'report' && n.address).map((n) => [n.address!, n])).values()];
  if (servers.length > 0) {
    steps.push(`Install the security update${servers.length === 1 ? '' : 's'}:\n${servers.map((n) => `   - ${v(n.address, 120)}: ${updateAdvice(n, now)}.`).join('\n')}`);
  }
  if (breached.length === 0 && servers.length > 0) {
    steps.push('Check that nobody got in before the update: these flaws were attacked on a large scale. Run "exhunt hunt" over the server\'s logs, or ask your IT provider to; if it finds a web shell, treat the server as broken into.');
  }
  return steps.map((s, i) => `${i + 1}. ${s}`).join('\n');
}

export function messageValues(f: MessageFacts): TemplateValues {
  return {
    recipient: v(f.recipient, 254),
    sender: f.sender,
    date: f.now.toISOString().slice(0, 10),
    organisations: f.orgs.map((o) => v(o.name)).join(', '),
    headline: headlineOf(f.items),
    summary: summaryOf(f.items),
    items: itemsText(f),
    actions: actionsText(f.items, f.now),
    attachments: f.attachments.map((a) => `- ${a}`).join('\n'),
  };
}
