// The built-in YARA rules (src/detect/yara/rules/*.yar) against the encoded samples of
// test/fixtures/files: every rule compiles with yara-x and only the three external variables,
// describes itself, has a sample that proves it, and every sample matches exactly what it says.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { type YaraX, compile } from '@litko/yara-x';
import { loadFileFixtures } from './fixture-files.js';
import { repoRoot } from './helpers.js';

const RULES_DIR = path.join(repoRoot(), 'src', 'detect', 'yara', 'rules');
const VARIABLES = { filename: '', filepath: '', extension: '' };
const META_KEYS = ['description', 'family', 'severity', 'stage', 'cve', 'reference', 'author'];
const REQUIRED_META = META_KEYS.filter((k) => k !== 'cve');
const SEVERITIES = ['critical', 'high', 'medium', 'low'];
const STAGES = ['compromise', 'attempt', 'info'];
const PROXYSHELL_EXPORT = 'exhunt_exchange_proxyshell_export_aspx';

interface RuleText {
  file: string;
  name: string;
  meta: Record<string, string>;
  condition: string;
}

/** The rules of one .yar file as text: name, string-valued meta, condition. Our files keep `}` at column 0. */
function parseRules(file: string, source: string): RuleText[] {
  return [...source.matchAll(/^rule\s+(\w+)\s*\{([\s\S]*?)^\}/gm)].map((m) => {
    const body = m[2]!;
    const metaBlock = /\bmeta:([\s\S]*?)(?:\bstrings:|\bcondition:)/.exec(body)?.[1] ?? '';
    const meta: Record<string, string> = {};
    for (const kv of metaBlock.matchAll(/^\s*(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"\s*$/gm)) meta[kv[1]!] = kv[2]!;
    return { file, name: m[1]!, meta, condition: body.split(/\bcondition:/)[1] ?? '' };
  });
}

const files = readdirSync(RULES_DIR).filter((f) => f.endsWith('.yar')).sort();
const sources = files.map((f) => ({ file: f, text: readFileSync(path.join(RULES_DIR, f), 'utf8') }));
const rules = sources.flatMap((s) => parseRules(s.file, s.text));
const ruleNames = new Set(rules.map((r) => r.name));
// Rules whose verdict depends on the file's name rather than only on its bytes.
const nameDependent = new Set(rules.filter((r) => /\b(extension|filename|filepath)\b/.test(r.condition)).map((r) => r.name));
// The package declares compile()'s result as an undeclared type (any); it is a YaraX.
const scanner: YaraX = compile(sources.map((s) => s.text).join('\n'), { defineVariables: VARIABLES });
const fixtures = loadFileFixtures();

/** The rule names matching `bytes` when the file is called `relPath`. */
function matches(bytes: Buffer, relPath: string): string[] {
  const base = path.posix.basename(relPath);
  const dot = base.lastIndexOf('.');
  const extension = dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
  return scanner.scan(bytes, { filename: base, filepath: relPath, extension }).map((m) => m.ruleIdentifier).sort();
}

/** The same path with its extension replaced. */
function renamed(relPath: string, ext: string): string {
  return relPath.replace(/(\.[^./]*)?$/, `.${ext}`);
}

const sorted = (xs: string[]): string[] => [...xs].sort();

describe('built-in YARA rules', () => {
  test('the rule folder holds rules, each file compiling alone with only filename/filepath/extension', () => {
    assert.ok(files.length >= 3, 'several .yar files');
    for (const s of sources) {
      const r: YaraX = compile(s.text, { defineVariables: VARIABLES });
      assert.deepEqual(r.getWarnings(), [], `${s.file}: no compiler warnings`);
      assert.doesNotMatch(s.text, /^\s*import\s+"/m, `${s.file}: uses no modules`);
    }
    assert.deepEqual(scanner.getWarnings(), []);
  });

  test('rule names are unique, prefixed and parsed completely', () => {
    assert.equal(ruleNames.size, rules.length, 'unique across files');
    for (const r of rules) assert.match(r.name, /^exhunt_[a-z0-9_]+$/, r.name);
    const declared = sources.reduce((n, s) => n + (s.text.match(/^rule\s+\w+/gm) ?? []).length, 0);
    assert.equal(rules.length, declared, 'every rule block parsed');
  });

  for (const r of rules) {
    test(`${r.name}: meta`, () => {
      for (const k of REQUIRED_META) assert.ok(r.meta[k], `${r.file} ${r.name}: meta ${k}`);
      for (const k of Object.keys(r.meta)) assert.ok(META_KEYS.includes(k), `${r.name}: unknown meta ${k}`);
      const d = r.meta['description']!;
      assert.match(d, /^[A-Z][^\n]{30,300}\.$/, `${r.name}: description is one plain sentence`);
      assert.doesNotMatch(d, /\.\s+[A-Z]/, `${r.name}: description is a single sentence`);
      assert.ok(SEVERITIES.includes(r.meta['severity']!), `${r.name}: severity ${r.meta['severity']}`);
      assert.ok(STAGES.includes(r.meta['stage']!), `${r.name}: stage ${r.meta['stage']}`);
      if (r.meta['cve'] !== undefined) assert.match(r.meta['cve'], /^CVE-\d{4}-\d{4,}$/, `${r.name}: cve`);
      assert.match(r.meta['reference']!, /^(https:\/\/\S+|[A-Z][\w .:/-]{5,})$/, `${r.name}: reference is a URL or an advisory name`);
      assert.equal(r.meta['author'], 'exhunt');
    });
  }

  test('fixtures are well formed: unique names, shells expect known rules, benign files expect none', () => {
    assert.equal(new Set(fixtures.map((f) => f.name)).size, fixtures.length);
    for (const f of fixtures) {
      assert.ok(!f.path.startsWith('/') && !f.path.includes('\\'), `${f.name}: relative path with forward slashes`);
      if (f.kind === 'benign') assert.deepEqual(f.expect, [], `${f.name}: benign expects nothing`);
      else assert.ok(f.expect.length > 0, `${f.name}: a shell expects a rule`);
      for (const n of f.expect) assert.ok(ruleNames.has(n), `${f.name}: expects unknown rule ${n}`);
    }
  });

  test('every rule is proven by at least one shell fixture', () => {
    const proven = new Set(fixtures.filter((f) => f.kind === 'shell').flatMap((f) => f.expect));
    assert.deepEqual([...ruleNames].filter((n) => !proven.has(n)), []);
  });

  describe('each fixture matches exactly its expected rules', () => {
    for (const f of fixtures) {
      test(`${f.kind} ${f.name}`, () => {
        assert.deepEqual(matches(f.bytes, f.path), sorted(f.expect));
      });
    }
  });

  describe('named .txt, a fixture keeps every match that does not depend on its name', () => {
    for (const f of fixtures) {
      test(f.name, () => {
        const expected = sorted(f.expect.filter((n) => !nameDependent.has(n)));
        assert.deepEqual(matches(f.bytes, renamed(f.path, 'txt')), expected);
      });
    }
  });

  test('the ProxyShell export rule needs an .aspx/.ashx name: not on .pst or .cer', () => {
    const exports = fixtures.filter((f) => f.expect.includes(PROXYSHELL_EXPORT));
    assert.ok(exports.length >= 2, 'a PST and a DER sample');
    for (const f of exports) {
      for (const ext of ['pst', 'cer', 'txt']) {
        const got = matches(f.bytes, renamed(f.path, ext));
        assert.ok(!got.includes(PROXYSHELL_EXPORT), `${f.name} as .${ext}`);
      }
      for (const ext of ['aspx', 'ashx']) assert.ok(matches(f.bytes, renamed(f.path, ext)).includes(PROXYSHELL_EXPORT), `${f.name} as .${ext}`);
    }
  });

  test('yara-x reports the meta the rule files declare', () => {
    const byName = new Map(rules.map((r) => [r.name, r]));
    for (const f of fixtures.filter((x) => x.kind === 'shell')) {
      const base = path.posix.basename(f.path);
      const extension = base.slice(base.lastIndexOf('.') + 1).toLowerCase();
      for (const m of scanner.scan(f.bytes, { filename: base, filepath: f.path, extension })) {
        assert.deepEqual(m.meta, byName.get(m.ruleIdentifier)!.meta, `${f.name}: ${m.ruleIdentifier}`);
      }
    }
  });
});
