// Where exhunt is installed, to find bundled files (the demo collection).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'exhunt') return dir;
      } catch {
        // not ours; keep climbing
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot locate the exhunt installation folder');
    dir = up;
  }
}

export function demoCollectionPath(): string {
  return path.join(packageRoot(), 'examples', 'demo-triage');
}
