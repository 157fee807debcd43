// Encodes a sample for test/fixtures/files/fixtures.json. Web-shell samples are kept encoded
// (every byte XOR 0x5A, then Base64) so that antivirus on a developer's machine does not
// quarantine the checkout; test/fixture-files.ts decodes them.
//   node dist/tools/encode-fixture.js FILE   → prints the `data` string for the manifest
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The value of a manifest entry's `encoding` field. */
export const FIXTURE_ENCODING = 'xor5a-base64';
const KEY = 0x5a;

function xor(bytes: Uint8Array): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length; i++) out[i] = out[i]! ^ KEY;
  return out;
}

/** The manifest `data` string for a sample's bytes. */
export function encodeFixture(bytes: Uint8Array): string {
  return xor(bytes).toString('base64');
}

/** The sample's bytes from a manifest `data` string. */
export function decodeFixture(data: string): Buffer {
  return xor(Buffer.from(data, 'base64'));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node dist/tools/encode-fixture.js FILE\n');
    process.exit(2);
  }
  process.stdout.write(`${encodeFixture(readFileSync(file))}\n`);
}
