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
