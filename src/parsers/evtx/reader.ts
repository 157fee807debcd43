// Walks an EVTX file chunk by chunk (64 KiB each, read sequentially, so a 4 GB file needs 64 KiB of
// buffer and works from a zip entry too) and hands out records. Like evtx_dump it trusts the file
// size over the header's chunk count, skips all-zero chunks, reads records from offset 512 up to the
// chunk's free-space offset and stops a chunk at a broken record header. Beyond that it recovers:
// records found afterwards in the chunk, or in a chunk whose signature is damaged, are parsed too and
// marked `recovered`. Checksums are verified (unless the file is dirty or says it has none) and a
// mismatch is reported, never fatal.
import { crc32 } from '../../core/crc32.js';
import type { ByteSource } from '../../sources/types.js';
import { ChunkBinXml, type Node, TOKEN } from './binxml.js';
import { EvtxFormatError } from './errors.js';
import { type JsonObject, JsonRenderer } from './render-json.js';
import { XmlRenderer } from './render-xml.js';
import { type SystemFacts, factsFromDoc, planFacts } from './system-facts.js';
import { fileTimeHalvesToIso, fileTimeHalvesToMs } from './values.js';

export const FILE_HEADER_SIZE = 4096;
export const CHUNK_SIZE = 65536;
const BLOCK_CHUNKS = 16;
const RECORD_MAGIC = 0x00002a2a;
const RECORD_SIGNATURE = Buffer.from([0x2a, 0x2a, 0x00, 0x00]);
const ZERO_CHUNK = Buffer.alloc(CHUNK_SIZE);

export interface EvtxRecord {
  /** Index of the chunk in the file (0-based). */
  readonly chunk: number;
  /** Byte offset of the record in the file. */
  readonly offset: number;
  /** Record identifier from the record header. */
  readonly id: number;
  /** Written time from the record header (ISO-8601, µs). */
  readonly written: string;
  readonly writtenMs: number;
  /** Found outside the chunk's live records (slack or a damaged chunk). */
  readonly recovered: boolean;
  /** Event id, provider, channel… read without rendering the record. */
  readonly system: SystemFacts;
  /**
   * The record as evtx_dump's JSON object (`{"Event": …}`), rendered on first use. Like `xml`,
   * only available during the record callback: the chunk's bytes are reused afterwards.
   */
  readonly event: JsonObject;
  /** The record as XML text, rendered on first use (see `event`). */
  readonly xml: string;
}

export type EvtxIssueCode = 'E_EVTX' | 'E_CHECKSUM' | 'E_TRUNCATED';

export interface EvtxHandler {
  record(r: EvtxRecord): void;
  issue(code: EvtxIssueCode, message: string, offset: number, record?: number): void;
  /** Awaited after each block of chunks (a writer can wait for its output to drain). */
  flush?(): Promise<void>;
}

export interface EvtxFileInfo {
  bytes: number;
  chunks: number;
  records: number;
  recovered: number;
  /** Record-shaped remnants in slack that could not be rendered (their template was overwritten). */
  unreadable: number;
  dirty: boolean;
  /** The header says the file carries no checksums. */
  noChecksums: boolean;
}

/** A 64-bit record number as a number (exact below 2^53, which record numbers never reach). */
function u64(buf: Buffer, p: number): number {
  return buf.readUInt32LE(p + 4) * 4294967296 + buf.readUInt32LE(p);
}

async function readFully(src: ByteSource, buf: Buffer): Promise<number> {
  let n = 0;
  while (n < buf.length) {
    const r = await src.read(buf, n, buf.length - n);
    if (r === 0) break;
    n += r;
  }
  return n;
}

export function isEvtx(head: Buffer): boolean {
  return head.length >= 8 && head.toString('latin1', 0, 8) === 'ElfFile\0';
}

class Rec implements EvtxRecord {
  private eventCache: JsonObject | undefined;
  private xmlCache: string | undefined;
  private factsCache: SystemFacts | undefined;

