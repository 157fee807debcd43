// Opens a discovered file for reading, wherever it lives (a plain file or a zip entry).
import { fileByteSource } from './bytes.js';
import type { ByteSource, FileRef } from './types.js';
import type { ZipReaderCache } from './zip.js';

export function openSource(ref: FileRef, zips: ZipReaderCache): Promise<ByteSource> {
  return ref.location.kind === 'fs' ? fileByteSource(ref.location.path) : zips.openEntry(ref.location.zipPath, ref.location.entryOffset);
}
