// Zip archives are read in place: the central directory is listed, every entry is checked
// (path traversal, encryption, method, expansion ratio, overlapping data, total size) and then
// streamed through inflate on demand. Nothing is ever extracted to disk.
// yauzl is the zip reader the Node ecosystem relies on for untrusted archives; we take its
// raw names (decodeStrings: false) so that one hostile entry name refuses that entry, not the archive.
import path from 'node:path';
import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import { ERROR_CODES, errorMessage } from '../core/errors.js';
import type { ReportError, Skipped } from '../core/types.js';
import { streamByteSource } from './bytes.js';
import type { ByteSource, FileRef, Limits } from './types.js';

/** Entries one archive may list; beyond that it is a denial-of-service shape, not a collection. */
const MAX_ENTRIES = 200_000;

/** Entry-name check: relative, no `..`, no drive letter, no NUL. Returns the reason it is refused. */
export function unsafeEntryName(name: string): string | undefined {
  if (name.includes('\0')) return 'contains a NUL character';
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) return 'is an absolute path';
  if (name.split('/').includes('..')) return 'escapes the archive root (..)';
  return undefined;
}

interface ListedEntry {
  entry: Entry;
  name: string;
}

function openZip(zipPath: string): Promise<ZipFile> {
  return yauzl.openPromise(zipPath, {
    lazyEntries: true,
    autoClose: false,
    decodeStrings: false,
    validateEntrySizes: true,
    strictFileNames: false,
  });
}

async function readAllEntries(zip: ZipFile): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: Entry[] = [];
    zip.on('entry', (e: Entry) => {
      entries.push(e);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', reject);
    zip.readEntry();
  });
}

function entryName(e: Entry): string {
  const raw = e.fileNameRaw ?? (e.fileName as unknown as Buffer);
  return yauzl.getFileNameLowLevel(e.generalPurposeBitFlag, raw, e.extraFields, false);
}

export interface ZipListing {
  files: FileRef[];
  errors: ReportError[];
  skipped: Skipped[];
  uncompressedBytes: number;
}

/**
 * Lists the readable entries of an archive. `relPrefix` is prepended to entry names
 * (the archive's own path when it was found inside a folder).
 */
