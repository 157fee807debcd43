// The process surface the CLI touches, injectable so tests run `main(argv, io)` in-process.
export interface OutStream {
  /** May return false to ask the writer to wait for 'drain' (Node streams). */
  write(s: string): boolean | void;
  once?(event: 'drain', cb: () => void): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Io {
  stdout: OutStream;
  stderr: OutStream;
  env: Record<string, string | undefined>;
}

export const processIo: Io = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
};

/** Colour unless NO_COLOR is set (https://no-color.org), forced by FORCE_COLOR or --color. */
export function colorWanted(stream: OutStream, env: Io['env'], flag: boolean | undefined): boolean {
  if (flag !== undefined) return flag;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '0') return true;
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}
