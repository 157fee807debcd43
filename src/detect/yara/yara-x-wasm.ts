// The portable YARA engine: @virustotal/yara-x, VirusTotal's own WebAssembly build of yara-x. It
// runs wherever Node does (Windows, macOS, Linux on any CPU) and takes the same rules as the native
// engine, but each scan costs about 7 ms whatever the file's size (large files scan at hundreds of
// MB/s), so the sweep gives it pages, scripts and programs only (see `fast`).
//
// A compiler that once failed cannot build any more, so every file is first compiled alone on a
// throwaway compiler; the good ones then go into one compiler, each in its own namespace (the same
// rule name in two files is no clash).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { EXTERNAL_VARIABLES, diagnostic, type YaraCompileResult, type YaraEngine, type YaraMatch, type YaraRules, type YaraSource, type YaraVars } from './engine.js';

interface WasmCompiler {
  addSource(source: string): void;
  newNamespace(namespace: string): void;
  defineGlobal(identifier: string, value: unknown): void;
  build(): WasmRules;
  free(): void;
}

interface WasmRules {
  free(): void;
}

interface WasmScanner {
  scan(payload: Uint8Array): WasmResult;
  setGlobal(identifier: string, value: unknown): void;
  setMaxMatchesPerPattern(n: number): void;
}

interface WasmResult {
  matches: {
    identifier: string;
    namespace: string;
    tags: string[];
    metadata: { identifier: string; value: string | number | boolean }[];
    patterns: { identifier: string; matches: { offset: number; length: number }[] }[];
  }[];
}

interface WasmModule {
  initSync(module: { module: Buffer }): unknown;
  Compiler: new () => WasmCompiler;
  Scanner: new (rules: WasmRules) => WasmScanner;
}

const MAX_MATCHES_PER_PATTERN = 64;

class WasmYaraRules implements YaraRules {
  private readonly scanner: WasmScanner;

  constructor(
    mod: WasmModule,
    rules: WasmRules,
    private readonly sourceOf: ReadonlyMap<string, string>,
    readonly ruleCount: number,
  ) {
    this.scanner = new mod.Scanner(rules);
    this.scanner.setMaxMatchesPerPattern(MAX_MATCHES_PER_PATTERN);
  }

  scan(data: Buffer, vars: YaraVars): YaraMatch[] {
    for (const [k, v] of Object.entries(vars)) this.scanner.setGlobal(k, v);
    return this.scanner.scan(data).matches.map((m) => ({
      rule: m.identifier,
      source: this.sourceOf.get(m.namespace) ?? '',
      meta: Object.fromEntries(m.metadata.map((e) => [e.identifier, e.value])),
      tags: m.tags,
      strings: m.patterns.flatMap((p) => p.matches.map((x) => ({ id: p.identifier, offset: x.offset, length: x.length }))),
    }));
  }
}

const RULE_COUNT = /^[ \t]*(?:(?:private|global)[ \t]+)*rule[ \t]+[A-Za-z_]/gm;

class WasmYaraEngine implements YaraEngine {
  readonly fast = false;

  constructor(
    private readonly mod: WasmModule,
    readonly name: string,
  ) {}

  private compiler(): WasmCompiler {
    const c = new this.mod.Compiler();
    for (const v of EXTERNAL_VARIABLES) c.defineGlobal(v, '');
    return c;
  }

  compile(sources: readonly YaraSource[], checked = false): YaraCompileResult {
    const rejected: { file: string; message: string }[] = [];
    const good = sources.filter((src) => {
      if (checked) return true;
      const probe = this.compiler();
      try {
        probe.addSource(src.text);
        probe.build().free();
        return true;
      } catch (err) {
        rejected.push({ file: src.file, message: diagnostic(err instanceof Error ? err.message : String(err)).text });
        return false;
      } finally {
        probe.free();
      }
    });
    if (good.length === 0) return { rejected };
    const c = this.compiler();
    const sourceOf = new Map<string, string>();
    try {
      good.forEach((src, i) => {
        const ns = `f${i}`;
        sourceOf.set(ns, src.file);
        c.newNamespace(ns);
        c.addSource(src.text);
      });
      const count = good.reduce((n, s) => n + (s.text.match(RULE_COUNT)?.length ?? 0), 0);
      return { rules: new WasmYaraRules(this.mod, c.build(), sourceOf, count), rejected };
    } finally {
      c.free();
    }
  }
}

/** The WebAssembly engine, or why it cannot load. */
export async function loadWasmYaraEngine(): Promise<YaraEngine | { unavailable: string }> {
  try {
    const mod = (await import('@virustotal/yara-x')) as unknown as WasmModule;
    const require = createRequire(import.meta.url);
    const pkgFile = require.resolve('@virustotal/yara-x/package.json');
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { version: string };
    mod.initSync({ module: readFileSync(path.join(path.dirname(pkgFile), 'pkg', 'yara_x_js_bg.wasm')) });
    return new WasmYaraEngine(mod, `yara-x ${pkg.version} (WebAssembly, @virustotal/yara-x; pages, scripts and programs only)`);
  } catch (err) {
    return { unavailable: `@virustotal/yara-x could not load (${err instanceof Error ? err.message.split('\n')[0] : String(err)})` };
  }
}
