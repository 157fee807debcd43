// Data files shipped with exhunt (field mappings, rules, indicator lists, build tables) stay in src/
// next to the code that reads them; compiled code runs from dist/src/, so both places are tried.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The folder `src/<sub>` of this installation (`sub` like `detect/yara/rules`), found from this
 * module under src/core or dist/src/core, holding at least one file ending in `ext`.
 */
export function shippedDir(sub: string, ext: string): string {
  for (const rel of [`../${sub}/`, `../../../src/${sub}/`]) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    try {
      if (readdirSync(dir).some((f) => f.endsWith(ext))) return dir;
    } catch {
      // try the next place
    }
  }
  throw new Error(`src/${sub}/*${ext} is missing from this installation`);
}
