// Regenerates src/exposure/data/exchange-builds.json from shared/reference/data
// (exchange-builds.csv, cve-fixes.csv) and checks that the result loads.
// `node dist/tools/make-builds.js [DATA_DIR]`.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBuildDatabase } from '../src/exposure/db.js';
import { deriveBuildData, serializeBuildData } from './builds-data.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = process.argv[2] ?? path.resolve(repo, '..', 'shared', 'reference', 'data');
const out = path.join(repo, 'src', 'exposure', 'data', 'exchange-builds.json');

const db = deriveBuildData(readFileSync(path.join(dir, 'exchange-builds.csv'), 'utf8'), readFileSync(path.join(dir, 'cve-fixes.csv'), 'utf8'));
const text = serializeBuildData(db);
const loaded = parseBuildDatabase(text, out);
writeFileSync(out, text);
console.log(`${loaded.builds.length} builds, ${loaded.fixes.length} CVE fix rows (newest release ${db.newestRelease}) → ${path.relative(repo, out)}`);
