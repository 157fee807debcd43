// What a file is, from its first bytes: the kinds the sweep reasons about (memory dumps, archives,
// mailbox exports, certificates, executables). The name can lie; the magic rarely does.

export type Magic = 'minidump' | 'zip' | '7z' | 'rar' | 'cab' | 'gzip' | 'pst' | 'der' | 'pe' | 'none';

const SIGNATURES: readonly [Magic, readonly number[]][] = [
  ['minidump', [0x4d, 0x44, 0x4d, 0x50]], // MDMP
  ['zip', [0x50, 0x4b, 0x03, 0x04]],
  ['zip', [0x50, 0x4b, 0x05, 0x06]],
  ['7z', [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]],
  ['rar', [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07]],
  ['cab', [0x4d, 0x53, 0x43, 0x46]], // MSCF
  ['gzip', [0x1f, 0x8b]],
  ['pst', [0x21, 0x42, 0x44, 0x4e]], // !BDN: Outlook PST/OST
  ['der', [0x30, 0x82]],
  ['pe', [0x4d, 0x5a]], // MZ
];

export function sniffMagic(head: Buffer): Magic {
  for (const [kind, sig] of SIGNATURES) {
    if (head.length >= sig.length && sig.every((b, i) => head[i] === b)) return kind;
  }
  return 'none';
}

export const ARCHIVE_MAGIC: ReadonlySet<Magic> = new Set(['zip', '7z', 'rar', 'cab', 'gzip']);
export const ARCHIVE_EXTENSIONS: ReadonlySet<string> = new Set(['7z', 'zip', 'rar', 'cab', 'gz', 'tgz', 'tar']);
/** Names a memory dump normally has; anything else hides what it is. */
export const DUMP_EXTENSIONS: ReadonlySet<string> = new Set(['dmp', 'mdmp', 'hdmp']);
