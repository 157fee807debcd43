// Data files shipped with exhunt (field mappings, rules, indicator lists) stay in src/ next to the
// code that reads them; compiled code runs from dist/src/, so both places are tried.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The folder `src/detect/<sub>` of this installation, found from a module under src/detect or
 * dist/src/detect, holding at least one file ending in `ext`.
 */
export function shippedDir(sub: string, ext: string): string {
  for (const rel of [`./${sub}/`, `../../../src/detect/${sub}/`]) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    try {
      if (readdirSync(dir).some((f) => f.endsWith(ext))) return dir;
    } catch {
      // try the next place
    }
  }
  throw new Error(`src/detect/${sub}/*${ext} is missing from this installation`);
}
