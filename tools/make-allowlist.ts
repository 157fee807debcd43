// Regenerates src/detect/files/data/exchange-web-allowlist.tsv from Microsoft's per-build
// baselines (../shared/reference/data/exchange-baselines, copied from microsoft/CSS-Exchange
// Security/Baselines, MIT): every script file of FrontEnd\HttpProxy and ClientAccess with the
// SHA-256 values the known builds ship. `node dist/tools/make-allowlist.js [BASELINE_DIR]`.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isScriptPath, parseBaselineCsv } from '../src/detect/files/allowlist.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = process.argv[2] ?? path.resolve(repo, '..', 'shared', 'reference', 'data', 'exchange-baselines');
const out = path.join(repo, 'src', 'detect', 'files', 'data', 'exchange-web-allowlist.tsv');

const byPath = new Map<string, Map<string, Set<string>>>();
const builds: string[] = [];
for (const f of readdirSync(dir).filter((n) => /^baseline_.*\.csv$/.test(n)).sort()) {
  const { rows, errors } = parseBaselineCsv(readFileSync(path.join(dir, f), 'utf8'), f);
  if (errors.length > 0) throw new Error(errors.join('\n'));
  builds.push(rows[0]?.build ?? f);
  for (const r of rows) {
    if (!isScriptPath(r.installRel)) continue;
    let byHash = byPath.get(r.installRel);
    if (!byHash) byPath.set(r.installRel, (byHash = new Map()));
    let builds = byHash.get(r.sha256);
    if (!builds) byHash.set(r.sha256, (builds = new Set()));
    builds.add(r.build);
  }
}
const lines = [
  '# Script files Exchange ships in FrontEnd\\HttpProxy and ClientAccess, with their SHA-256 per known build.',
  '# Derived by tools/make-allowlist.ts from Microsoft\'s per-build baselines, microsoft/CSS-Exchange',
  '# Security/Baselines (MIT licence; folder as it stood before commit 7217f228). Builds: ' + builds.join(', ') + '.',
  '# Build folders (owa/auth/15.2.858, Current) are written "version". Add builds with --baseline FILE.',
  '# path<TAB>sha256=build+build;sha256=build…',
  ...[...byPath.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([p, byHash]) => `${p}\t${[...byHash.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([h, b]) => `${h}=${[...b].sort().join('+')}`).join(';')}`),
];
writeFileSync(out, `${lines.join('\n')}\n`);
console.log(`${byPath.size} paths from ${builds.length} builds → ${path.relative(repo, out)}`);
