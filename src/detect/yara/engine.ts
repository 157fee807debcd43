// The YARA seam: what the file sweep needs from a YARA engine, so that the binding behind it
// (today @litko/yara-x, a Node binding of VirusTotal's yara-x) can be replaced without touching
// the sweep. Rules are compiled once per scanning thread; a large sweep runs one thread per core.

/** One rule file's text and the name to report it by (a path, or `builtin:<file>`). */
export interface YaraSource {
  file: string;
  text: string;
}

/** Per-file values of YARA's conventional external variables (signature-base uses them). */
export interface YaraVars {
  filename: string;
  filepath: string;
  /** Lower case, without the dot. */
  extension: string;
}

export interface YaraStringMatch {
  id: string;
  offset: number;
  length: number;
}

export interface YaraMatch {
  rule: string;
  /** The rule file it was declared in. */
  source: string;
  meta: Record<string, string | number | boolean>;
  tags: string[];
  strings: YaraStringMatch[];
}

export interface YaraRules {
  readonly ruleCount: number;
  /** Scans in this thread (the sweep runs one scanning thread per core). */
  scan(data: Buffer, vars: YaraVars): YaraMatch[];
}

export interface YaraCompileResult {
  /** Absent when no source compiled. */
  rules?: YaraRules;
  /** Rule files left out, with the compiler's first message line and position. */
  rejected: { file: string; message: string }[];
}

export interface YaraEngine {
  /** Name and version, for the report (`yara-x 0.3.0`). */
  readonly name: string;
  /**
   * False for an engine with a high cost per scanned file (the WebAssembly build, ~7 ms a file):
   * the sweep then scans only pages, scripts and programs.
   */
  readonly fast: boolean;
  /** `checked`: the sources already compiled once in this run (a scanning thread's copy): not validated again. */
  compile(sources: readonly YaraSource[], checked?: boolean): YaraCompileResult;
}

/** Variables every rule may read; declared empty at compile time and set for each file. */
export const EXTERNAL_VARIABLES = ['filename', 'filepath', 'extension', 'filetype', 'owner'] as const;

/** The first line of a yara-x diagnostic and its `line:col`, with the line made relative to `firstLine`. */
export function diagnostic(message: string, firstLine = 1): { text: string; line?: number } {
  const head = (message.split('\n').find((l) => l.startsWith('error')) ?? message.split('\n')[0] ?? '').replace(/^(Error: )?(Compilation error \(\w+\): )?error\[\w+\]: /, '');
  const at = /-->\s*line:(\d+):(\d+)/.exec(message);
  if (!at) return { text: head };
  const line = Number(at[1]) - firstLine + 1;
  return { text: `${head} (line ${line}, column ${at[2]})`, line: Number(at[1]) };
}
