import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { cidrToRange, hexToIp, ipToHex } from '../src/serve/ip.js';
import { hashPassword, verifyPassword } from '../src/serve/auth/secrets.js';
import { loadAttribution } from '../src/serve/store/attribution.js';
import { createOrganisation, InvalidInput, organisationForToken, rangesOf } from '../src/serve/store/orgs.js';
import { DATABASE_KINDS, createTestDatabase } from './serve-db.js';

describe('addresses as hex ranges', () => {
  test('IPv4 and IPv6 to hex and back', () => {
    assert.equal(ipToHex('192.0.2.1'), '00000000000000000000ffffc0000201');
    assert.equal(ipToHex('2001:db8::1'), '20010db8000000000000000000000001');
    assert.equal(ipToHex('::ffff:192.0.2.1'), ipToHex('192.0.2.1'));
    assert.equal(ipToHex('not-an-ip'), undefined);
    assert.equal(hexToIp(ipToHex('203.0.113.45')!), '203.0.113.45');
    assert.equal(hexToIp(ipToHex('2001:db8:0:0:1::')!), '2001:db8:0:0:1::');
  });
  test('CIDR ranges are normalised to their network', () => {
    const r = cidrToRange('192.0.2.77/24')!;
    assert.equal(r.cidr, '192.0.2.0/24');
    assert.equal(hexToIp(r.start), '192.0.2.0');
    assert.equal(hexToIp(r.end), '192.0.2.255');
    assert.equal(cidrToRange('2001:db8::/32')!.end, '20010db8ffffffffffffffffffffffff');
    assert.equal(cidrToRange('10.0.0.1')!.cidr, '10.0.0.1/32');
    for (const bad of ['10.0.0.0/33', '10.0.0/8', 'example.org', '10.0.0.0/', '::/129']) assert.equal(cidrToRange(bad), undefined, bad);
  });
});

test('scrypt password hashes verify only the right password', async () => {
  const h = await hashPassword('correct horse');
  assert.match(h, /^scrypt\$32768\$8\$1\$/);
  assert.equal(await verifyPassword('correct horse', h), true);
  assert.equal(await verifyPassword('correct hors', h), false);
  assert.notEqual(await hashPassword('correct horse'), h, 'salted');
});

for (const kind of DATABASE_KINDS) {
  describe(`organisations on ${kind}`, async () => {
    const tdb = await createTestDatabase(kind);
    const h = await tdb.open();
    after(async () => {
      await h.close();
      await tdb.drop();
    });

    test('migrations are idempotent: opening again applies nothing and keeps data', async () => {
      const { id } = await createOrganisation(h.db, { name: 'Keep', ranges: ['198.18.0.0/24'] }, 'test');
      const again = await tdb.open();
      const row = await again.db.selectFrom('organisations').select('name').where('id', '=', id).executeTakeFirst();
      await again.close();
      assert.equal(row?.name, 'Keep');
    });

    test('attribution picks the most specific range, then the longest domain', async () => {
      const big = await createOrganisation(h.db, { name: 'ISP', ranges: ['203.0.113.0/24', '2001:db8::/32'], domains: ['isp.example'] }, 'test');
      const small = await createOrganisation(h.db, { name: 'Town of Example', ranges: ['203.0.113.32/28'], domains: ['town.isp.example'], abuse: ['it@town.example'] }, 'test');
      const lookup = await loadAttribution(h.db);
      const attribute = async (ip: string, host: string | null) => lookup(ip, host).org ?? undefined;
      assert.equal(await attribute('203.0.113.40', null), small.id);
      assert.equal(await attribute('203.0.113.5', null), big.id);
      assert.equal(await attribute('2001:db8:1::5', null), big.id);
      assert.equal(await attribute('192.0.2.1', 'mail.town.isp.example'), small.id);
      assert.equal(await attribute('192.0.2.1', 'owa.isp.example'), big.id);
      assert.equal(await attribute('192.0.2.1', 'mail.other.example'), undefined);
      assert.deepEqual(await rangesOf(h.db, small.id), ['203.0.113.32/28']);
    });

    test('tokens resolve to their organisation only', async () => {
      const a = await createOrganisation(h.db, { name: 'A' }, 'test');
      const b = await createOrganisation(h.db, { name: 'B' }, 'test');
      assert.equal(await organisationForToken(h.db, a.token), a.id);
      assert.equal(await organisationForToken(h.db, b.token), b.id);
      assert.equal(await organisationForToken(h.db, `${a.token}x`), undefined);
      assert.equal(await organisationForToken(h.db, 'Bearer nonsense'), undefined);
    });

    test('bad ranges, domains and e-mail addresses are refused with the value named', async () => {
      await assert.rejects(createOrganisation(h.db, { name: 'X', ranges: ['10.0.0.0/40'] }, 'test'), (e: Error) => e instanceof InvalidInput && e.message.includes('10.0.0.0/40'));
      await assert.rejects(createOrganisation(h.db, { name: 'X', domains: ['not a domain'] }, 'test'), InvalidInput);
      await assert.rejects(createOrganisation(h.db, { name: 'X', abuse: ['nobody'] }, 'test'), InvalidInput);
      await assert.rejects(createOrganisation(h.db, { name: ' ' }, 'test'), InvalidInput);
    });
  });
}
