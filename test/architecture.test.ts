// The pipeline is the architecture: dependencies point one way, registries are explicit, ids are
// unique, and every detector cites its sources. Checked here rather than remembered.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TOOL_VERSION } from '../src/core/version.js';
import { DETECTORS } from '../src/detect/registry.js';
import { PARSERS } from '../src/parsers/registry.js';
import { WRITERS } from '../src/report/registry.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SRC = path.join(REPO, 'src');

// Which top-level folders of src/ each folder may import from.
const ALLOWED: Record<string, string[]> = {
  core: ['core'],
  sources: ['core', 'sources'],
  parsers: ['core', 'sources', 'parsers'],
  detect: ['core', 'detect'],
  correlate: ['core', 'correlate'],
  report: ['core', 'report'],
  exposure: ['core', 'exposure'],
  pipeline: ['core', 'sources', 'parsers', 'detect', 'correlate', 'exposure', 'pipeline'],
  collect: ['core', 'collect'],
  serve: ['core', 'report', 'exposure', 'correlate', 'serve'],
  cli: ['core', 'pipeline', 'report', 'collect', 'exposure', 'serve', 'cli'],
};

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('architecture', () => {
  test('dependencies point one way (cli → report/pipeline → detect/correlate → parsers → sources → core)', () => {
    const violations: string[] = [];
    for (const file of tsFiles(SRC)) {
      const rel = path.relative(SRC, file);
      const layer = rel.split(path.sep)[0]!;
      if (layer === 'index.ts') continue;
      const allowed = ALLOWED[layer];
      assert.ok(allowed, `src/${layer} is not a known layer`);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)) {
        const spec = m[1]!;
        if (!spec.startsWith('.')) continue;
        const target = path.relative(SRC, path.resolve(path.dirname(file), spec)).split(path.sep)[0]!;
        if (!allowed.includes(target)) violations.push(`src/${rel} imports ${spec} (${layer} → ${target})`);
      }
    }
    assert.deepEqual(violations, []);
  });

  test('no module self-registers: registries are explicit sorted arrays with unique ids', () => {
    const ids = DETECTORS.map((d) => d.id);
    assert.deepEqual(ids, [...ids].sort(), 'DETECTORS is sorted by id');
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(new Set(PARSERS.map((p) => p.id)).size, PARSERS.length);
    assert.equal(new Set(WRITERS.map((w) => w.id)).size, WRITERS.length);
    const files = readdirSync(path.join(SRC, 'detect', 'detectors')).filter((f) => f.endsWith('.ts'));
    assert.equal(files.length, DETECTORS.length, 'every detector file is registered');
  });

  test('every detector explains itself, says what to do, and cites its sources', () => {
    for (const d of DETECTORS) {
      assert.ok(d.explanation.length > 80, `${d.id}: explanation`);
      assert.ok(d.remediation.length > 0, `${d.id}: remediation`);
      assert.ok(d.references.length > 0, `${d.id}: references`);
      assert.ok(d.attack.every((t) => /^T\d{4}(\.\d{3})?$/.test(t)), `${d.id}: ATT&CK ids`);
      assert.ok(d.cves.every((c) => /^CVE-\d{4}-\d{4,}$/.test(c)), `${d.id}: CVE ids`);
      assert.ok(d.needles === null || (d.needles.length > 0 && d.needles.every((n) => n === n.toLowerCase() && n.length >= 4)), `${d.id}: needles are lower-case and selective`);
      const file = readdirSync(path.join(SRC, 'detect', 'detectors')).find((f) => readFileSync(path.join(SRC, 'detect', 'detectors', f), 'utf8').includes(`id: '${d.id}'`));
      assert.ok(file, `${d.id}: has its own file`);
      const header = readFileSync(path.join(SRC, 'detect', 'detectors', file!), 'utf8').split('\nimport')[0]!;
      assert.match(header, /Source/i, `${d.id}: header comment names its sources`);
    }
  });

  test('the tool version is the package version', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    assert.equal(TOOL_VERSION, pkg.version);
  });
});
