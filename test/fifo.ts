// Named pipes for hostile-input tests (Linux and macOS; Windows has none in the file system).
import { execFileSync } from 'node:child_process';

export function mkfifoSync(p: string): void {
  execFileSync('mkfifo', [p]);
}