  constructor(
    private readonly walker: ChunkWalker,
    private readonly nodes: Node[],
    readonly offset: number,
    readonly id: number,
    private readonly lo: number,
    private readonly hi: number,
    readonly recovered: boolean,
    facts: SystemFacts | undefined,
    event: JsonObject | undefined,
  ) {
    this.factsCache = facts;
    this.eventCache = event;
  }

  get chunk(): number {
    return this.walker.index;
  }

  get written(): string {
    return fileTimeHalvesToIso(this.lo, this.hi);
  }

  get writtenMs(): number {
    return fileTimeHalvesToMs(this.lo, this.hi);
  }

  get system(): SystemFacts {
    this.factsCache ??= factsFromDoc(this.event);
    return this.factsCache;
  }

  get event(): JsonObject {
    this.eventCache ??= this.walker.renderJson(this);
    return this.eventCache;
  }

  get xml(): string {
    this.xmlCache ??= this.walker.renderXml(this);
    return this.xmlCache;
  }

  /** For the walker's renderers only. */
  get fragment(): Node[] {
    return this.nodes;
  }
}

class ChunkWalker {
  private readonly binxml: ChunkBinXml;
  private json: JsonRenderer | undefined;
  private xmlRenderer: XmlRenderer | undefined;
  /** False once the walk is over: the chunk's bytes may then be overwritten by the next block. */
  private live = true;

  constructor(
    private readonly buf: Buffer,
    readonly index: number,
    private readonly base: number,
    private readonly info: EvtxFileInfo,
    private readonly on: EvtxHandler,
  ) {
    this.binxml = new ChunkBinXml(buf);
  }

  private released(): never {
    throw new Error('EVTX record rendered after its callback returned (chunk data released)');
  }

  /** Renders a record's JSON; damage found only now (in nested binary XML) is reported, not thrown. */
  renderJson(r: Rec): JsonObject {
    if (!this.live) this.released();
    this.json ??= new JsonRenderer(this.binxml);
    try {
      return this.json.render(r.fragment);
    } catch (err) {
      if (!(err instanceof EvtxFormatError)) throw err;
      this.on.issue('E_EVTX', `record ${r.id} (chunk ${this.index}): ${err.message}`, r.offset, r.id);
      return {};
    }
  }

  renderXml(r: Rec): string {
    if (!this.live) this.released();
    this.xmlRenderer ??= new XmlRenderer(this.binxml);
    try {
      return this.xmlRenderer.render(r.fragment).xml;
    } catch (err) {
      if (!(err instanceof EvtxFormatError)) throw err;
      this.on.issue('E_EVTX', `record ${r.id} (chunk ${this.index}): ${err.message}`, r.offset, r.id);
      return '';
    }
  }

  private parseRecord(off: number, size: number, recovered: boolean): EvtxRecord {
    const id = u64(this.buf, off + 8);
    const nodes = this.binxml.fragment(off + 24, off + size - 4, false);
    // The usual record is one template instance whose System values can be read in place; any
    // other shape (and anything recovered from slack) is rendered now, which also proves it holds
    // an element.
    const planned = recovered ? undefined : planFacts(nodes);
    let top = planned?.root;
    let event: JsonObject | undefined;
    if (!planned) {
      this.json ??= new JsonRenderer(this.binxml);
      event = this.json.render(nodes);
      for (const k in event) {
        top = k;
        break;
      }
    }
    if (top === undefined) throw new EvtxFormatError('record holds no element');
    // Slack holds fragments of older records: a recovered one must at least be an event.
    if (recovered && top !== 'Event') throw new EvtxFormatError('not an event');
    return new Rec(this, nodes, this.base + off, id, this.buf.readUInt32LE(off + 16), this.buf.readUInt32LE(off + 20), recovered, planned?.facts, event);
  }

  /** Walks the chunk, then releases it (its records can no longer be rendered). */
  run(checkSums: boolean, beyondHeader: boolean): void {
    try {
      this.walk(checkSums, beyondHeader);
    } finally {
      this.live = false;
      this.binxml.released = true;
    }
  }

