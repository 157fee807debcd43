// Regenerates src/detect/ioc/data/indicators.csv from the researched lists in
// ../shared/reference/data (hafnium-hashes.csv, ips.csv, webshell-paths.csv), each row keeping its
// published source. User agents are left out on purpose: the published ones are crawler names that
// only mean something together with the request they came with (the ProxyLogon detectors check that).
// `node dist/tools/make-indicators.js [DATA_DIR]`.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { csvRecords } from '../src/core/csv.js';
import { parseIndicators } from '../src/detect/ioc/indicators.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = process.argv[2] ?? path.resolve(repo, '..', 'shared', 'reference', 'data');
const out = path.join(repo, 'src', 'detect', 'ioc', 'data', 'indicators.csv');

function csv(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Rows of a CSV file as objects by header name. */
function rows(file: string): Record<string, string>[] {
  return csvRecords(readFileSync(path.join(dir, file), 'utf8'));
}

const outRows: string[][] = [];
for (const r of rows('hafnium-hashes.csv')) outRows.push(['sha256', r['sha256']!, r['source']!, [r['name'], r['note']].filter(Boolean).join('; ')]);
for (const r of rows('ips.csv')) outRows.push(['ip', r['ip']!, r['source']!, [r['note'], r['first_seen'] ? `first seen ${r['first_seen']}` : ''].filter(Boolean).join('; ')]);
for (const r of rows('webshell-paths.csv')) {
  const type = r['indicator_type'] === 'file_path' ? 'file-path' : r['indicator_type'] === 'file_name' ? 'file-name' : undefined;
  if (type) outRows.push([type, r['indicator']!, r['source']!, r['note'] ?? '']);
}
const lines = [
  '# Indicators shipped with exhunt, each with its published source. Built by tools/make-indicators.ts',
  '# from shared/reference/data (hafnium-hashes.csv, ips.csv, webshell-paths.csv); see docs/files.md.',
  'type,indicator,source,note',
  ...outRows.map((r) => r.map(csv).join(',')),
];
writeFileSync(out, `${lines.join('\n')}\n`);
const check = parseIndicators(readFileSync(out, 'utf8'), 'indicators.csv');
if (check.errors.length > 0) throw new Error(check.errors.join('\n'));
console.log(`${check.indicators.length} indicators → ${path.relative(repo, out)}`);
