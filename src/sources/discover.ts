// Input discovery: single files, folders (walked without following links out of the root or
// round in loops) and zip archives (top-level or found inside folders), into one list of FileRefs.
import { lstat, open, opendir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { ERROR_CODES, InputError, errorMessage } from '../core/errors.js';
import type { InputInfo } from '../core/types.js';
import type { Discovery, Limits } from './types.js';
import { listZip } from './zip.js';

const ZIP_MAGIC = Buffer.from('PK\x03\x04', 'latin1');
const EMPTY_ZIP_MAGIC = Buffer.from('PK\x05\x06', 'latin1');

async function looksLikeZip(file: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(file, 'r');
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    return bytesRead === 4 && (head.equals(ZIP_MAGIC) || head.equals(EMPTY_ZIP_MAGIC));
  } catch {
    return false;
  } finally {
    await fh?.close();
  }
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function relJoin(parent: string, name: string): string {
  return parent ? `${parent}/${name}` : name;
}

async function addZip(zipPath: string, input: number, relPrefix: string, limits: Limits, out: Discovery, info: InputInfo) {
  const listing = await listZip(zipPath, input, relPrefix, limits);
  out.files.push(...listing.files);
  out.errors.push(...listing.errors);
  out.skipped.push(...listing.skipped);
  info.files += listing.files.length;
  info.bytes += listing.uncompressedBytes;
}

// Symbolic links are never followed: a link out of the root could read the examiner's own disk, a
// link inside it points at something the walk reaches by its real path anyway (and links are how
// loops happen). Each link is listed under `skipped` with where it points.
async function walkDirectory(root: string, input: number, limits: Limits, out: Discovery, info: InputInfo) {
  const rootReal = await realpath(root);
  const stack: { abs: string; rel: string }[] = [{ abs: root, rel: '' }];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let names: { name: string; isLink: boolean; isDir: boolean; isFile: boolean }[];
    try {
      const handle = await opendir(dir.abs);
      names = [];
      for await (const d of handle) {
        names.push({ name: d.name, isLink: d.isSymbolicLink(), isDir: d.isDirectory(), isFile: d.isFile() });
      }
    } catch (err) {
      out.errors.push({ input, file: dir.rel || '.', code: ERROR_CODES.read, message: `cannot list folder: ${errorMessage(err)}` });
      continue;
    }
    // Sorted so that discovery order, and so every listing derived from it, is stable.
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: typeof stack = [];
    for (const ent of names) {
      const abs = path.join(dir.abs, ent.name);
      const rel = relJoin(dir.rel, ent.name);
      let { isDir, isFile } = ent;
      if (ent.isLink) {
        let target: string;
        try {
          target = await realpath(abs);
        } catch (err) {
          out.skipped.push({ input, file: rel, reason: `broken symbolic link (${errorMessage(err)})` });
          continue;
        }
        out.skipped.push({
          input,
          file: rel,
          reason: isInside(rootReal, target)
            ? `symbolic link to ${path.relative(rootReal, target).split(path.sep).join('/') || '.'} inside the input; read there, not through the link`
            : 'symbolic link to a place outside the input folder; not followed',
        });
        continue;
      }
      if (!isDir && !isFile) {
        // Some file systems report DT_UNKNOWN; ask lstat.
        try {
          const st = await lstat(abs);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          // falls through to "not a regular file"
        }
      }
      if (isDir) {
        subdirs.push({ abs, rel });
        continue;
      }
      if (!isFile) {
        out.skipped.push({ input, file: rel, reason: 'not a regular file' });
        continue;
      }
      let size: number;
      let mtimeMs: number;
      try {
        const st = await stat(abs);
        size = st.size;
        mtimeMs = st.mtimeMs;
      } catch (err) {
        out.errors.push({ input, file: rel, code: ERROR_CODES.read, message: `cannot read: ${errorMessage(err)}` });
        continue;
      }
      if (/\.zip$/i.test(ent.name) && (await looksLikeZip(abs))) {
        out.containers.push({ input, rel, size, mtimeMs, location: { kind: 'fs', path: abs } });
        await addZip(abs, input, rel, limits, out, info);
        continue;
      }
      out.files.push({ input, rel, size, mtimeMs, location: { kind: 'fs', path: abs } });
      info.files += 1;
      info.bytes += size;
    }
    // Depth-first in name order: push in reverse so the first name is walked first.
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!);
  }
}

/** Resolves every path the user gave. A path that does not exist is a usage problem (InputError). */
export async function discoverInputs(paths: readonly string[], limits: Limits): Promise<Discovery> {
  const out: Discovery = { inputs: [], files: [], containers: [], errors: [], skipped: [] };
  for (const p of paths) {
    let st;
    try {
      st = await stat(p);
    } catch (err) {
      throw new InputError(`${p}: cannot open input (${errorMessage(err)})`);
    }
    const input = out.inputs.length;
    if (st.isDirectory()) {
      const info: InputInfo = { path: p, kind: 'directory', files: 0, bytes: 0 };
      out.inputs.push(info);
      await walkDirectory(p, input, limits, out, info);
    } else if (st.isFile() && (await looksLikeZip(p))) {
      const info: InputInfo = { path: p, kind: 'zip', files: 0, bytes: 0 };
      out.inputs.push(info);
      await addZip(p, input, '', limits, out, info);
    } else if (st.isFile()) {
      out.inputs.push({ path: p, kind: 'file', files: 1, bytes: st.size });
      out.files.push({ input, rel: path.basename(p), size: st.size, mtimeMs: st.mtimeMs, location: { kind: 'fs', path: p } });
    } else {
      throw new InputError(`${p}: not a file, folder or zip archive`);
    }
  }
  return out;
}

