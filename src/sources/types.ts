// What discovery hands to the scanning stage: a reference to one readable file, wherever it lives.
import type { InputInfo, ReportError, Skipped } from '../core/types.js';

export type FileLocation =
  | { kind: 'fs'; path: string }
  | { kind: 'zip'; zipPath: string; entryOffset: number };

export interface FileRef {
  /** Index into the discovered inputs. */
  input: number;
  /** Path relative to the input root, `/`-separated (`archive.zip/inner/path` for zips inside folders). */
  rel: string;
  size: number;
  mtimeMs?: number;
  location: FileLocation;
}

export interface Limits {
  /** Longest line a text parser accepts; longer lines are reported and skipped. */
  maxLineBytes: number;
  /** Zip entries whose uncompressed/compressed ratio exceeds this are refused. */
  maxZipRatio: number;
  /** Total uncompressed bytes accepted from one archive. */
  maxZipTotalBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxLineBytes: 1024 * 1024,
  maxZipRatio: 1000,
  maxZipTotalBytes: 256 * 1024 ** 3,
};

export interface Discovery {
  inputs: InputInfo[];
  files: FileRef[];
  /** Zip archives found inside folders: their entries are in `files`; the archive itself is a file too. */
  containers: FileRef[];
  errors: ReportError[];
  skipped: Skipped[];
}

/** Reads bytes sequentially from a file or a decompressed zip entry. */
export interface ByteSource {
  /** Fills `buf[offset…offset+length)` as far as it can; 0 means end of data. */
  read(buf: Buffer, offset: number, length: number): Promise<number>;
  close(): Promise<void>;
}
