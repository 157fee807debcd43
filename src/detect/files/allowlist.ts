// Which script files Exchange ships in its web folders, and their SHA-256 in each known build: a
// file no build ships is not Microsoft's, and a shipped file whose hash the collection's own build
// does not have was changed. The shipped list (data/exchange-web-allowlist.tsv) is derived by
// tools/make-allowlist.ts from Microsoft's per-build baselines (microsoft/CSS-Exchange
// Security/Baselines, MIT); users add builds with --baseline in the same CSV form (hash,version,path).
import { readFileSync } from 'node:fs';
import { shippedDir } from '../../core/shipped.js';
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
    rows.push({ installRel: normaliseInstallRel(parts), sha256: m[1]!.toLowerCase(), build: m[2] || file });
  });
  return { rows, errors };
}

export function isScriptPath(installRel: string): boolean {
  const dot = installRel.lastIndexOf('.');
  return dot > installRel.lastIndexOf('/') && SCRIPT_EXTENSIONS.has(installRel.slice(dot + 1));
}

function dirOf(installRel: string): string {
  return installRel.slice(0, installRel.lastIndexOf('/'));
}

export class WebAllowList {
  /** path → hash → builds that ship that content there. */
  private readonly entries = new Map<string, Map<string, Set<string>>>();
  private readonly allHashes = new Set<string>();
  /** build → the paths and folders its baseline lists. */
  private readonly paths = new Map<string, Set<string>>();
  private readonly dirs = new Map<string, Set<string>>();

  add(row: BaselineRow): void {
    if (!isScriptPath(row.installRel)) return;
    let byHash = this.entries.get(row.installRel);
    if (!byHash) this.entries.set(row.installRel, (byHash = new Map()));
    let builds = byHash.get(row.sha256);
    if (!builds) byHash.set(row.sha256, (builds = new Set()));
    builds.add(row.build);
    this.allHashes.add(row.sha256);
    let p = this.paths.get(row.build);
    if (!p) {
      this.paths.set(row.build, (p = new Set()));
      this.dirs.set(row.build, new Set());
    }
    p.add(row.installRel);
    this.dirs.get(row.build)!.add(dirOf(row.installRel));
  }

  get builds(): string[] {
    return [...this.paths.keys()].sort();
  }

  /** Exchange ships a file at this place in some known build. */
  ships(installRel: string): boolean {
    return this.entries.has(installRel);
  }

  /** The builds that ship exactly this content at this place (empty: none). */
  buildsWith(installRel: string, sha256: string): ReadonlySet<string> {
    return this.entries.get(installRel)?.get(sha256) ?? new Set();
  }

  /** The content is a shipped script of some build, wherever it is (a copy of a legitimate page). */
  isShippedContent(sha256: string): boolean {
    return this.allHashes.has(sha256);
  }

  /** The build's baseline lists this file. */
  buildShips(build: string, installRel: string): boolean {
    return this.paths.get(build)?.has(installRel) === true;
  }

  /** The build's baseline lists files in this file's folder (so it can say what belongs there). */
  buildKnowsFolder(build: string, installRel: string): boolean {
    return this.dirs.get(build)?.has(dirOf(installRel)) === true;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The list shipped with exhunt: `path<TAB>sha256=build+build;sha256=build…`. */
  static shipped(): WebAllowList {
    const list = new WebAllowList();
    const text = readFileSync(`${shippedDir('detect/files/data', '.tsv')}/exchange-web-allowlist.tsv`, 'utf8');
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const [installRel, hashes] = line.split('\t');
      if (!installRel || !hashes) throw new Error(`exchange-web-allowlist.tsv: bad line "${line.slice(0, 80)}"`);
      for (const entry of hashes.split(';')) {
        const [sha256, builds] = entry.split('=');
        if (!sha256 || !builds) throw new Error(`exchange-web-allowlist.tsv: bad entry "${entry.slice(0, 80)}"`);
        for (const build of builds.split('+')) list.add({ installRel, sha256, build });
      }
    }
    return list;
  }
}
