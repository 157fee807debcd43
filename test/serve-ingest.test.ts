import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { Database } from '../src/serve/db/schema.js';
import { importOrganisations } from '../src/serve/ingest/organisations.js';
import { ingestScanHosts } from '../src/serve/ingest/scan-results.js';
import { importShadowserver, parseShadowserverCsv } from '../src/serve/ingest/shadowserver.js';
import { type ObservationInput, assignServer, listUnmatched, recordObservations } from '../src/serve/store/observations.js';
import { loadAttribution } from '../src/serve/store/attribution.js';
import { setServerStatus } from '../src/serve/store/queries.js';
import { createOrganisation, rangesOf, refreshOrganisationSummaries, refreshOrganisationSummary } from '../src/serve/store/orgs.js';
import { DATABASE_KINDS, createTestDatabase } from './serve-db.js';

const HEADER = '"timestamp","ip","port","hostname","tag","asn","geo","region","city","naics","sic","sector","version","servername","url"';
// Row 2 is the example row of IntelMQ's scan_exchange test data (certtools/intelmq 80c6cb99).
const SHADOWSERVER = [
  HEADER,
  '"2021-05-14 00:11:30","12.237.1.2",443,"afs-exch-cas2.xxx.com","exchange;cve-2021-26855",7018,"US","CALIFORNIA","TURLOCK",517311,,"Communications, Service Provider, and Hosting Service","15.2.721","AFS-EXCH2019",',
  '"2021-05-14 00:12:01","12.237.1.3",443,"owa.xxx.com","exchange;webshell",7018,"US","CALIFORNIA","TURLOCK",517311,,"Communications, Service Provider, and Hosting Service",,"EXCH1","https://owa.xxx.com/aspnet_client/system_web/x.aspx"',
  '"2021-05-14 01:00:00","2001:db8:10::25",443,,"exchange;cve-2021-34473;cve-2021-34523",64496,"NL",,,,,,"15.1.2176.2","",',
  '"2021-05-14 02:00:00","198.51.100.7",443,"mail.town.example","exchange;cve-2021-26855",64500,"DE",,,,,,,"",',
  '"2021-05-14 03:00:00","203.0.113.99",443,"mail.nobody.example","exchange;cve-2021-26855",64501,"FR",,,,,,,"",',
  '"2021-05-14 03:30:00","999.1.1.1",443,,"exchange;cve-2021-26855",,,,,,,,,,',
  '"2021-02-30 03:30:00","12.237.1.9",443,,"exchange;cve-2021-26855",,,,,,,,,,',
].join('\r\n');

function obs(address: string, observedAt: string, o: Partial<ObservationInput> = {}): ObservationInput {
  return { address, observedAt, source: 'shadowserver', tag: 'exchange;cve-2021-26855', vulnerable: true, compromised: false, cves: ['CVE-2021-26855'], ...o };
}

async function count(db: Kysely<Database>, day: string, cve: string): Promise<number | undefined> {
  const r = await db.selectFrom('exposure_counts').select('servers').where('day', '=', day).where('cve', '=', cve).executeTakeFirst();
  return r?.servers;
}

