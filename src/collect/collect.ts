// `exhunt collect`: on the Exchange server, gather what `exhunt hunt` reads into one zip with a
// manifest of SHA-256 hashes. Read-only on the evidence: files are opened for reading only, event
// logs are exported by wevtutil into a private temporary folder that is removed afterwards, and
// the zip may not be written inside a folder being collected.
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { type Clock, systemClock } from '../core/clock.js';
import { InputError, errorMessage } from '../core/errors.js';
import { TOOL_VERSION } from '../core/version.js';
import type { CollectHost } from './host.js';
import { type NotCollected, type Plan, describeFsError, fileCapReason, formatBytes, planCollection } from './plan.js';
import { eventLogFileName, eventLogZipPath, isInsideOrEqual } from './winpath.js';
import { TriageZipWriter } from './zip-writer.js';

export const EVENT_LOG_CHANNELS: readonly string[] = [
  'Application',
  'Security',
  'System',
  'MSExchange Management',
  'Microsoft-Windows-Sysmon/Operational',
  'Microsoft-Windows-Windows Defender/Operational',
];
export const DEFAULT_MAX_FILE_SIZE = 2 * 1024 ** 3;
export const DEFAULT_MAX_TOTAL_SIZE = 20 * 1024 ** 3;
export const MANIFEST_NAME = 'manifest.json';

export interface CollectProgress {
  filesDone: number;
  filesPlanned: number;
  bytesDone: number;
  current: string;
}

export interface CollectOptions {
  output: string;
  force?: boolean;
  exchangePath?: string | undefined;
  /** Only log files modified at or after this time (ms since the epoch); event logs are always whole. */
  since?: number | undefined;
  maxFileSize?: number | undefined;
  maxTotalSize?: number | undefined;
  clock?: Clock;
  onProgress?: (p: CollectProgress) => void;
}

export interface ManifestFile {
  zipPath: string;
  /** The Windows path, or `eventlog:<channel>` for an exported event log. */
  sourcePath: string;
  size: number;
  mtime: string;
  sha256: string;
  /** Set when only part of the file could be read; the entry holds that part. */
  incomplete?: string;
}

export interface Manifest {
  collector: string;
  toolVersion: string;
  host: string;
  startTime: string;
  endTime: string;
  options: {
    output: string;
    exchangePath: string;
    exchangePathFrom: Plan['exchangePathFrom'];
    since: string | null;
    maxFileSize: number;
    maxTotalSize: number;
  };
  searched: Plan['searched'];
  eventLogChannels: readonly string[];
  totals: { files: number; bytes: number; notCollected: number; olderThanSince: number };
  files: ManifestFile[];
  notCollected: NotCollected[];
}

export interface CollectResult {
  output: string;
  manifest: Manifest;
}

