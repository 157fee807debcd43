// The encoded file samples of test/fixtures/files/fixtures.json: web shells and the Exchange
// artefacts of ProxyLogon/ProxyShell, each with the benign look-alikes they must not be confused
// with. `expect` names the built-in YARA rules (src/detect/yara/rules) a sample must match.
// Samples are written for exhunt (not taken from public collections); add one with
// `node dist/tools/encode-fixture.js FILE`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FIXTURE_ENCODING, decodeFixture } from '../tools/encode-fixture.js';
import { repoRoot } from './helpers.js';

export interface FileFixture {
  /** Unique, descriptive name. */
  name: string;
  /** Where the file would sit in an Exchange triage collection (forward slashes, drive as first folder). */
  path: string;
  kind: 'shell' | 'benign';
  /** Rule names the file must match, exactly; [] for benign files. */
  expect: string[];
  bytes: Buffer;
}

interface ManifestEntry {
  name: string;
  path: string;
  kind: string;
  expect: string[];
  encoding: string;
  data: string;
}

/** The manifest's location. */
export function fileFixturesManifest(): string {
  return path.join(repoRoot(), 'test', 'fixtures', 'files', 'fixtures.json');
}

/** Every sample of the manifest, decoded. Throws on an entry that is not well formed. */
export function loadFileFixtures(): FileFixture[] {
  const manifest = JSON.parse(readFileSync(fileFixturesManifest(), 'utf8')) as { fixtures: ManifestEntry[] };
  return manifest.fixtures.map((e) => {
    if (e.encoding !== FIXTURE_ENCODING) throw new Error(`fixture ${e.name}: unknown encoding ${e.encoding}`);
    if (e.kind !== 'shell' && e.kind !== 'benign') throw new Error(`fixture ${e.name}: kind must be shell or benign, not ${e.kind}`);
    return { name: e.name, path: e.path, kind: e.kind, expect: [...e.expect], bytes: decodeFixture(e.data) };
  });
}