  private walk(checkSums: boolean, beyondHeader: boolean): void {
    const buf = this.buf;
    if (buf.equals(ZERO_CHUNK)) return;
    if (buf.toString('latin1', 0, 8) !== 'ElfChnk\0') {
      if (beyondHeader) {
        // Space after the chunks the header declares: often never used. Only records found there
        // are worth a word (reported once per file by the caller).
        this.recover(512, new Set());
        return;
      }
      this.on.issue('E_EVTX', `chunk ${this.index}: damaged chunk header (no ElfChnk signature); its records are recovered where possible`, this.base);
      this.recover(512, new Set());
      return;
    }
    this.info.chunks++;
    let freeSpace = buf.readUInt32LE(48);
    if (freeSpace < 512 || freeSpace > CHUNK_SIZE) {
      this.on.issue('E_EVTX', `chunk ${this.index}: free-space offset ${freeSpace} is outside the chunk; reading to its end`, this.base + 48);
      freeSpace = CHUNK_SIZE;
    }
    const chunkNoCrc = (buf.readUInt32LE(120) & 0x4) !== 0;
    if (checkSums && !chunkNoCrc) {
      const headerCrc = crc32(buf, 128, 512, crc32(buf, 0, 120));
      if (headerCrc !== buf.readUInt32LE(124)) this.on.issue('E_CHECKSUM', `chunk ${this.index}: header checksum mismatch (string or template table damaged?); parsed anyway`, this.base);
      if (crc32(buf, 512, freeSpace) !== buf.readUInt32LE(52)) this.on.issue('E_CHECKSUM', `chunk ${this.index}: record data checksum mismatch; parsed anyway`, this.base + 512);
    }
    const lastId = u64(buf, 32);
    const seen = new Set<number>();
    let off = 512;
    while (off + 24 <= freeSpace) {
      const size = buf.readUInt32LE(off + 4);
      if (buf.readUInt32LE(off) !== RECORD_MAGIC || size < 28 || off + size > CHUNK_SIZE) {
        this.on.issue('E_EVTX', `chunk ${this.index}: broken record header at chunk offset ${off}; the rest of the chunk is searched for records`, this.base + off);
        break;
      }
      const id = u64(buf, off + 8);
      let r: EvtxRecord | undefined;
      try {
        r = this.parseRecord(off, size, false);
      } catch (err) {
        this.on.issue('E_EVTX', `record ${id} (chunk ${this.index}): ${err instanceof Error ? err.message : String(err)}`, this.base + off, id);
      }
      if (r) {
        // Outside the try: a failing handler is the caller's bug, not a corrupt record.
        seen.add(id);
        this.info.records++;
        this.on.record(r);
      }
      off += size;
      if (id === lastId) break;
    }
    this.recover(off, seen);
  }

  /**
   * Cheap checks before a slack candidate is parsed: its data starts with a fragment header and a
   * template instance whose definition lies inside the chunk and is still the template it used.
   */
  private plausible(q: number, size: number): boolean {
    const buf = this.buf;
    if (size < 24 + 4 + 10 + 4 || buf[q + 24] !== TOKEN.FragmentHeader || (buf[q + 28]! & 0xbf) !== TOKEN.TemplateInstance) return false;
    const def = buf.readUInt32LE(q + 34);
    if (def < 512 || def + 24 > CHUNK_SIZE || def + 24 + buf.readUInt32LE(def + 20) > CHUNK_SIZE) return false;
    // A definition elsewhere in the chunk may since have been overwritten by another template: its
    // GUID starts with the instance's template id when it is still the one the record used.
    return def === q + 38 || buf.readUInt32LE(def + 4) === buf.readUInt32LE(q + 30);
  }

  /** Records whose signature, size and trailing size copy agree, after the live ones. */
  private recover(from: number, seen: Set<number>): void {
    // Most candidates in slack fail to parse; their errors are dropped, so skip the stack traces.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    this.binxml.strict = true;
    let found: EvtxRecord[];
    try {
      found = this.recoverFrom(from, seen);
    } finally {
      Error.stackTraceLimit = limit;
      this.binxml.strict = false;
    }
    for (const r of found) this.on.record(r);
  }