export async function listZip(zipPath: string, input: number, relPrefix: string, limits: Limits): Promise<ZipListing> {
  const out: ZipListing = { files: [], errors: [], skipped: [], uncompressedBytes: 0 };
  const where = relPrefix || path.basename(zipPath);
  let zip: ZipFile;
  let entries: Entry[];
  try {
    zip = await openZip(zipPath);
  } catch (err) {
    out.errors.push({ input, file: where, code: ERROR_CODES.zip, message: `cannot open zip archive: ${errorMessage(err)}` });
    return out;
  }
  try {
    entries = await readAllEntries(zip);
  } catch (err) {
    out.errors.push({ input, file: where, code: ERROR_CODES.zip, message: `corrupt zip central directory: ${errorMessage(err)}` });
    zip.close();
    return out;
  }
  zip.close();
  if (entries.length > MAX_ENTRIES) {
    out.errors.push({ input, file: where, code: ERROR_CODES.zipLimit, message: `zip archive refused: it lists ${entries.length} entries (limit ${MAX_ENTRIES})` });
    return out;
  }

  const prefix = relPrefix ? `${relPrefix}/` : '';
  const seenNames = new Map<string, number>();
  const accepted: ListedEntry[] = [];
  for (const entry of entries) {
    const name = entryName(entry);
    if (name.endsWith('/')) continue;
    // Two entries with one name would make evidence ambiguous: the later ones get a suffix.
    const n = (seenNames.get(name) ?? 0) + 1;
    seenNames.set(name, n);
    const rel = prefix + name + (n > 1 ? ` (duplicate ${n})` : '');
    const unsafe = unsafeEntryName(name);
    if (unsafe) {
      out.errors.push({ input, file: rel, code: ERROR_CODES.zipPath, message: `zip entry refused: its name ${unsafe}` });
      continue;
    }
    if (entry.isEncrypted()) {
      out.skipped.push({ input, file: rel, reason: 'encrypted zip entry' });
      continue;
    }
    if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
      out.skipped.push({ input, file: rel, reason: `zip compression method ${entry.compressionMethod} is not supported (only stored and deflate)` });
      continue;
    }
    const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
    if (entry.uncompressedSize > 1024 * 1024 && ratio > limits.maxZipRatio) {
      out.errors.push({
        input,
        file: rel,
        code: ERROR_CODES.zipLimit,
        message: `zip entry refused: expands ${Math.round(ratio)}:1 (limit ${limits.maxZipRatio}:1), a zip bomb`,
      });
      continue;
    }
    accepted.push({ entry, name: rel });
  }

  // Overlapping entries share compressed data: the "non-recursive zip bomb". Refuse every entry
  // whose data starts inside the previous entry's data.
  accepted.sort((a, b) => a.entry.relativeOffsetOfLocalHeader - b.entry.relativeOffsetOfLocalHeader);
  let prevEnd = -1;
  for (const { entry, name } of accepted) {
    const start = entry.relativeOffsetOfLocalHeader;
    if (start < prevEnd) {
      out.errors.push({ input, file: name, code: ERROR_CODES.zipLimit, message: 'zip entry refused: its data overlaps another entry (zip bomb)' });
      continue;
    }
    prevEnd = start + 30 + entry.compressedSize;
    if (out.uncompressedBytes + entry.uncompressedSize > limits.maxZipTotalBytes) {
      out.errors.push({
        input,
        file: name,
        code: ERROR_CODES.zipLimit,
        message: `zip entry refused: the archive would expand beyond ${limits.maxZipTotalBytes} bytes (--max-unzipped)`,
      });
      continue;
    }
    out.uncompressedBytes += entry.uncompressedSize;
    out.files.push({
      input,
      rel: name,
      size: entry.uncompressedSize,
      mtimeMs: entry.getLastModDate({ timezone: 'UTC' }).getTime(),
      location: { kind: 'zip', zipPath, entryOffset: start },
    });
  }
  out.files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return out;
}

/** Archives a scanning thread keeps open at once; a folder of hundreds of zipped logs must not exhaust file handles. */
const OPEN_ARCHIVES = 8;

/** Keeps the most recently used archives open so entries are found by offset in O(1). */
export class ZipReaderCache {
  private readonly open = new Map<string, Promise<{ zip: ZipFile; byOffset: Map<number, Entry> }>>();

  private get(zipPath: string) {
    let p = this.open.get(zipPath);
    if (p) {
      // Most recently used last; the least recently used is closed first.
      this.open.delete(zipPath);
      this.open.set(zipPath, p);
    } else {
      while (this.open.size >= OPEN_ARCHIVES) {
        const [oldest, old] = this.open.entries().next().value as [string, Promise<{ zip: ZipFile }>];
        this.open.delete(oldest);
        void old.then((o) => o.zip.close()).catch(() => undefined);
      }
      p = (async () => {
        const zip = await openZip(zipPath);
        const entries = await readAllEntries(zip);
        return { zip, byOffset: new Map(entries.map((e) => [e.relativeOffsetOfLocalHeader, e])) };
      })();
      this.open.set(zipPath, p);
    }
    return p;
  }

  async openEntry(zipPath: string, entryOffset: number): Promise<ByteSource> {
    const { zip, byOffset } = await this.get(zipPath);
    const entry = byOffset.get(entryOffset);
    if (!entry) throw new Error(`no zip entry at offset ${entryOffset}`);
    const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) => {
      zip.openReadStream(entry, (err, s) => (err || !s ? reject(err ?? new Error('no stream')) : resolve(s)));
    });
    return streamByteSource(stream);
  }

  async close(): Promise<void> {
    for (const p of this.open.values()) {
      try {
        (await p).zip.close();
      } catch {
        // an archive that failed to open has nothing to close
      }
    }
    this.open.clear();
  }
}
