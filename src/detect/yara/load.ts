// Which YARA engine a run uses: the native one where it has a build (Linux x64), else the
// WebAssembly one (everywhere else), else none — said once by the caller, and the sweep goes on
// with hashes and heuristics.
import type { YaraEngine } from './engine.js';
import { loadNativeYaraEngine } from './yara-x-native.js';
import { loadWasmYaraEngine } from './yara-x-wasm.js';

export type YaraEngineKind = 'native' | 'wasm';

export async function loadYaraEngine(kind?: YaraEngineKind): Promise<(YaraEngine & { kind: YaraEngineKind }) | { unavailable: string }> {
  const native = kind === 'wasm' ? { unavailable: 'not tried' } : await loadNativeYaraEngine();
  if (!('unavailable' in native)) return Object.assign(native, { kind: 'native' as const });
  if (kind === 'native') return native;
  const wasm = await loadWasmYaraEngine();
  if (!('unavailable' in wasm)) return Object.assign(wasm, { kind: 'wasm' as const });
  return { unavailable: `YARA is not available on ${process.platform}-${process.arch}: ${native.unavailable}; ${wasm.unavailable}. Files are checked by hash and heuristics without YARA rules` };
}