  private recoverFrom(from: number, seen: Set<number>): EvtxRecord[] {
    const found: EvtxRecord[] = [];
    const buf = this.buf;
    let q = buf.indexOf(RECORD_SIGNATURE, from);
    while (q !== -1 && q + 28 <= CHUNK_SIZE) {
      const size = buf.readUInt32LE(q + 4);
      if (size >= 28 && q + size <= CHUNK_SIZE && buf.readUInt32LE(q + size - 4) === size) {
        const id = u64(buf, q + 8);
        if (!seen.has(id) && this.plausible(q, size)) {
          let r: EvtxRecord | undefined;
          try {
            r = this.parseRecord(q, size, true);
          } catch {
            // A record-shaped remnant whose template or names were overwritten since: it cannot be
            // rendered truthfully, so it is only counted.
            this.info.unreadable++;
          }
          if (r) {
            seen.add(id);
            this.info.recovered++;
            found.push(r);
            q = buf.indexOf(RECORD_SIGNATURE, q + size);
            continue;
          }
        }
      }
      q = buf.indexOf(RECORD_SIGNATURE, q + 4);
    }
    return found;
  }
}

/** Reads every chunk of an EVTX file. Never throws for content problems. */
export async function readEvtx(src: ByteSource, on: EvtxHandler): Promise<EvtxFileInfo> {
  const info: EvtxFileInfo = { bytes: 0, chunks: 0, records: 0, recovered: 0, unreadable: 0, dirty: false, noChecksums: false };
  const header = Buffer.alloc(FILE_HEADER_SIZE);
  const hn = await readFully(src, header);
  info.bytes += hn;
  if (hn < 128 || !isEvtx(header)) {
    on.issue('E_EVTX', 'not an EVTX file (no ElfFile signature)', 0);
    return info;
  }
  const declaredChunks = header.readUInt16LE(42);
  const flags = header.readUInt32LE(120);
  info.dirty = (flags & 0x1) !== 0;
  info.noChecksums = (flags & 0x4) !== 0;
  const checkSums = !info.dirty && !info.noChecksums;
  if (checkSums && crc32(header, 0, 120) !== header.readUInt32LE(124)) on.issue('E_CHECKSUM', 'file header checksum mismatch; parsed anyway', 0);
  if (hn < FILE_HEADER_SIZE) {
    on.issue('E_TRUNCATED', `file ends inside its header (${hn} bytes)`, hn);
    return info;
  }
  // Chunks are read BLOCK_CHUNKS at a time into one reused buffer.
  const block = Buffer.alloc(CHUNK_SIZE * BLOCK_CHUNKS);
  let i = 0;
  let reportedBeyond = false;
  for (;;) {
    const n = await readFully(src, block);
    if (n === 0) break;
    info.bytes += n;
    for (let o = 0; o < n; o += CHUNK_SIZE, i++) {
      const chunk = block.subarray(o, o + CHUNK_SIZE);
      const base = FILE_HEADER_SIZE + i * CHUNK_SIZE;
      const len = Math.min(CHUNK_SIZE, n - o);
      if (len < CHUNK_SIZE) {
        on.issue('E_TRUNCATED', `chunk ${i} is cut short (${len} of ${CHUNK_SIZE} bytes); its complete records are read`, base + len);
        chunk.fill(0, len);
      }
      const beyond = declaredChunks > 0 && i >= declaredChunks;
      const before = info.recovered;
      new ChunkWalker(chunk, i, base, info, on).run(checkSums, beyond);
      if (beyond && info.recovered > before && !reportedBeyond) {
        reportedBeyond = true;
        on.issue('E_EVTX', `chunk ${i}: records found after the ${declaredChunks} chunk(s) the file header declares; read and marked recovered`, base);
      }
    }
    if (on.flush) await on.flush();
    if (n < block.length) break;
  }
  return info;
}
