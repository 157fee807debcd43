// A minimal zip writer for generated collections (the demo) and hostile test archives: stored or
// deflated entries, fixed timestamps, and the lies tests need (sizes, overlapping entries).
import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../../src/core/crc32.js';

export interface ZipEntrySpec {
  name: string;
  data: Buffer | string;
  /** Store uncompressed instead of deflating. */
  store?: boolean;
  /** Lie about the uncompressed size in the headers. */
  declaredSize?: number;
  /** Point this entry's central-directory record at another entry's local header (overlap). */
  shareDataWith?: number;
  /** Modification time, stored as a DOS date and time in UTC (default: 1980-01-01 00:00). */
  mtime?: Date;
}

/** DOS time and date words of `d`, read as UTC (exhunt reads zip times as UTC). */
function dosTime(d: Date | undefined): [number, number] {
  if (!d) return [0, 0x21];
  return [(d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1), ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate()];
}

/** Builds a zip archive in memory, byte for byte the same each time; every field is under the caller's control. */
export function buildZip(entries: ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  const offsets: number[] = [];
  let offset = 0;
  const specs = entries.map((e) => {
    const raw = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data);
    const comp = e.store ? raw : deflateRawSync(raw);
    return { e, raw, comp, name: Buffer.from(e.name, 'utf8') };
  });
  for (const { e, raw, comp, name } of specs) {
    if (e.shareDataWith !== undefined) {
      offsets.push(offsets[e.shareDataWith]!);
      continue;
    }
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(20, 4);
    h.writeUInt16LE(0x800, 6);
    h.writeUInt16LE(e.store ? 0 : 8, 8);
    const [time, date] = dosTime(e.mtime);
    h.writeUInt16LE(time, 10);
    h.writeUInt16LE(date, 12);
    h.writeUInt32LE(crc32(raw), 14);
    h.writeUInt32LE(comp.length, 18);
    h.writeUInt32LE(e.declaredSize ?? raw.length, 22);
    h.writeUInt16LE(name.length, 26);
    offsets.push(offset);
    locals.push(h, name, comp);
    offset += h.length + name.length + comp.length;
  }
  specs.forEach(({ e, raw, comp, name }, i) => {
    const src = e.shareDataWith !== undefined ? specs[e.shareDataWith]! : { e, raw, comp };
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(0x800, 8);
    c.writeUInt16LE(src.e.store ? 0 : 8, 10);
    const [time, date] = dosTime(src.e.mtime);
    c.writeUInt16LE(time, 12);
    c.writeUInt16LE(date, 14);
    c.writeUInt32LE(crc32(src.raw), 16);
    c.writeUInt32LE(src.comp.length, 20);
    c.writeUInt32LE(src.e.declaredSize ?? src.raw.length, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE(offsets[i]!, 42);
    centrals.push(c, name);
  });
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
