// Sequential byte readers over a plain file or a stream (a decompressing zip entry), so that the
// line scanner fills its own reusable buffer in both cases.
import { open } from 'node:fs/promises';
import type { ByteSource } from './types.js';

export async function fileByteSource(path: string): Promise<ByteSource> {
  const fh = await open(path, 'r');
  return {
    async read(buf, offset, length) {
      const { bytesRead } = await fh.read(buf, offset, length, null);
      return bytesRead;
    },
    close: () => fh.close(),
  };
}

export function streamByteSource(stream: NodeJS.ReadableStream): ByteSource {
  const it = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  let pending: Buffer | undefined;
  let pendingPos = 0;
  let done = false;
  return {
    async read(buf, offset, length) {
      let written = 0;
      while (written < length) {
        if (!pending || pendingPos >= pending.length) {
          if (done) break;
          // Return what we have rather than wait for more when the caller already got bytes.
          if (written > 0 && written >= Math.min(length, 64 * 1024)) break;
          const next = await it.next();
          if (next.done) {
            done = true;
            break;
          }
          pending = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
          pendingPos = 0;
          continue;
        }
        const n = Math.min(length - written, pending.length - pendingPos);
        pending.copy(buf, offset + written, pendingPos, pendingPos + n);
        pendingPos += n;
        written += n;
      }
      return written;
    },
    async close() {
      if (!done) {
        done = true;
        await it.return?.();
      }
      const s = stream as unknown as { destroy?: () => void };
      s.destroy?.();
    },
  };
}

/** Reads up to `n` bytes from the start of a source (fewer when it ends first). */
export async function readHead(src: ByteSource, n: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(n);
  let got = 0;
  while (got < n) {
    const r = await src.read(buf, got, n - got);
    if (r === 0) break;
    got += r;
  }
  return buf.subarray(0, got);
}

/** Replays bytes already read (for sniffing), then continues with the source. */
export function withPrefix(prefix: Buffer, src: ByteSource): ByteSource {
  let pos = 0;
  return {
    async read(buf, offset, length) {
      if (pos < prefix.length) {
        const n = Math.min(length, prefix.length - pos);
        prefix.copy(buf, offset, pos, pos + n);
        pos += n;
        return n;
      }
      return src.read(buf, offset, length);
    },
    close: () => src.close(),
  };
}

/** A source over bytes in memory, handing out at most `step` bytes per read. */
export function bufferByteSource(data: Buffer, step = Infinity): ByteSource {
  let pos = 0;
  return {
    async read(buf, offset, length) {
      const n = Math.min(length, data.length - pos, step);
      data.copy(buf, offset, pos, pos + n);
      pos += n;
      return n;
    },
    async close() {},
  };
}
