// What a scanning thread needs, built from plain data so that worker threads can build their own.
import type { DetectionEngine } from '../detect/engine.js';
import { DetectionEngine as Engine } from '../detect/engine.js';
import { DETECTORS } from '../detect/registry.js';
import { type SigmaSetup, sigmaEngine } from '../detect/sigma/setup.js';
import type { Limits } from '../sources/types.js';
import { ZipReaderCache } from '../sources/zip.js';
import type { ScanEnv } from './process-file.js';

const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

/** Structured-cloneable settings for a scanning thread. */
export interface ScanInit {
  limits: Limits;
  exchangePath?: string;
  since?: number;
  until?: number;
  chunkBytes?: number;
  /** Leave out EVTX records recovered from slack space. */
  skipRecovered?: boolean;
  /** Sigma rules to run beside the built-in detectors. */
  sigma?: SigmaSetup;
}

export function createEngine(init: ScanInit): DetectionEngine {
  const ctx = init.exchangePath ? { exchangePath: init.exchangePath } : {};
  return new Engine(DETECTORS, ctx, { since: init.since, until: init.until }, init.sigma ? sigmaEngine(init.sigma) : undefined);
}

export function createScanEnv(init: ScanInit): ScanEnv {
  const chunk = Math.max(init.chunkBytes ?? DEFAULT_CHUNK_BYTES, init.limits.maxLineBytes * 2 + 2);
  return { engine: createEngine(init), skipRecovered: init.skipRecovered === true, limits: init.limits, zips: new ZipReaderCache(), chunkBytes: chunk, buffers: [Buffer.allocUnsafe(chunk), Buffer.allocUnsafe(chunk)] };
}
