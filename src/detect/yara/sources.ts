// Rule files for the YARA engine: the built-in set shipped in rules/*.yar, and the user's files and
// folders (--yara), searched recursively for .yar/.yara files in name order.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { shippedDir } from '../../core/shipped.js';
import type { YaraSource } from './engine.js';

const RULE_FILE = /\.(yar|yara)$/i;

export function builtinYaraSources(): YaraSource[] {
  const dir = shippedDir('detect/yara/rules', '.yar');
  return readdirSync(dir)
    .filter((f) => RULE_FILE.test(f))
    .sort()
    .map((f) => ({ file: `builtin:${f}`, text: readFileSync(path.join(dir, f), 'utf8') }));
}

/** Reads the user's rule files; a file that cannot be read is reported and left out. */
export function readYaraPaths(paths: readonly string[]): { sources: YaraSource[]; errors: { file: string; message: string }[] } {
  const sources: YaraSource[] = [];
  const errors: { file: string; message: string }[] = [];
  const visit = (p: string, top: boolean, seen: Set<string>) => {
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      errors.push({ file: p, message: `cannot read: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    if (st.isDirectory()) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) return; // a link loop
      seen.add(key);
      for (const name of readdirSync(p).sort()) visit(path.join(p, name), false, seen);
    } else if (st.isFile() && (top || RULE_FILE.test(p))) {
      try {
        sources.push({ file: p, text: readFileSync(p, 'utf8') });
      } catch (err) {
        errors.push({ file: p, message: `cannot read: ${err instanceof Error ? err.message : String(err)}` });
      }
    }
  };
  for (const p of paths) visit(p, true, new Set());
  return { sources, errors };
}
