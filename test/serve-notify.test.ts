import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { SMTPServer } from 'smtp-server';
import type { Database } from '../src/serve/db/schema.js';
import { type NewsItem, forgetServerNews, narrowNews } from '../src/serve/notify/news.js';
import { previewNotifications, recordBounce, sendNotifications, transportFromUrl } from '../src/serve/notify/send.js';
import { fillTemplate, getTemplate, headerSafe, saveTemplate } from '../src/serve/notify/templates.js';
import { InvalidInput, createOrganisation } from '../src/serve/store/orgs.js';
import { repoRoot } from './helpers.js';
import { DATABASE_KINDS, createTestDatabase } from './serve-db.js';

const NOW = new Date('2026-01-05T10:00:00Z');
const BOUNCE = 'nobody@bounce.example';
const BUSY = 'busy@busy.example';
const SENDER = 'CERT Example <cert@cert.example>';

// ——— an in-process SMTP server that keeps what it receives ———

interface Received {
  to: string[];
  raw: string;
}

interface Mta {
  port: number;
  inbox: Received[];
  close(): Promise<void>;
}

function smtpError(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode });
}

async function startMta(): Promise<Mta> {
  const inbox: Received[] = [];
  const server = new SMTPServer({
    authOptional: true, allowInsecureAuth: true, disabledCommands: ['STARTTLS'], logger: false,
    onAuth: (auth, _s, cb) => (auth.username === 'exhunt' && auth.password === 'p@ss:word' ? cb(null, { user: 'exhunt' }) : cb(smtpError('bad login', 535))),
    onRcptTo: (a, _s, cb) => cb(a.address === BOUNCE ? smtpError('no such mailbox', 550) : a.address === BUSY ? smtpError('try again later', 451) : null),
    onData: (stream, session, cb) => {
      const parts: Buffer[] = [];
      stream.on('data', (c: Buffer) => parts.push(c));
      stream.on('end', () => {
        inbox.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(parts).toString('utf8') });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, inbox, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A port nothing listens on: "the SMTP server is down". */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

// ——— just enough MIME to read a message ———

interface Part {
  head: [string, string][];
  body: string;
}

function splitPart(raw: string): Part {
  const i = raw.indexOf('\r\n\r\n');
  const head: [string, string][] = [];
  for (const line of (i < 0 ? raw : raw.slice(0, i)).split('\r\n')) {
    if (/^[ \t]/.test(line) && head.length > 0) head[head.length - 1]![1] += line;
    else if (line.includes(':')) head.push([line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]);
  }
  return { head, body: i < 0 ? '' : raw.slice(i + 4) };
}

const header = (p: Part, name: string): string | undefined => p.head.find(([k]) => k === name)?.[1];

function qpBytes(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(...Buffer.from(s[i]!, 'utf8'));
  }
  return Buffer.from(out);
}

const WORD = /=\?[^?]+\?([QqBb])\?([^?]*)\?=/g;

function decodeWords(v: string): string {
  return v.replace(/=\?[^?]+\?[QqBb]\?[^?]*\?=(?:\s+=\?[^?]+\?[QqBb]\?[^?]*\?=)*/g, (run) =>
    Buffer.concat([...run.matchAll(WORD)].map((m) => (m[1]!.toUpperCase() === 'B' ? Buffer.from(m[2]!, 'base64') : qpBytes(m[2]!.replace(/_/g, ' '))))).toString('utf8'));
}

function param(value: string, name: string): string | undefined {
  const params = new Map<string, string>();
  for (const m of value.matchAll(/;\s*([^=;\s]+)=("([^"]*)"|[^;]*)/g)) params.set(m[1]!.toLowerCase(), m[3] ?? m[2]!.trim());
  if (params.has(name)) return decodeWords(params.get(name)!);
  const pieces = [...params].filter(([k]) => k.startsWith(`${name}*`)).sort(([a], [b]) => Number(a.split('*')[1] ?? 0) - Number(b.split('*')[1] ?? 0)).map(([, v]) => v);
  if (pieces.length === 0) return undefined;
  const joined = pieces.join('');
  return joined.includes("''") ? decodeURIComponent(joined.slice(joined.indexOf("''") + 2)) : joined;
}

function content(p: Part): Buffer {
  const cte = (header(p, 'content-transfer-encoding') ?? '7bit').toLowerCase();
  if (cte === 'base64') return Buffer.from(p.body.replace(/\s+/g, ''), 'base64');
  if (cte === 'quoted-printable') return qpBytes(p.body.replace(/=\r\n/g, ''));
  return Buffer.from(p.body, 'utf8');
}

interface Mail {
  head: [string, string][];
  subject: string;
  text: string;
  files: Map<string, Buffer>;
}

function leaves(p: Part): Part[] {
  const boundary = param(header(p, 'content-type') ?? '', 'boundary');
  if (!boundary) return [p];
  const segments = p.body.split(`--${boundary}`).slice(1);
  return segments.filter((s) => !s.startsWith('--')).flatMap((s) => leaves(splitPart(s.replace(/^\r\n/, '').replace(/\r\n$/, ''))));
}

function readMail(raw: string): Mail {
  const top = splitPart(raw);
  const parts = leaves(top);
  const files = new Map<string, Buffer>();
  let text = '';
  for (const p of parts) {
    const name = param(header(p, 'content-disposition') ?? '', 'filename');
    if (name) files.set(name, content(p));
    else if ((header(p, 'content-type') ?? '').startsWith('text/plain')) text += content(p).toString('utf8');
  }
  return { head: top.head, subject: decodeWords(header(top, 'subject') ?? ''), text, files };
}

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  for (const m of text.matchAll(/((?:"(?:[^"]|"")*"|[^,\r\n]*)(?:,(?:"(?:[^"]|"")*"|[^,\r\n]*))*)\r\n/g)) {
    rows.push([...m[1]!.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)].map((c) => (c[1]!.startsWith('"') ? c[1]!.slice(1, -1).replace(/""/g, '"') : c[1]!)));
  }
  return rows;
}

// ——— seeding rows the way ingest would leave them ———

interface ServerSeed {
  address: string;
  hostname?: string;
  cves?: string;
  vulnerable?: number;
  compromised?: number;
}

async function addServer(db: Kysely<Database>, orgId: string, s: ServerSeed): Promise<string> {
  const id = randomUUID();
  await db.insertInto('servers').values({
    id, org_id: orgId, address: s.address, hostname: s.hostname ?? null, port: 443, build: '15.1.2176.2', product: 'Exchange 2016 CU19', verdict: null,
    cves: s.cves ?? '', vulnerable: s.vulnerable ?? 0, compromised: s.compromised ?? 0, status: 'open', first_seen: '2026-01-02T08:00:00.000Z', last_seen: '2026-01-04T08:00:00.000Z',
  }).execute();
  return id;
}

async function addShellSighting(db: Kysely<Database>, orgId: string, serverId: string, url: string, at: string): Promise<void> {
  await db.insertInto('observations').values({
    server_id: serverId, org_id: orgId, observed_at: at, day: at.slice(0, 10), source: 'shadowserver', tag: 'compromised-exchange', build: null, verdict: null,
    vulnerable: 1, compromised: 1, cves: '', url, dedupe_key: randomUUID(),
  }).execute();
}

async function addReport(db: Kysely<Database>, orgId: string, serverId: string | null, body: string, verdict: string, summary: string): Promise<string> {
  const id = randomUUID();
  await db.insertInto('reports').values({
    id, org_id: orgId, server_id: serverId, sha256: createHash('sha256').update(body).digest('hex'), size: body.length, schema_version: '1.5', host: 'EXCH01',
    verdict, summary, uploaded_at: '2026-01-04T12:00:00.000Z', body,
  }).execute();
  return id;
}

const demoReport = readFileSync(path.join(repoRoot(), 'test/testdata/demo-report.json'), 'utf8');
const CVES_2016 = 'CVE-2021-26855 CVE-2021-27065 CVE-2021-34473';

test('a subject keeps no line break and a filled value is not expanded again', () => {
  assert.equal(headerSafe('Evil\r\nBcc: x@y.example\u202e'), 'Evil Bcc: x@y.example');
  const values = { recipient: '{{sender}}', organisations: '', headline: '', summary: '', items: '', actions: '', attachments: '', date: '', sender: 'S' };
  assert.equal(fillTemplate('{{recipient}} {{ sender }} {{other}}', values), '{{sender}} S {{other}}');
});

test('an item claimed in part keeps only the CVEs won; the rest count as told', () => {
  const key = (c: string) => `vulnerable:192.0.2.1:${c}`;
  const item: NewsItem = {
    orgId: 'o', key: 'vulnerable:192.0.2.1', keys: [key('CVE-A'), key('CVE-C')], kind: 'vulnerable', serverId: 's', address: '192.0.2.1', hostname: null, port: null,
    build: null, product: null, cves: ['CVE-A', 'CVE-C'], cvesTold: ['CVE-B'], firstSeen: null, lastSeen: null, status: 'open', url: null,
  };
  assert.equal(narrowNews(item, new Set([key('CVE-A'), key('CVE-C')])), item);
  assert.equal(narrowNews(item, new Set()), undefined);
  const part = narrowNews(item, new Set([key('CVE-C')]))!;
  assert.deepEqual([part.keys, part.cves, part.cvesTold], [[key('CVE-C')], ['CVE-C'], ['CVE-A', 'CVE-B']]);
});

for (const kind of DATABASE_KINDS) {
  describe(`notifications on ${kind}`, async () => {
    const tdb = await createTestDatabase(kind);
    const h = await tdb.open();
    const db = h.db;
    const mta = await startMta();
    const transport = () => transportFromUrl(`smtp://exhunt:p%40ss%3Aword@127.0.0.1:${mta.port}`);
    const send = (orgIds: string[], t = transport()) => sendNotifications(db, t, { sender: SENDER, now: NOW, orgIds, actor: 'analyst@cert.example' });
    const org = async (name: string, abuse: string[], contacts: { email: string }[] = []) => (await createOrganisation(db, { name, abuse, contacts }, 'test')).id;
    const marked = async (orgId: string) => (await db.selectFrom('notified_news').select('news_key').where('org_id', '=', orgId).execute()).map((r) => r.news_key).sort();
    after(async () => {
      await mta.close();
      await h.close();
      await tdb.drop();
    });

    // Two organisations share one abuse address (their IT provider); one has a web shell and a hunt report.
    const town = await org('Town of Example', ['IT@town.example']);
    const water = await org('Example Water Board', ['it@town.example']);
    const shellServer = await addServer(db, town, { address: '203.0.113.40', hostname: 'mail.town.example', cves: CVES_2016, vulnerable: 1, compromised: 1 });
    await addShellSighting(db, town, shellServer, 'https://203.0.113.40/aspnet_client/old.aspx', '2026-01-03T08:00:00.000Z');
    await addShellSighting(db, town, shellServer, 'https://203.0.113.40/aspnet_client/shell.aspx', '2026-01-04T08:00:00.000Z');
    const huntId = await addReport(db, town, shellServer, demoReport, 'COMPROMISED', 'An attack succeeded: ProxyLogon exploited.');
    const waterServer = await addServer(db, water, { address: '198.51.100.7', hostname: "=cmd|' /C calc'!A0", cves: 'CVE-2021-26855', vulnerable: 1 });
    await addReport(db, water, null, '{"schemaVersion": "1.5", broken', 'EXPLOITATION ATTEMPTED', 'Attempts seen.');

    test('the preview shows the message and sends nothing', async () => {
      const p = await previewNotifications(db, { sender: SENDER, now: NOW, orgIds: [town, water] });
      assert.equal(p.batches.length, 1);
      const b = p.batches[0]!;
      assert.equal(b.recipient, 'it@town.example');
      assert.deepEqual(new Set(b.orgIds), new Set([town, water]));
      assert.deepEqual(b.attachments.map((a) => a.filename), ['exhunt-findings-2026-01-05.csv', `exhunt-report-town-of-example-${huntId.replace(/-/g, '').slice(0, 8)}.html`]);
      assert.ok(b.attachments.every((a) => a.size > 0));
      assert.equal(b.news.length, 7, 'one key per CVE: the compromise, 3 CVEs and a report of the town; a CVE and a report of the water board');
      assert.equal(mta.inbox.length, 0);
      assert.equal((await db.selectFrom('notifications').select('id').execute()).length, 0);
      assert.deepEqual(await marked(town), []);
    });

    test('one message per abuse address covers both organisations, with the evidence attached', async () => {
      const r = await send([town, water]);
      assert.equal(r.sent.length, 1);
      assert.equal(mta.inbox.length, 1);
      const got = mta.inbox[0]!;
      assert.deepEqual(got.to, ['it@town.example']);
      const m = readMail(got.raw);
      assert.equal(m.subject, 'Security notice: 1 compromised, 1 attacked, 1 vulnerable Exchange servers (Example Water Board, Town of Example)');
      assert.match(m.text, /WHAT TO DO NOW/);
      assert.match(m.text, /Web shell: hxxps:\/\/203\.0\.113\.40\/aspnet_client\/shell\.aspx/, 'the latest sighting, defanged');
      assert.match(m.text, /ProxyLogon \(CVE-2021-26855, CVE-2021-27065\), ProxyShell \(CVE-2021-34473\)/);
      assert.match(m.text, /Cut the attacker off now: .*203\.0\.113\.40/);
      assert.match(m.text, /install Exchange 2016 CU23 \S+ \(build 15\.1\.2507\.\d+\) or later/);
      assert.match(m.text, /could not be read, so it is not attached/);
      assert.deepEqual([...m.files.keys()].sort(), [`exhunt-findings-2026-01-05.csv`, `exhunt-report-town-of-example-${huntId.replace(/-/g, '').slice(0, 8)}.html`].sort());
      const html = [...m.files].find(([n]) => n.endsWith('.html'))![1].toString('utf8');
      assert.match(html, /^<!DOCTYPE html>/);
      assert.match(html, /Exchange compromise report/);
      const rows = parseCsv(m.files.get('exhunt-findings-2026-01-05.csv')!.toString('utf8'));
      assert.equal(rows[0]![0], 'organisation');
      assert.equal(rows.length, 6, 'header and one row per news item');
      const col = (name: string) => rows[0]!.indexOf(name);
      assert.deepEqual(rows.slice(1).map((x) => x[col('news')]).sort(), ['compromised', 'report', 'report', 'vulnerable', 'vulnerable']);
      assert.ok(rows.some((x) => x[col('reference')] === 'vulnerable:203.0.113.40:CVE-2021-26855 vulnerable:203.0.113.40:CVE-2021-27065 vulnerable:203.0.113.40:CVE-2021-34473'));
      assert.ok(rows.some((x) => x[col('news')] === 'vulnerable' && x[col('cves')] === CVES_2016 && x[col('cves_told_before')] === ''));
      assert.ok(rows.some((x) => x[col('hostname')] === "'=cmd|' /C calc'!A0"), 'a formula is defused');
      const n = await db.selectFrom('notifications').selectAll().where('id', '=', r.sent[0]!.notificationId).executeTakeFirstOrThrow();
      assert.equal(n.status, 'sent');
      assert.equal(n.message_id, header(splitPart(got.raw), 'message-id'));
      assert.equal((await marked(town)).length, 5);
      assert.deepEqual((await marked(town)).filter((k) => k.startsWith('vulnerable:')), CVES_2016.split(' ').map((c) => `vulnerable:203.0.113.40:${c}`));
      assert.deepEqual(await marked(water), [`report:${(await db.selectFrom('reports').select('id').where('org_id', '=', water).executeTakeFirstOrThrow()).id}`, 'vulnerable:198.51.100.7:CVE-2021-26855'].sort());
      const servers = await db.selectFrom('servers').select(['id', 'status']).where('id', 'in', [shellServer, waterServer]).execute();
      assert.ok(servers.every((s) => s.status === 'notified'));
      const history = await db.selectFrom('remediation_history').selectAll().where('server_id', '=', shellServer).execute();
      assert.deepEqual(history.map((x) => [x.from_status, x.to_status, x.note, x.actor]), [['open', 'notified', 'notified it@town.example', 'analyst@cert.example']]);
      assert.equal((await db.selectFrom('organisations').select('status').where('id', '=', town).executeTakeFirstOrThrow()).status, 'notified');
      const actions = (await db.selectFrom('audit_log').select('action').where('entity_id', 'in', [r.batchId, n.id]).execute()).map((a) => a.action).sort();
      assert.deepEqual(actions, ['notify', 'send']);
    });

    test('a second send sends nothing; a new CVE is new news, sent alone', async () => {
      assert.equal((await send([town, water])).sent.length, 0);
      assert.equal(mta.inbox.length, 1);
      await db.updateTable('servers').set({ cves: 'CVE-2021-26855 CVE-2022-41040' }).where('id', '=', waterServer).execute();
      const r = await send([town, water]);
      assert.equal(r.sent.length, 1);
      const m = readMail(mta.inbox.at(-1)!.raw);
      assert.deepEqual(r.sent[0]!.news, [{ orgId: water, key: 'vulnerable:198.51.100.7:CVE-2022-41040' }]);
      assert.match(m.subject, /1 vulnerable Exchange server \(Example Water Board\)/);
      assert.doesNotMatch(m.text, /Web shell|Town of Example/);
      assert.match(m.text, /CVE-2022-41040/);
      assert.doesNotMatch(m.text, /CVE-2021-26855/, 'the CVE told before is not told again');
      const rows = parseCsv(m.files.get('exhunt-findings-2026-01-05.csv')!.toString('utf8'));
      assert.equal(rows.length, 2);
      assert.deepEqual([rows[1]![rows[0]!.indexOf('cves')], rows[1]![rows[0]!.indexOf('cves_told_before')]], ['CVE-2022-41040', 'CVE-2021-26855']);
      assert.deepEqual(await marked(water), [`report:${(await db.selectFrom('reports').select('id').where('org_id', '=', water).executeTakeFirstOrThrow()).id}`,
        'vulnerable:198.51.100.7:CVE-2021-26855', 'vulnerable:198.51.100.7:CVE-2022-41040'].sort());
    });

    test('vulnerability news is per CVE: a smaller or different CVE set tells only the CVEs not told yet', async () => {
      const o = await org('Patchy Ltd', ['it@patchy.example']);
      const s = await addServer(db, o, { address: '192.0.2.70', cves: 'CVE-2021-34473 CVE-2021-26855', vulnerable: 1 });
      const r1 = await send([o]);
      assert.deepEqual(r1.sent[0]!.news.map((n) => n.key), ['vulnerable:192.0.2.70:CVE-2021-26855', 'vulnerable:192.0.2.70:CVE-2021-34473']);
      // A partial patch (or a source that knows fewer CVEs): nothing new.
      await db.updateTable('servers').set({ cves: 'CVE-2021-26855' }).where('id', '=', s).execute();
      assert.equal((await previewNotifications(db, { sender: SENDER, now: NOW, orgIds: [o] })).batches.length, 0);
      const before = mta.inbox.length;
      assert.equal((await send([o])).sent.length, 0);
      assert.equal(mta.inbox.length, before);
      // Another source sees one CVE told and one new: only the new one is news.
      await db.updateTable('servers').set({ cves: 'CVE-2021-26855 CVE-2022-41082' }).where('id', '=', s).execute();
      const r2 = await send([o]);
      assert.equal(r2.sent.length, 1);
      assert.deepEqual(r2.sent[0]!.news, [{ orgId: o, key: 'vulnerable:192.0.2.70:CVE-2022-41082' }]);
      const m = readMail(mta.inbox.at(-1)!.raw);
      assert.match(m.text, /VULNERABLE: 192\.0\.2\.70/);
      assert.match(m.text, /CVE-2022-41082/);
      assert.doesNotMatch(m.text, /CVE-2021-26855|CVE-2021-34473/);
      assert.deepEqual(await marked(o), ['vulnerable:192.0.2.70:CVE-2021-26855', 'vulnerable:192.0.2.70:CVE-2021-34473', 'vulnerable:192.0.2.70:CVE-2022-41082']);
      // Vulnerable with no CVE known (a Shadowserver tag alone) is told once, on the empty CVE.
      const bare = await addServer(db, o, { address: '192.0.2.71', vulnerable: 1 });
      assert.deepEqual((await send([o])).sent[0]!.news, [{ orgId: o, key: 'vulnerable:192.0.2.71:' }]);
      assert.equal((await send([o])).sent.length, 0);
      await db.updateTable('servers').set({ cves: 'CVE-2021-26855' }).where('id', '=', bare).execute();
      assert.deepEqual((await send([o])).sent[0]!.news, [{ orgId: o, key: 'vulnerable:192.0.2.71:CVE-2021-26855' }], 'a CVE learnt later is news');
    });

    test('forgetServerNews: after a verified clean-up a new compromise is news again; claims in progress stay', async () => {
      const o = await org('Reinfected Ltd', ['it@reinfected.example']);
      // 2001:db8::1 is a prefix of 2001:db8::1:5's keys: forgetting the one must leave the other.
      const s = await addServer(db, o, { address: '2001:db8::1', cves: 'CVE-2021-26855 CVE-2021-34473', vulnerable: 1, compromised: 1 });
      await addServer(db, o, { address: '2001:db8::1:5', cves: 'CVE-2021-26855', vulnerable: 1 });
      const hunt = await addReport(db, o, s, demoReport, 'COMPROMISED', 'An attack succeeded.');
      assert.equal((await send([o])).sent.length, 1);
      const all = ['compromised:2001:db8::1', `report:${hunt}`, 'vulnerable:2001:db8::1:5:CVE-2021-26855', 'vulnerable:2001:db8::1:CVE-2021-26855', 'vulnerable:2001:db8::1:CVE-2021-34473'].sort();
      assert.deepEqual(await marked(o), all);
      assert.equal((await send([o])).sent.length, 0, 'compromised again (still) is not news while remembered');
      assert.equal(await forgetServerNews(db, o, '2001:db8::1'), 3);
      assert.deepEqual(await marked(o), [`report:${hunt}`, 'vulnerable:2001:db8::1:5:CVE-2021-26855'], 'the report and the other server stay told');
      assert.equal(await forgetServerNews(db, randomUUID(), '2001:db8::1:5'), 0, 'another organisation forgets nothing here');
      // A send in progress holds a claim: forgetting leaves it.
      await db.insertInto('notified_news').values({ org_id: o, news_key: 'compromised:2001:db8::1', notification_id: 'claim:other-run', at: NOW.toISOString() }).execute();
      assert.equal(await forgetServerNews(db, o, '2001:db8::1'), 0);
      assert.deepEqual((await db.selectFrom('notified_news').select('notification_id').where('org_id', '=', o).where('news_key', '=', 'compromised:2001:db8::1').executeTakeFirstOrThrow()).notification_id, 'claim:other-run');
      await db.deleteFrom('notified_news').where('org_id', '=', o).where('notification_id', '=', 'claim:other-run').execute();
      const r = await send([o]);
      assert.equal(r.sent.length, 1);
      assert.deepEqual(r.sent[0]!.news.map((n) => n.key).sort(), ['compromised:2001:db8::1', 'vulnerable:2001:db8::1:CVE-2021-26855', 'vulnerable:2001:db8::1:CVE-2021-34473']);
      const m = readMail(mta.inbox.at(-1)!.raw);
      assert.match(m.text, /BREAK-IN: signs of a web shell on 2001:db8::1 /);
      assert.deepEqual(await marked(o), all);
    });

    test('two sends at once send each piece of news once', async () => {
      const o = await org('Parallel Ltd', ['ops@parallel.example']);
      await addServer(db, o, { address: '192.0.2.10', cves: 'CVE-2022-41082', vulnerable: 1 });
      const before = mta.inbox.length;
      const [a, b] = await Promise.all([send([o]), send([o])]);
      assert.equal(a.sent.length + b.sent.length, 1);
      assert.equal(mta.inbox.length - before, 1);
      assert.deepEqual(await marked(o), ['vulnerable:192.0.2.10:CVE-2022-41082']);
    });

    test('a refused recipient is recorded as bounced and its news stays untold', async () => {
      const o = await org('Bouncy Ltd', [BOUNCE]);
      const s = await addServer(db, o, { address: '192.0.2.20', cves: 'CVE-2021-26855', vulnerable: 1 });
      const r = await send([o]);
      assert.equal(r.bounced.length, 1);
      assert.equal(r.sent.length, 0);
      const n = await db.selectFrom('notifications').selectAll().where('id', '=', r.bounced[0]!.notificationId).executeTakeFirstOrThrow();
      assert.equal(n.status, 'bounced');
      assert.match(n.error ?? '', /550/);
      assert.deepEqual(await marked(o), []);
      assert.equal((await db.selectFrom('servers').select('status').where('id', '=', s).executeTakeFirstOrThrow()).status, 'open');
      await db.updateTable('organisations').set({ abuse: JSON.stringify(['fixed@bouncy.example']) }).where('id', '=', o).execute();
      assert.equal((await send([o])).sent.length, 1, 'sent again to the corrected address');
    });

    test('a 4xx answer or a server that is down is a failure: nothing marked, a later send succeeds', async () => {
      const busy = await org('Busy Ltd', [BUSY]);
      await addServer(db, busy, { address: '192.0.2.30', cves: 'CVE-2021-26855', vulnerable: 1 });
      const r1 = await send([busy]);
      assert.equal(r1.failed.length, 1);
      assert.match(r1.failed[0]!.error!, /451/);
      assert.deepEqual(await marked(busy), []);

      const down = await org('Down Ltd', ['it@down.example']);
      await addServer(db, down, { address: '192.0.2.31', cves: 'CVE-2021-26855', vulnerable: 1 });
      const r2 = await send([down], transportFromUrl(`smtp://127.0.0.1:${await deadPort()}`));
      assert.equal(r2.failed.length, 1);
      assert.match(r2.failed[0]!.error!, /ECONNREFUSED|ECONNECTION|ESOCKET/);
      const n = await db.selectFrom('notifications').select(['status', 'error']).where('id', '=', r2.failed[0]!.notificationId).executeTakeFirstOrThrow();
      assert.equal(n.status, 'failed');
      assert.deepEqual(await marked(down), []);
      const r3 = await send([down]);
      assert.equal(r3.sent.length, 1);
      assert.deepEqual(await marked(down), ['vulnerable:192.0.2.31:CVE-2021-26855']);
    });

    test('a bounce that arrives later un-marks the news so it is sent again', async () => {
      const o = await org('Late Bounce Ltd', ['gone@late.example']);
      await addServer(db, o, { address: '192.0.2.40', cves: 'CVE-2021-34473', vulnerable: 1 });
      const r = await send([o]);
      const id = r.sent[0]!.notificationId;
      assert.deepEqual(await recordBounce(db, id, '5.1.1 user unknown (DSN)', 'analyst@cert.example', NOW), { unmarked: 1 });
      const n = await db.selectFrom('notifications').select(['status', 'error']).where('id', '=', id).executeTakeFirstOrThrow();
      assert.deepEqual(n, { status: 'bounced', error: '5.1.1 user unknown (DSN)' });
      assert.equal((await previewNotifications(db, { sender: SENDER, now: NOW, orgIds: [o] })).batches.length, 1);
      await assert.rejects(recordBounce(db, randomUUID(), 'x', 'a'), InvalidInput);
    });

    test('a late bounce to one of several recipients un-marks only news no delivered message carried', async () => {
      // Shared answers for one organisation; the other also has its own address.
      const a = await org('Shared Only Ltd', ['shared@multi.example']);
      const b = await org('Two Addresses Ltd', ['shared@multi.example', 'own@multi.example']);
      await addServer(db, a, { address: '192.0.2.80', cves: 'CVE-2021-26855', vulnerable: 1 });
      await addServer(db, b, { address: '192.0.2.81', cves: 'CVE-2021-26855', vulnerable: 1 });
      const r = await send([a, b]);
      assert.deepEqual(r.sent.map((d) => d.recipient), ['own@multi.example', 'shared@multi.example']);
      const [own, shared] = r.sent.map((d) => d.notificationId) as [string, string];
      const owner = async (orgId: string) => (await db.selectFrom('notified_news').select('notification_id').where('org_id', '=', orgId).execute()).map((x) => x.notification_id);
      assert.deepEqual([await owner(a), await owner(b)], [[shared], [own]]);
      // The own address bounces: the shared address got the same news, so it stays told.
      assert.deepEqual(await recordBounce(db, own, '5.1.1 user unknown', 'analyst@cert.example', NOW), { unmarked: 0 });
      assert.deepEqual([await owner(a), await owner(b)], [[shared], [shared]]);
      assert.equal((await previewNotifications(db, { sender: SENDER, now: NOW, orgIds: [a, b] })).batches.length, 0);
      // Then the shared one bounces too: nothing of either was delivered any more.
      assert.deepEqual(await recordBounce(db, shared, '5.1.1 user unknown', 'analyst@cert.example', NOW), { unmarked: 2 });
      assert.deepEqual([await owner(a), await owner(b)], [[], []]);
      assert.equal((await previewNotifications(db, { sender: SENDER, now: NOW, orgIds: [a, b] })).batches.length, 2);
    });

    test('an organisation name cannot add a header; contacts stand in for a missing abuse address', async () => {
      const evil = await org('Evil\r\nBcc: victim@victim.example', ['evil@evil.example']);
      await addServer(db, evil, { address: '192.0.2.50', cves: 'CVE-2021-26855', vulnerable: 1 });
      const viaContact = await org('Contacts Only', [], [{ email: 'Admin@contacts.example' }]);
      await addServer(db, viaContact, { address: '192.0.2.51', cves: 'CVE-2021-26855', vulnerable: 1 });
      const nobody = await org('Nobody To Tell', []);
      await addServer(db, nobody, { address: '192.0.2.52', cves: 'CVE-2021-26855', vulnerable: 1 });
      const before = mta.inbox.length;
      const r = await send([evil, viaContact, nobody]);
      assert.deepEqual(r.sent.map((d) => d.recipient).sort(), ['admin@contacts.example', 'evil@evil.example']);
      assert.deepEqual(r.noContact.map((n) => n.name), ['Nobody To Tell']);
      assert.deepEqual(await marked(nobody), [], 'news waits for an address');
      const got = mta.inbox.slice(before);
      assert.deepEqual(got.map((g) => g.to).flat().sort(), ['admin@contacts.example', 'evil@evil.example']);
      const evilMail = got.find((g) => g.to[0] === 'evil@evil.example')!;
      const m = readMail(evilMail.raw);
      assert.ok(!m.head.some(([k]) => k === 'bcc'), 'no Bcc header');
      assert.equal(m.head.filter(([k]) => k === 'subject').length, 1);
      assert.match(m.subject, /Evil\\x0d\\x0aBcc: victim@victim\.example/);
      assert.doesNotMatch(m.subject, /[\r\n]/);
    });

    test('templates: unknown placeholders are refused by name; a saved template is used and audited', async () => {
      await assert.rejects(saveTemplate(db, 'notification', 'Notice {{headlin}}', 'Hi {{recipient}} {{nope}}', 'admin'), (e: Error) => e instanceof InvalidInput && /\{\{headlin\}\}/.test(e.message) && /\{\{nope\}\}/.test(e.message));
      await assert.rejects(saveTemplate(db, 'other', 'x', 'y', 'admin'), InvalidInput);
      assert.equal((await getTemplate(db, 'notification')).custom, false);
      await saveTemplate(db, 'notification', 'Custom: {{headline}}', 'Dear {{recipient}},\n{{items}}\n{{attachments}}', 'admin', NOW);
      const o = await org('Templated Ltd', ['it@templated.example']);
      await addServer(db, o, { address: '192.0.2.60', cves: 'CVE-2022-41040', vulnerable: 1 });
      await send([o]);
      const m = readMail(mta.inbox.at(-1)!.raw);
      assert.equal(m.subject, 'Custom: 1 vulnerable Exchange server');
      assert.match(m.text, /^Dear it@templated\.example,\r?\nTemplated Ltd:/);
      const a = await db.selectFrom('audit_log').select(['action', 'actor']).where('entity', '=', 'template').execute();
      assert.deepEqual(a, [{ action: 'update', actor: 'admin' }]);
    });
  });
}