interface FileToAdd {
  sourcePath: string;
  /** Where to read it: the source itself, or a temporary event-log export. */
  readPath: string;
  zipPath: string;
  size: number;
  mtimeMs: number;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

async function openOutput(file: string, force: boolean): Promise<WriteStream> {
  const out = createWriteStream(file, { flags: force ? 'w' : 'wx' });
  try {
    await new Promise<void>((resolve, reject) => {
      out.once('open', () => resolve());
      out.once('error', reject);
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new InputError(`${file} already exists; add --force to overwrite it`);
    throw new InputError(`--output ${file}: ${errorMessage(err)}`);
  }
  return out;
}

/** The running collection: what is in the zip so far, and what could not be added. */
class Collection {
  readonly files: ManifestFile[] = [];
  readonly notCollected: NotCollected[];
  bytes = 0;
  private done = 0;

  constructor(
    private readonly host: CollectHost,
    private readonly zip: TriageZipWriter,
    private readonly caps: { maxFileSize: number; maxTotalSize: number },
    private readonly planned: number,
    notCollected: NotCollected[],
    private readonly onProgress?: (p: CollectProgress) => void,
  ) {
    this.notCollected = [...notCollected];
  }

  skip(sourcePath: string, reason: string): void {
    this.notCollected.push({ sourcePath, reason });
    this.done++;
  }

  async add(f: FileToAdd): Promise<void> {
    const overFile = fileCapReason(f.size, this.caps.maxFileSize);
    if (overFile) return this.skip(f.sourcePath, overFile);
    if (this.bytes + f.size > this.caps.maxTotalSize) {
      return this.skip(f.sourcePath, `${formatBytes(f.size)}: the --max-total-size cap of ${formatBytes(this.caps.maxTotalSize)} is reached`);
    }
    this.onProgress?.({ filesDone: this.done, filesPlanned: this.planned, bytesDone: this.bytes, current: f.sourcePath });
    let source;
    try {
      source = await this.host.openRead(f.readPath, f.size);
    } catch (err) {
      return this.skip(f.sourcePath, describeFsError(err));
    }
    const r = await this.zip.addStream(f.zipPath, source, new Date(f.mtimeMs));
    const entry: ManifestFile = { zipPath: f.zipPath, sourcePath: f.sourcePath, size: r.bytes, mtime: iso(f.mtimeMs), sha256: r.sha256 };
    this.files.push(entry);
    this.bytes += r.bytes;
    if (r.readError !== undefined) entry.incomplete = `read failed after ${r.bytes} of ${f.size} bytes: ${describeFsError(r.readError)}`;
    else if (r.bytes < f.size) entry.incomplete = `shrank while being copied: ${r.bytes} of ${f.size} bytes`;
    if (entry.incomplete) this.skip(f.sourcePath, `${entry.incomplete}; the zip holds the part read`);
    else this.done++;
  }

  /** Each channel exported into `tempDir`, added, and its export deleted before the next one. */
  async addEventLogs(tempDir: string): Promise<void> {
    for (const channel of EVENT_LOG_CHANNELS) {
      const sourcePath = `eventlog:${channel}`;
      const dest = path.win32.join(tempDir, eventLogFileName(channel));
      const outcome = await this.host.exportEventLog(channel, dest);
      if (!outcome.ok) {
        this.skip(sourcePath, outcome.missing ? 'event log channel not found on this server' : `wevtutil epl failed: ${outcome.message}`);
        continue;
      }
      try {
        const st = await this.host.lstat(dest).catch((err: unknown) => describeFsError(err));
        if (typeof st === 'string') this.skip(sourcePath, `exported by wevtutil but not readable: ${st}`);
        else await this.add({ sourcePath, readPath: dest, zipPath: eventLogZipPath(channel), size: st.size, mtimeMs: st.mtimeMs });
      } finally {
        await this.host.removeTemp(dest);
      }
    }
  }
}

export async function collectTriage(host: CollectHost, opts: CollectOptions): Promise<CollectResult> {
  if (host.platform !== 'win32') {
    throw new InputError(`collect must run on the Exchange server itself (Windows), not on ${host.platform}; to hunt a copied collection use "exhunt hunt PATH"`);
  }
  const clock = opts.clock ?? systemClock;
  const startTime = clock.now();
  const caps = { maxFileSize: opts.maxFileSize ?? DEFAULT_MAX_FILE_SIZE, maxTotalSize: opts.maxTotalSize ?? DEFAULT_MAX_TOTAL_SIZE };
  const plan = await planCollection(host, { exchangePath: opts.exchangePath, since: opts.since, maxFileSize: caps.maxFileSize });
  const output = host.absolutePath(opts.output);
  const evidence = plan.evidenceFolders.find((f) => isInsideOrEqual(f, output));
  if (evidence) throw new InputError(`--output ${output} is inside ${evidence}, which is being collected; write the zip to another folder or drive`);

  const out = await openOutput(opts.output, opts.force === true);
  const zip = new TriageZipWriter(out);
  try {
    const c = new Collection(host, zip, caps, EVENT_LOG_CHANNELS.length + plan.files.length, plan.notCollected, opts.onProgress);
    const tempDir = await host.makeTempDir();
    try {
      await c.addEventLogs(tempDir);
    } finally {
      await host.removeTemp(tempDir);
    }
    for (const f of plan.files) await c.add({ ...f, readPath: f.sourcePath });
    const endTime = clock.now();
    const manifest: Manifest = {
      collector: 'exhunt collect',
      toolVersion: TOOL_VERSION,
      host: host.hostName(),
      startTime: iso(startTime),
      endTime: iso(endTime),
      options: {
        output,
        exchangePath: plan.exchangePath,
        exchangePathFrom: plan.exchangePathFrom,
        since: opts.since !== undefined ? iso(opts.since) : null,
        ...caps,
      },
      searched: plan.searched,
      eventLogChannels: EVENT_LOG_CHANNELS,
      totals: { files: c.files.length, bytes: c.bytes, notCollected: c.notCollected.length, olderThanSince: plan.olderThanSince },
      files: c.files,
      notCollected: c.notCollected,
    };
    zip.addBuffer(MANIFEST_NAME, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), new Date(endTime));
    await zip.finish();
    return { output, manifest };
  } catch (err) {
    // A half-written zip is not evidence; the examiner reruns.
    zip.abort();
    await rm(opts.output, { force: true });
    throw err;
  }
}