describe('Shadowserver CSV parsing', () => {
  test('rows, tags, build CVEs and file:line errors', () => {
    const { rows, errors } = parseShadowserverCsv(`\uFEFF${SHADOWSERVER}\r\n`, 'ss.csv');
    assert.deepEqual(errors.map((e) => e.split(': ')[0]), ['ss.csv:7', 'ss.csv:8']);
    assert.match(errors[0]!, /ip "999\.1\.1\.1" is not an IPv4 or IPv6 address/);
    assert.match(errors[1]!, /timestamp "2021-02-30 03:30:00"/);
    assert.equal(rows.length, 5);
    const [example, shell, v6] = rows as [ObservationInput, ObservationInput, ObservationInput];
    assert.equal(example.observedAt, '2021-05-14T00:11:30.000Z');
    assert.equal(example.hostname, 'afs-exch-cas2.xxx.com');
    assert.equal(example.port, 443);
    assert.equal(example.product, 'Exchange 2019');
    // 15.2.721 is CU-level: the CVEs open whatever the SU (ProxyShell…), not ProxyLogon, which the tag names.
    assert.ok(example.cves.includes('CVE-2021-26855') && example.cves.includes('CVE-2021-34473'), example.cves.join(' '));
    assert.equal(example.vulnerable, true);
    assert.deepEqual([shell.compromised, shell.vulnerable, shell.cves, shell.verdict], [true, false, [], 'compromised']);
    assert.equal(shell.url, 'https://owa.xxx.com/aspnet_client/system_web/x.aspx');
    assert.equal(v6.address, '2001:db8:10::25');
    assert.ok(v6.cves.includes('CVE-2021-34473') && v6.cves.includes('CVE-2021-34523'));
  });

  test('columns are found by name; a missing required column is one error for the file', () => {
    const moved = parseShadowserverCsv('"tag","ip","timestamp","url"\n"exchange;cve-2022-41082","192.0.2.5","2022-12-01T10:00:00Z",""\n', 'v.csv');
    assert.deepEqual(moved.errors, []);
    assert.deepEqual([moved.rows[0]!.address, moved.rows[0]!.cves, moved.rows[0]!.observedAt], ['192.0.2.5', ['CVE-2022-41082'], '2022-12-01T10:00:00.000Z']);
    const missing = parseShadowserverCsv('"timestamp","hostname","tag"\n"2021-05-14 00:11:30","x.example","exchange"\n"2021-05-14 00:11:31","y.example","exchange"\n', 'm.csv');
    assert.equal(missing.rows.length, 0);
    assert.equal(missing.errors.length, 1);
    assert.match(missing.errors[0]!, /^m\.csv:1: no column "ip"/);
  });
});

