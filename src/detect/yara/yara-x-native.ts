// The fast YARA engine: @litko/yara-x, a native Node binding of VirusTotal's yara-x. It has a
// published build for Linux x64 (glibc) only (its macOS packages are declared but not published,
// there is none for Windows); elsewhere the WebAssembly engine (yara-x-wasm.ts) stands in.
//
// yara-x compiles a whole rule set at once and recompiles on every added source, so the files are
// validated one by one (to name the file a compiler error comes from), rules declared twice are
// renamed, and the good files are compiled together in one pass.
import { createRequire } from 'node:module';
import { EXTERNAL_VARIABLES, diagnostic, type YaraCompileResult, type YaraEngine, type YaraMatch, type YaraRules, type YaraSource, type YaraVars } from './engine.js';

interface RawMatch {
  ruleIdentifier: string;
  meta: object;
  tags: string[];
  matches: { offset: number; length: number; identifier: string }[];
}

interface Compiled {
  scan(data: Buffer, variables?: object | null): RawMatch[];
  setMaxMatchesPerPattern(n: number): void;
}

interface Binding {
  compile(source: string, options?: object): Compiled;
  validate(source: string, options?: object): { errors: { message: string }[] };
}

/** Matches kept per string: enough to show where, bounded for files full of one pattern. */
const MAX_MATCHES_PER_PATTERN = 64;
/** Cross-file compile problems are resolved by dropping the file named, at most this often. */
const MAX_RETRIES = 50;
const DECLARATION = /^([ \t]*(?:(?:private|global)[ \t]+)*rule[ \t]+)([A-Za-z_][A-Za-z0-9_]*)/gm;

function compilerOptions(): object {
  return { defineVariables: Object.fromEntries(EXTERNAL_VARIABLES.map((v) => [v, ''])) };
}

class YaraXRules implements YaraRules {
  constructor(
    private readonly compiled: Compiled,
    private readonly sourceOf: Map<string, string>,
    private readonly shownAs: Map<string, string>,
    readonly ruleCount: number,
  ) {}

  scan(data: Buffer, vars: YaraVars): YaraMatch[] {
    // The binding turns a value made only of digits into an integer, which a string variable then
    // refuses (a log rotated as `.1`, a file named `2021`): such values are passed as ''.
    const safe = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, /^\d+$/.test(v) ? '' : v]));
    // Synchronous: the binding's scanAsync costs ~0.3 ms more per file and does not scale with threads.
    const raw = this.compiled.scan(data, safe);
    return raw.map((m) => ({
      rule: this.shownAs.get(m.ruleIdentifier) ?? m.ruleIdentifier,
      source: this.sourceOf.get(m.ruleIdentifier) ?? '',
      meta: m.meta as Record<string, string | number | boolean>,
      tags: m.tags,
      strings: m.matches.map((s) => ({ id: s.identifier, offset: s.offset, length: s.length })),
    }));
  }
}

class YaraXEngine implements YaraEngine {
  readonly fast = true;

  constructor(
    private readonly binding: Binding,
    readonly name: string,
  ) {}

  compile(sources: readonly YaraSource[], checked = false): YaraCompileResult {
    const options = compilerOptions();
    const rejected: { file: string; message: string }[] = [];
    let good: YaraSource[] = checked ? [...sources] : [];
    for (const src of checked ? [] : sources) {
      const errors = this.binding.validate(src.text, options).errors;
      if (errors.length > 0) rejected.push({ file: src.file, message: diagnostic(errors[0]!.message).text });
      else good.push(src);
    }
    for (let attempt = 0; good.length > 0 && attempt <= MAX_RETRIES; attempt++) {
      const { text, starts, sourceOf, shownAs, count } = this.assemble(good);
      try {
        const compiled = this.binding.compile(text, options);
        compiled.setMaxMatchesPerPattern(MAX_MATCHES_PER_PATTERN);
        return { rules: new YaraXRules(compiled, sourceOf, shownAs, count), rejected };
      } catch (err) {
        // A problem only the whole set has (an include, a clash the renaming missed): drop the file it names.
        const message = err instanceof Error ? err.message : String(err);
        const line = diagnostic(message).line ?? 1;
        let i = starts.findIndex((s, k) => line >= s && (k === starts.length - 1 || line < starts[k + 1]!));
        if (i < 0) i = 0;
        rejected.push({ file: good[i]!.file, message: diagnostic(message, starts[i]).text });
        good = good.filter((_, k) => k !== i);
      }
    }
    return { rejected };
  }

  /** One source text from many files; a rule name declared again in a later file gets a suffix. */
  private assemble(files: readonly YaraSource[]) {
    const seen = new Set<string>();
    const sourceOf = new Map<string, string>();
    const shownAs = new Map<string, string>();
    const parts: string[] = [];
    const starts: number[] = [];
    let line = 1;
    files.forEach((f, k) => {
      const text = f.text.replace(DECLARATION, (_whole, head: string, name: string) => {
        let unique = name;
        if (seen.has(name)) {
          unique = `${name}__${k}`;
          shownAs.set(unique, name);
        }
        seen.add(unique);
        sourceOf.set(unique, f.file);
        return `${head}${unique}`;
      });
      starts.push(line);
      parts.push(text);
      line += text.split('\n').length;
    });
    return { text: parts.join('\n'), starts, sourceOf, shownAs, count: seen.size };
  }
}

/** The native engine, or why it cannot load on this machine. */
export async function loadNativeYaraEngine(): Promise<YaraEngine | { unavailable: string }> {
  try {
    const binding = (await import('@litko/yara-x')) as unknown as Binding;
    const version = (createRequire(import.meta.url)('@litko/yara-x/package.json') as { version: string }).version;
    return new YaraXEngine(binding, `yara-x ${version} (native, @litko/yara-x)`);
  } catch (err) {
    return { unavailable: `no native build of @litko/yara-x for ${process.platform}-${process.arch} (${err instanceof Error ? err.message.split('\n')[0] : String(err)})` };
  }
}
