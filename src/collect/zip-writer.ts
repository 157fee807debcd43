// The triage zip, written with yazl one entry at a time: each file is hashed (SHA-256) as it
// streams into the archive, so the source is read exactly once and only one file is open at a time.
import { createHash } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { Transform } from 'node:stream';
import { ZipFile } from 'yazl';

/** Deflate level 1: logs still shrink about tenfold, at a fraction of the CPU on a production server. */
const COMPRESSION_LEVEL = 1;

export interface StreamedEntry {
  bytes: number;
  sha256: string;
  /** A read error after the entry was started: the entry holds the bytes read before it. */
  readError?: unknown;
}

export class TriageZipWriter {
  private readonly zip = new ZipFile();
  private readonly failed: Promise<never>;
  private readonly written: Promise<void>;

  constructor(private readonly out: Writable) {
    this.failed = new Promise<never>((_, reject) => {
      out.once('error', reject);
      this.zip.once('error', reject);
    });
    // Observed through the races below; this only keeps an early failure from being "unhandled".
    this.failed.catch(() => undefined);
    // 'close', not 'finish': the file is complete and its handle released when this resolves.
    this.written = new Promise<void>((resolve) => out.once('close', () => resolve()));
    (this.zip.outputStream as Readable).pipe(out);
  }

  /** Adds `source` as `zipPath` and resolves once all of it is in the archive. */
  async addStream(zipPath: string, source: Readable, mtime: Date): Promise<StreamedEntry> {
    const hash = createHash('sha256');
    const result: StreamedEntry = { bytes: 0, sha256: '' };
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        result.bytes += chunk.length;
        cb(null, chunk);
      },
    });
    source.once('error', (err) => {
      result.readError = err;
      source.unpipe(tap);
      source.destroy();
      tap.end();
    });
    const consumed = new Promise<void>((resolve) => tap.once('end', () => resolve()));
    this.zip.addReadStream(tap, zipPath, { mtime, compressionLevel: COMPRESSION_LEVEL });
    source.pipe(tap);
    await Promise.race([consumed, this.failed]);
    result.sha256 = hash.digest('hex');
    return result;
  }

  addBuffer(zipPath: string, data: Buffer, mtime: Date): void {
    this.zip.addBuffer(data, zipPath, { mtime, compressionLevel: COMPRESSION_LEVEL });
  }

  /** Writes the central directory and waits until the output file is complete. */
  async finish(): Promise<void> {
    this.zip.end();
    await Promise.race([this.written, this.failed]);
  }

  abort(): void {
    this.out.destroy();
  }
}
