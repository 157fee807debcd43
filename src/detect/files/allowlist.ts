// Which script files Exchange ships in its web folders, and their SHA-256 per build: a file the
// list does not name is not Microsoft's, and a named file whose hash no known build has was
// changed. The shipped list (data/exchange-web-allowlist.tsv) is derived by tools/make-allowlist.ts
// from Microsoft's own per-build baselines (microsoft/CSS-Exchange Security/Baselines, MIT); users
// add builds with --baseline in the same CSV form (hash,version,path).
import { readFileSync } from 'node:fs';
import { shippedDir } from '../shipped.js';
import { SCRIPT_EXTENSIONS, normaliseInstallRel } from './location.js';

export interface BaselineRow {
  installRel: string;
  sha256: string;
  build: string;
}

/** Parses Microsoft's baseline CSV (`hash,version,path`, path relative to the install folder). */
export function parseBaselineCsv(text: string, file: string): { rows: BaselineRow[]; errors: string[] } {
  const rows: BaselineRow[] = [];
  const errors: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((line, i) => {
    if (!line.trim() || line.startsWith('#') || /^"?hash"?,/i.test(line)) return;
    const m = /^"?([0-9A-Fa-f]{64})"?,"?([^,"]*)"?,"?(.+?)"?$/.exec(line);
    if (!m) {
      if (errors.length < 5) errors.push(`${file}:${i + 1}: expected "sha256,build,path"`);
      return;
    }
    let parts = m[3]!.toLowerCase().split(/[\\/]+/).filter(Boolean);
    // Some of Microsoft's baselines are relative to ClientAccess, the others to the install folder.
    if (parts[0] !== 'frontend' && parts[0] !== 'clientaccess') parts = ['clientaccess', ...parts];
    rows.push({ installRel: normaliseInstallRel(parts), sha256: m[1]!.toLowerCase(), build: m[2]! });
  });
  return { rows, errors };
}

export function isScriptPath(installRel: string): boolean {
  const dot = installRel.lastIndexOf('.');
  return dot > installRel.lastIndexOf('/') && SCRIPT_EXTENSIONS.has(installRel.slice(dot + 1));
}

export class WebAllowList {
  private readonly hashes = new Map<string, Set<string>>();
  private readonly allHashes = new Set<string>();
  readonly builds = new Set<string>();

  add(row: BaselineRow): void {
    if (!isScriptPath(row.installRel)) return;
    let set = this.hashes.get(row.installRel);
    if (!set) this.hashes.set(row.installRel, (set = new Set()));
    set.add(row.sha256);
    this.allHashes.add(row.sha256);
    if (row.build) this.builds.add(row.build);
  }

  /** Exchange ships a file at this place (in some known build). */
  ships(installRel: string): boolean {
    return this.hashes.has(installRel);
  }

  /** The content is what some known build ships at this place. */
  matches(installRel: string, sha256: string): boolean {
    return this.hashes.get(installRel)?.has(sha256) === true;
  }

  /** The content is a shipped script of some build, wherever it is (a copy of a legitimate page). */
  isShippedContent(sha256: string): boolean {
    return this.allHashes.has(sha256);
  }

  get size(): number {
    return this.hashes.size;
  }

  /** The list shipped with exhunt. */
  static shipped(): WebAllowList {
    const list = new WebAllowList();
    const text = readFileSync(`${shippedDir('files/data', '.tsv')}/exchange-web-allowlist.tsv`, 'utf8');
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const [installRel, hashes, builds] = line.split('\t');
      if (!installRel || !hashes) throw new Error(`exchange-web-allowlist.tsv: bad line "${line.slice(0, 80)}"`);
      for (const sha256 of hashes.split(',')) list.add({ installRel, sha256, build: '' });
      for (const b of (builds ?? '').split(',')) if (b) list.builds.add(b);
    }
    return list;
  }
}
