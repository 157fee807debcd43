// What a scanning thread needs, built from plain data so that worker threads can build their own.
import type { DetectionEngine } from '../detect/engine.js';
import { DetectionEngine as Engine } from '../detect/engine.js';
import type { Indicator } from '../detect/ioc/indicators.js';
import { iocDetector } from '../detect/ioc/detector.js';
import { PivotCollector, type PivotSpec } from '../detect/pivot.js';
import { DETECTORS } from '../detect/registry.js';
import { SigmaEngine } from '../detect/sigma/engine.js';
import type { SigmaRuleSet } from '../detect/sigma/ruleset.js';
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
  /** IP and user-agent indicators for the log IOC detector. */
  iocs?: Indicator[];
  /** The pivot pass: no detection, only the attacker's other records. */
  pivot?: PivotSpec;
}

/** `compiled`: the Sigma rules already compiled from `init.sigma` in this thread, if any. */
export function createEngine(init: ScanInit, compiled?: SigmaRuleSet): DetectionEngine {
  const ctx = init.exchangePath ? { exchangePath: init.exchangePath } : {};
  if (init.pivot) return new Engine([], ctx, { since: init.since, until: init.until }, undefined, new PivotCollector(init.pivot));
  const sigma = compiled ? new SigmaEngine(compiled) : init.sigma ? sigmaEngine(init.sigma) : undefined;
  const ioc = init.iocs ? iocDetector(init.iocs) : undefined;
  return new Engine(ioc ? [...DETECTORS, ioc] : DETECTORS, ctx, { since: init.since, until: init.until }, sigma);
}

export function createScanEnv(init: ScanInit, compiled?: SigmaRuleSet): ScanEnv {
  const chunk = Math.max(init.chunkBytes ?? DEFAULT_CHUNK_BYTES, init.limits.maxLineBytes * 2 + 2);
  return { engine: createEngine(init, compiled), skipRecovered: init.skipRecovered === true, limits: init.limits, zips: new ZipReaderCache(), chunkBytes: chunk, buffers: [Buffer.allocUnsafe(chunk), Buffer.allocUnsafe(chunk)] };
}