for (const kind of DATABASE_KINDS) {
  describe(`ingest on ${kind}`, async () => {
    const tdb = await createTestDatabase(kind);
    const h = await tdb.open();
    const db = h.db;
    after(async () => {
      await h.close();
      await tdb.drop();
    });

    test('a Shadowserver report is attributed by range and domain; importing it twice adds nothing', async () => {
      const isp = await createOrganisation(db, { name: 'AT&T customer', ranges: ['12.237.1.0/24'] }, 'test');
      const v6 = await createOrganisation(db, { name: 'V6 Net', ranges: ['2001:db8:10::/48'] }, 'test');
      const town = await createOrganisation(db, { name: 'Town', domains: ['town.example'] }, 'test');
      const first = await importShadowserver(db, SHADOWSERVER, 'ss.csv', 'analyst@cert', new Date('2021-05-15T06:00:00Z'));
      assert.deepEqual([first.inserted, first.duplicates, first.unmatched, first.servers], [5, 0, 1, 5]);
      assert.deepEqual(first.orgs, [isp.id, v6.id, town.id].sort());
      assert.deepEqual(first.errors.map((e) => e.split(': ')[0]), ['ss.csv:7', 'ss.csv:8']);
      const example = await db.selectFrom('servers').selectAll().where('address', '=', '12.237.1.2').executeTakeFirstOrThrow();
      assert.deepEqual([example.org_id, example.build, example.product, example.vulnerable, example.last_seen], [isp.id, '15.2.721', 'Exchange 2019', 1, '2021-05-14T00:11:30.000Z']);
      const org = await db.selectFrom('organisations').selectAll().where('id', '=', isp.id).executeTakeFirstOrThrow();
      assert.deepEqual([org.servers, org.vulnerable, org.compromised, org.status], [2, 1, 1, 'open']);
      assert.equal(await count(db, '2021-05-14', 'webshell'), 1);
      // ProxyLogon: three tagged rows, and the IPv6 server whose build (2016 CU19 without SU) is open to it.
      assert.equal(await count(db, '2021-05-14', 'CVE-2021-26855'), 4);
      assert.equal(await count(db, '2021-05-14', 'CVE-2021-34473'), 2);

      const before = await db.selectFrom('observations').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      const again = await importShadowserver(db, SHADOWSERVER, 'ss.csv', 'analyst@cert');
      assert.deepEqual([again.inserted, again.duplicates, again.unmatched], [0, 5, 0]);
      const now = await db.selectFrom('observations').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(now.n), Number(before.n));
      assert.equal(await count(db, '2021-05-14', 'CVE-2021-26855'), 4);
      const audits = await db.selectFrom('audit_log').select('detail').where('entity', '=', 'shadowserver').execute();
      assert.equal(audits.length, 2);
    });

    test('exposure counts a server once per day and CVE', async () => {
      await recordObservations(db, [
        obs('192.0.2.10', '2022-03-01T01:00:00Z'),
        obs('192.0.2.10', '2022-03-01T13:00:00Z'),
        obs('192.0.2.11', '2022-03-01T02:00:00Z', { cves: ['CVE-2021-26855', 'CVE-2021-27065'] }),
        obs('192.0.2.12', '2022-03-01T02:00:00Z', { vulnerable: false, cves: [], tag: 'exchange' }),
        obs('192.0.2.13', '2022-03-01T03:00:00Z', { vulnerable: false, compromised: true, cves: [], tag: 'exchange;webshell' }),
        obs('192.0.2.10', '2022-03-02T01:00:00Z'),
      ], 'test');
      // The same server again in a later call, same day: still once.
      const later = await recordObservations(db, [obs('192.0.2.11', '2022-03-01T23:00:00Z')], 'test');
      assert.equal(later.inserted, 1);
      assert.equal(await count(db, '2022-03-01', 'CVE-2021-26855'), 2);
      assert.equal(await count(db, '2022-03-01', 'CVE-2021-27065'), 1);
      assert.equal(await count(db, '2022-03-01', 'webshell'), 1);
      assert.equal(await count(db, '2022-03-02', 'CVE-2021-26855'), 1);
      const days = await db.selectFrom('exposure_days').select('server_id').where('day', '=', '2022-03-01').where('cve', '=', 'CVE-2021-26855').execute();
      assert.equal(days.length, 2);
    });

    test('evidence verifies a patched server and reopens a verified one, with history', async () => {
      const o = await createOrganisation(db, { name: 'Hospital', ranges: ['192.0.2.64/28'] }, 'test');
      const ip = '192.0.2.70';
      await recordObservations(db, [obs(ip, '2023-01-01T00:00:00Z')], 'test');
      const server = await db.selectFrom('servers').select('id').where('address', '=', ip).executeTakeFirstOrThrow();
      // What the remediation workflow writes when the organisation says it patched (2023-01-05).
      await db.updateTable('servers').set({ status: 'patched' }).where('id', '=', server.id).execute();
      await db.insertInto('remediation_history').values({ org_id: o.id, server_id: server.id, from_status: 'open', to_status: 'patched', at: '2023-01-05T00:00:00.000Z', actor: 'org', note: 'patched' }).execute();
      const status = async (): Promise<string> => (await db.selectFrom('servers').select('status').where('id', '=', server.id).executeTakeFirstOrThrow()).status;
      const history = () => db.selectFrom('remediation_history').selectAll().where('server_id', '=', server.id).where('actor', '=', 'system').orderBy('at').execute();

      // Older data imported late proves nothing about the patch.
      await recordObservations(db, [obs(ip, '2023-01-03T00:00:00Z')], 'test');
      assert.equal(await status(), 'patched');
      await recordObservations(db, [obs(ip, '2023-01-08T00:00:00Z', { vulnerable: false, cves: [], tag: 'exchange;scan', source: 'scan', verdict: 'patched' })], 'test');
      assert.equal(await status(), 'verified');
      const org = await db.selectFrom('organisations').select(['status', 'vulnerable']).where('id', '=', o.id).executeTakeFirstOrThrow();
      assert.deepEqual(org, { status: 'clear', vulnerable: 0 });
      await recordObservations(db, [obs(ip, '2023-02-01T00:00:00Z', { compromised: true, vulnerable: false, cves: [], tag: 'exchange;webshell' })], 'test');
      assert.equal(await status(), 'open');
      const rows = await history();
      assert.deepEqual(rows.map((r) => [r.from_status, r.to_status, r.at]), [['patched', 'verified', '2023-01-08T00:00:00.000Z'], ['verified', 'open', '2023-02-01T00:00:00.000Z']]);
      assert.match(rows[0]!.note, /verified: neither vulnerable nor compromised in a scan observation/);
      assert.match(rows[1]!.note, /reopened: compromised/);
      assert.equal((await db.selectFrom('organisations').select('status').where('id', '=', o.id).executeTakeFirstOrThrow()).status, 'open');
    });

    test('what was told about a server is forgotten when evidence verifies it or an analyst does', async () => {
      const ip = '192.0.2.72';
      await recordObservations(db, [obs(ip, '2023-04-01T00:00:00Z', { compromised: true })], 'test');
      const server = await db.selectFrom('servers').select(['id', 'org_id']).where('address', '=', ip).executeTakeFirstOrThrow();
      const told = () => db.selectFrom('notified_news').select('news_key').where('org_id', '=', server.org_id!).where('news_key', 'like', `%${ip}%`).execute();
      const tell = () => db.insertInto('notified_news').values([`compromised:${ip}`, `vulnerable:${ip}:CVE-2021-26855`].map((news_key) => ({ org_id: server.org_id!, news_key, notification_id: 'n1', at: '2023-04-02T00:00:00.000Z' }))).execute();
      await tell();
      await setServerStatus(db, server.id, 'patched', 'org', 'patched', new Date('2023-04-03T00:00:00Z'));
      await recordObservations(db, [obs(ip, '2023-04-04T00:00:00Z', { vulnerable: false, cves: [], tag: 'exchange;hunt;nothing-found', source: 'hunt', verdict: 'patched' })], 'test');
      assert.equal((await db.selectFrom('servers').select('status').where('id', '=', server.id).executeTakeFirstOrThrow()).status, 'verified');
      assert.deepEqual(await told(), [], 'verified by evidence');
      await tell();
      await setServerStatus(db, server.id, 'open', 'analyst', 'again', new Date('2023-04-05T00:00:00Z'));
      await setServerStatus(db, server.id, 'verified', 'analyst', 'checked', new Date('2023-04-06T00:00:00Z'));
      assert.deepEqual(await told(), [], 'verified by an analyst');
    });

    test('a later version scan does not clear a web shell sighting; a hunt of the server does', async () => {
      const ip = '192.0.2.71';
      const compromised = async (): Promise<number> => (await db.selectFrom('servers').select('compromised').where('address', '=', ip).executeTakeFirstOrThrow()).compromised;
      await recordObservations(db, [obs(ip, '2023-03-01T00:00:00Z', { compromised: true, vulnerable: false, cves: [], tag: 'exchange;webshell' })], 'test');
      await recordObservations(db, [obs(ip, '2023-03-02T00:00:00Z', { vulnerable: false, cves: [], tag: 'exchange;scan', source: 'scan', verdict: 'patched' })], 'test');
      assert.equal(await compromised(), 1);
      await recordObservations(db, [obs(ip, '2023-03-03T00:00:00Z', { vulnerable: false, cves: [], tag: 'exchange;hunt;nothing-found', source: 'hunt', verdict: 'patched' })], 'test');
      assert.equal(await compromised(), 0);
    });

    test('an older observation does not overwrite the latest state; a missing build or an unknown verdict keeps what was known', async () => {
      await recordObservations(db, [obs('192.0.2.90', '2023-06-02T00:00:00Z', { build: '15.1.2507.39', hostname: 'mx.example', vulnerable: false, cves: [] })], 'test');
      await recordObservations(db, [obs('192.0.2.90', '2023-06-01T00:00:00Z', { build: '15.1.2176.2', hostname: 'old.example' })], 'test');
      await recordObservations(db, [obs('192.0.2.90', '2023-06-03T00:00:00Z', { vulnerable: false, cves: [], tag: 'exchange' })], 'test');
      const s = await db.selectFrom('servers').selectAll().where('address', '=', '192.0.2.90').executeTakeFirstOrThrow();
      assert.deepEqual([s.build, s.hostname, s.vulnerable, s.first_seen, s.last_seen], ['15.1.2507.39', 'mx.example', 0, '2023-06-01T00:00:00.000Z', '2023-06-03T00:00:00.000Z']);
      // A scan that could not read the build is a sighting, not news about the server's state.
      await recordObservations(db, [obs('192.0.2.90', '2023-06-04T00:00:00Z', { cves: ['CVE-2022-41082'], tag: 'exchange;cve-2022-41082' })], 'test');
      await recordObservations(db, [obs('192.0.2.90', '2023-06-05T00:00:00Z', { source: 'scan', tag: 'exchange;scan', verdict: 'unknown', vulnerable: false, cves: [] })], 'test');
      const t = await db.selectFrom('servers').selectAll().where('address', '=', '192.0.2.90').executeTakeFirstOrThrow();
      assert.deepEqual([t.vulnerable, t.cves, t.last_seen], [1, 'CVE-2022-41082', '2023-06-05T00:00:00.000Z']);
    });

    test('organisation lists (CSV and JSON) import idempotently by name', async () => {
      const csv = [
        'name,sector,country,ranges,domains,abuse,contacts',
        'Water Board,utilities,NL,198.18.1.0/24;198.18.2.0/24,water.example,abuse@water.example,Jan Jansen <jan@water.example>',
        'Bad Ranges,,,10.0.0.0/40,,,',
        '"School, The",education,NL,198.18.3.0/24 198.18.4.0/24,school.example,soc@school.example;it@school.example,',
      ].join('\n');
      const first = await importOrganisations(db, csv, 'orgs.csv', 'admin');
      assert.deepEqual(first.created.map((c) => c.name), ['Water Board', 'School, The']);
      assert.ok(first.created.every((c) => c.token.startsWith('exo_')));
      assert.deepEqual(first.errors.length, 1);
      assert.match(first.errors[0]!, /^orgs\.csv:3: Bad Ranges: "10\.0\.0\.0\/40" is not an address/);
      const again = await importOrganisations(db, csv, 'orgs.csv', 'admin');
      assert.deepEqual([again.created.length, again.updated.length, again.unchanged, again.errors.length], [0, 0, 2, 1]);

      const json = `[
  { "name": "WATER BOARD", "ranges": ["198.18.2.0/24", "198.18.5.0/24"], "domains": ["water.example", "waterboard.example"], "abuse": ["ABUSE@water.example", "cert@water.example"] },
  { "name": "New Clinic", "ranges": "198.18.6.0/24", "contacts": [{ "name": "Dr Who", "email": "who@clinic.example" }] },
  { "name": "Broken", "abuse": ["not-an-address"] }
]`;
      const j = await importOrganisations(db, json, 'orgs.json', 'admin');
      const water = first.created[0]!;
      assert.deepEqual(j.updated, [{ id: water.id, name: 'WATER BOARD' }]);
      assert.deepEqual(j.created.map((c) => c.name), ['New Clinic']);
      assert.deepEqual(j.errors.map((e) => e.split(': ')[0]), ['orgs.json:4']);
      assert.deepEqual(await rangesOf(db, water.id), ['198.18.1.0/24', '198.18.2.0/24', '198.18.5.0/24']);
      const domains = await db.selectFrom('org_domains').select('domain').where('org_id', '=', water.id).orderBy('domain').execute();
      assert.deepEqual(domains.map((d) => d.domain), ['water.example', 'waterboard.example']);
      const row = await db.selectFrom('organisations').select(['abuse', 'contacts']).where('id', '=', water.id).executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(row.abuse), ['abuse@water.example', 'cert@water.example']);
      assert.deepEqual(JSON.parse(row.contacts), [{ name: 'Jan Jansen', email: 'jan@water.example' }]);
      const j2 = await importOrganisations(db, json, 'orgs.json', 'admin');
      assert.deepEqual([j2.created.length, j2.updated.length, j2.unchanged], [0, 0, 2]);
    });

    test('scan results outside the organisation ranges are refused', async () => {
      const o = await createOrganisation(db, { name: 'Scanner Org', ranges: ['192.0.2.128/28'] }, 'test');
      const host = (address: string, extra: Record<string, unknown> = {}) => ({
        target: address, address, port: 443, scheme: 'https', reachable: true, exchange: true, build: '15.2.1118.7', product: 'Exchange 2019',
        cves: [{ id: 'CVE-2022-41082', name: 'ProxyNotShell' }, { id: 'CVE-2024-21410', name: 'x', condition: 'open unless Extended Protection' }], verdict: 'vulnerable', ...extra,
      });
      const r = await ingestScanHosts(db, o.id, [
        host('192.0.2.130'),
        host('192.0.2.200'),
        host('198.51.100.1'),
        host('192.0.2.131', { reachable: false, exchange: false, build: null, cves: [], verdict: 'unknown' }),
        { target: 'mail.example.org', verdict: 'vulnerable' },
      ], 'org-token', new Date('2024-04-01T10:00:00Z'));
      assert.deepEqual([r.inserted, r.outsideRanges, r.skipped], [1, 2, 2]);
      assert.deepEqual(r.errors, ['host 5: no IP address (address, or target as an address)']);
      const s = await db.selectFrom('servers').selectAll().where('address', '=', '192.0.2.130').executeTakeFirstOrThrow();
      assert.deepEqual([s.org_id, s.cves, s.verdict, s.last_seen], [o.id, 'CVE-2022-41082', 'vulnerable', '2024-04-01T10:00:00.000Z']);
      const planted = await db.selectFrom('servers').select('id').where('address', 'in', ['192.0.2.200', '198.51.100.1']).execute();
      assert.deepEqual(planted, []);
      const none = await createOrganisation(db, { name: 'No Ranges' }, 'test');
      const n = await ingestScanHosts(db, none.id, [host('192.0.2.130')], 'org-token');
      assert.deepEqual([n.inserted, n.outsideRanges], [0, 1]);
    });

    test('unmatched servers are listed and can be assigned; the assignment sticks', async () => {
      await recordObservations(db, [
        obs('203.0.113.200', '2024-05-01T00:00:00Z', { tag: 'exchange;webshell', compromised: true, vulnerable: false, cves: [], url: 'https://x/shell.aspx' }),
        obs('203.0.113.201', '2024-04-01T00:00:00Z'),
      ], 'test');
      const page = await listUnmatched(db, { limit: 2, offset: 0 });
      assert.ok(page.total >= 3);
      assert.deepEqual(page.servers.map((s) => s.address), ['203.0.113.200', '203.0.113.201']);
      assert.deepEqual([page.servers[0]!.tag, page.servers[0]!.url, page.servers[0]!.compromised], ['exchange;webshell', 'https://x/shell.aspx', true]);
      const o = await createOrganisation(db, { name: 'Claimed' }, 'test');
      const moved = await assignServer(db, page.servers[0]!.id, o.id, 'analyst@cert');
      assert.deepEqual(moved, { address: '203.0.113.200', from: null });
      const obsOrgs = await db.selectFrom('observations').select('org_id').where('server_id', '=', page.servers[0]!.id).execute();
      assert.deepEqual(obsOrgs.map((r) => r.org_id), [o.id]);
      const org = await db.selectFrom('organisations').select(['servers', 'compromised', 'status']).where('id', '=', o.id).executeTakeFirstOrThrow();
      assert.deepEqual(org, { servers: 1, compromised: 1, status: 'open' });
      const audit = await db.selectFrom('audit_log').select(['actor', 'action']).where('entity', '=', 'server').where('entity_id', '=', page.servers[0]!.id).execute();
      assert.deepEqual(audit, [{ actor: 'analyst@cert', action: 'assign' }]);
      assert.ok(!(await listUnmatched(db, { limit: 100, offset: 0 })).servers.some((s) => s.address === '203.0.113.200'));
      // A broad range registered later does not undo the analyst's decision.
      await createOrganisation(db, { name: 'Backbone', ranges: ['203.0.112.0/23'] }, 'test');
      const next = await recordObservations(db, [obs('203.0.113.200', '2024-05-02T00:00:00Z')], 'test');
      assert.deepEqual([next.unmatched, next.orgs], [0, [o.id]]);
      await assert.rejects(assignServer(db, 'no-such-server', o.id, 'analyst@cert'), /no server/);
    });

    test('a more specific range registered later takes the server over, with its history', async () => {
      const isp = await createOrganisation(db, { name: 'Big ISP', ranges: ['100.64.0.0/16'] }, 'test');
      await recordObservations(db, [obs('100.64.5.5', '2024-06-01T00:00:00Z')], 'test');
      const customer = await createOrganisation(db, { name: 'ISP Customer', ranges: ['100.64.5.0/24'] }, 'test');
      const r = await recordObservations(db, [obs('100.64.5.5', '2024-06-02T00:00:00Z')], 'test');
      assert.deepEqual(r.orgs, [isp.id, customer.id].sort());
      const orgs = await db.selectFrom('observations').innerJoin('servers', 'servers.id', 'observations.server_id').select('observations.org_id').where('servers.address', '=', '100.64.5.5').execute();
      assert.deepEqual(orgs.map((o) => o.org_id), [customer.id, customer.id]);
      const counts = await db.selectFrom('organisations').select(['id', 'servers']).where('id', 'in', [isp.id, customer.id]).execute();
      assert.deepEqual(Object.fromEntries(counts.map((c) => [c.id, c.servers])), { [isp.id]: 0, [customer.id]: 1 });
    });

    test('attribution: the most specific range (nested, odd-sized, IPv6), else the longest domain', async () => {
      const wide = await createOrganisation(db, { name: 'Wide', ranges: ['198.18.0.0/15', '2001:db8:8000::/33'], domains: ['wide.example'] }, 'test');
      const narrow = await createOrganisation(db, { name: 'Narrow', ranges: ['198.19.4.0/22', '198.19.5.8/30', '2001:db8:8123::/49'], domains: ['mail.wide.example'] }, 'test');
      const W = wide.id;
      const N = narrow.id;
      const probes: [string, string | null, string | null][] = [
        ['198.18.0.1', null, W], ['198.19.4.1', null, N], ['198.19.5.9', null, N], ['198.19.5.12', null, N], ['198.19.255.255', null, W], ['198.20.0.1', null, null],
        ['2001:db8:8123::1', null, N], ['2001:db8:8123:8000::1', null, W], ['2001:db8:7fff::1', null, null], ['2001:db8:ffff::1', null, W],
        ['192.0.2.250', 'owa.mail.wide.example', N], ['192.0.2.251', 'mail.wide.example.', N], ['192.0.2.252', 'x.wide.example', W], ['192.0.2.253', 'wide.example.org', null],
      ];
      const lookup = await loadAttribution(db);
      await recordObservations(db, probes.map(([ip, host], i) => obs(ip, `2025-01-01T00:00:${String(i).padStart(2, '0')}Z`, { hostname: host, vulnerable: false, cves: [], tag: 'probe' })), 'test');
      for (const [ip, host, owner] of probes) {
        assert.equal(lookup(ip, host).org, owner, `${ip} ${host ?? ''}`);
        const stored = await db.selectFrom('servers').select('org_id').where('address', '=', ip).executeTakeFirstOrThrow();
        assert.equal(stored.org_id, owner, `${ip} ${host ?? ''} as stored`);
      }
      assert.deepEqual(lookup('198.19.5.9', null).holders, [N, N, W], 'every range that holds it, most specific first');
    });

    test('the bulk summary refresh gives what refreshOrganisationSummary gives', async () => {
      const o = await createOrganisation(db, { name: 'Summary', ranges: ['192.0.2.32/28'] }, 'test');
      await recordObservations(db, [
        obs('192.0.2.33', '2025-02-01T00:00:00Z'),
        obs('192.0.2.34', '2025-02-01T00:00:00Z', { compromised: true }),
        obs('192.0.2.35', '2025-02-01T00:00:00Z', { vulnerable: false, cves: [] }),
      ], 'test');
      for (const [address, status] of [['192.0.2.33', 'acknowledged'], ['192.0.2.34', 'notified'], ['192.0.2.35', 'open']] as const) {
        await db.updateTable('servers').set({ status }).where('address', '=', address).execute();
      }
      const row = () => db.selectFrom('organisations').select(['servers', 'vulnerable', 'compromised', 'status']).where('id', '=', o.id).executeTakeFirstOrThrow();
      await refreshOrganisationSummary(db, o.id);
      const one = await row();
      await db.updateTable('organisations').set({ servers: 0, vulnerable: 0, compromised: 0, status: 'x' }).where('id', '=', o.id).execute();
      await refreshOrganisationSummaries(db, [o.id]);
      assert.deepEqual(await row(), one);
      assert.deepEqual(one, { servers: 3, vulnerable: 2, compromised: 1, status: 'notified' });
    });

    test('a bad address or a time without a zone is refused before anything is written', async () => {
      await assert.rejects(recordObservations(db, [obs('192.0.2.1', '2024-01-01T00:00:00Z'), obs('nope', '2024-01-01T00:00:00Z')], 'test'), /observation 2: "nope"/);
      await assert.rejects(recordObservations(db, [obs('192.0.2.1', '2024-01-01 00:00:00')], 'test'), /with a zone/);
      assert.equal(await db.selectFrom('servers').select('id').where('address', '=', '192.0.2.1').executeTakeFirst(), undefined);
    });
  });
}
