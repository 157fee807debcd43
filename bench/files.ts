// `npm run bench:files`: the file sweep (`exhunt scan-files`) against the YARA CLI (Debian's yara)
// on the same corpus, in the same run.
//
// 1. Builds, once (cached under os.tmpdir()), a synthetic Exchange web tree: the relative paths of
//    the FrontEnd\HttpProxy and ClientAccess entries of Microsoft's baseline for 15.2.858.5
//    (../shared/reference/data/exchange-baselines), laid out as
//    `EXCHnn/Program Files/Microsoft/Exchange Server/V15/...`, with deterministic pseudo-random
//    content shaped like each file type (ASP.NET markup, JS, CSS, XML/config, JSON; PNG/GIF/PE/font
//    headers over random bytes for binaries), 2–60 KB a text file (log-uniform). Whole copies of the
//    tree (one per server) are added until the corpus reaches EXHUNT_BENCH_FILES_MB (default 300) MB.
// 2. Plants the web shells of EXHUNT_BENCH_SHELLS (default /work/bench-data/shells, when present)
//    in FrontEnd/HttpProxy/owa/auth of the first server, refreshed on every run.
// 3. Reads every file once so every tool works from the page cache, then times, best of
//    EXHUNT_BENCH_RUNS (default 3), each in a fresh process:
//    a. `exhunt scan-files CORPUS --no-builtin-yara` (hashes and heuristics, no YARA);
//    b. exhunt with its built-in rules, and `yara -r -w -p 2` (Debian's yara) with the same files;
//    c. when EXHUNT_BENCH_YARA (default /work/bench-data/signature-base/yara) is a folder: the rule
//       files of it that Debian's yara compiles, concatenated into one file, given to both
//       (`exhunt --no-builtin-yara --yara FILE` and yara).
// 4. Prints files/s, MB/s, peak RSS and, per rule set, the ratio exhunt/yara of wall times.
//
// scan-files exits 0 (nothing found) or 1 (findings): both are a successful run.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../tools/corpus/rng.js';
import { listFiles, timed, warm, type Timed } from './measure.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const MB = 1e6;
const KB = 1024;
const targetMb = Number(process.env['EXHUNT_BENCH_FILES_MB'] ?? '300');
const runs = Number(process.env['EXHUNT_BENCH_RUNS'] ?? '3');
const shellsDir = process.env['EXHUNT_BENCH_SHELLS'] ?? '/work/bench-data/shells';
const yaraDirEnv = process.env['EXHUNT_BENCH_YARA'];
const yaraDir = yaraDirEnv ?? '/work/bench-data/signature-base/yara';
const baselineCsv = path.resolve(repo, '..', 'shared', 'reference', 'data', 'exchange-baselines', 'baseline_15.2.858.5.csv');
/** Bump when the generator changes, so a stale cached corpus is not reused. */
const GENERATOR_VERSION = 2;
const benchRoot = path.join(tmpdir(), 'exhunt-bench-files');
const corpusRoot = path.join(benchRoot, `web-${targetMb}mb-v${GENERATOR_VERSION}`);
const INSTALL = ['Program Files', 'Microsoft', 'Exchange Server', 'V15'];
/** The variables signature-base's rules expect from THOR/LOKI; yara needs them defined to compile. */
const EXTERNALS = ['filename', 'filepath', 'extension', 'filetype', 'owner'];
const SHELL_EXTENSIONS = new Set(['aspx', 'ashx', 'asmx', 'asax', 'ascx', 'asp', 'cs', 'cshtml', 'config', 'master']);

// ---------------------------------------------------------------------------------------------
// Deterministic content

function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const WORDS = (
  'mailbox folder item calendar message recipient owa settings theme user logon session view pane list grid ribbon command ' +
  'button label panel header footer navigation search filter sort options culture resource string locale timezone attachment ' +
  'preview reading compose reply forward move copy flag category importance sensitivity rule junk inbox sent drafts outbox ' +
  'contacts tasks notes journal shared delegate permission policy quota sync device mobile autodiscover admin role group member ' +
  'organization domain certificate connector transport queue database server virtual directory authentication forms basic oauth ' +
  'token canary cookie handler module config section binding endpoint service contract behavior scroll popup menu dialog toolbar ' +
  'status progress error warning info tooltip layout column row cell width height offset index count value text title display'
).split(' ');
const SENTENCE_WORDS = (
  'the a of to and in is for on that with as by this be are from at or an it not your can you will which has have was all more ' +
  'when select choose folder message mailbox settings change save apply cancel open close account sign out options help'
).split(' ');

function cap(w: string): string {
  return w.charAt(0).toUpperCase() + w.slice(1);
}
function ident(r: Rng): string {
  const n = 1 + r.int(3);
  let s = r.pick(WORDS);
  for (let i = 1; i < n; i++) s += cap(r.pick(WORDS));
  return r.int(5) === 0 ? `${s}${r.int(100)}` : s;
}
function pascal(r: Rng): string {
  return cap(ident(r));
}
function sentence(r: Rng): string {
  const n = 4 + r.int(12);
  const w: string[] = [];
  for (let i = 0; i < n; i++) w.push(r.pick(SENTENCE_WORDS));
  return `${cap(w.join(' '))}.`;
}
function hex(r: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[r.int(16)];
  return s;
}

type Kind = 'aspx' | 'js' | 'css' | 'xml' | 'json' | 'html' | 'ini' | 'binary';

const BINARY_MAGIC: Record<string, Buffer> = {
  png: Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
  gif: Buffer.from('GIF89a', 'latin1'),
  jpg: Buffer.from('ffd8ffe000104a464946', 'hex'),
  ico: Buffer.from('00000100', 'hex'),
  cur: Buffer.from('00000200', 'hex'),
  dll: Buffer.from('4d5a90000300000004000000ffff0000', 'hex'),
  exe: Buffer.from('4d5a90000300000004000000ffff0000', 'hex'),
  ttf: Buffer.from('0001000000', 'hex'),
  woff: Buffer.from('wOFF', 'latin1'),
  woff2: Buffer.from('wOF2', 'latin1'),
  eot: Buffer.from('00000000', 'hex'),
  svgz: Buffer.from('1f8b08', 'hex'),
  wav: Buffer.from('RIFF', 'latin1'),
  mp3: Buffer.from('ID3', 'latin1'),
  zip: Buffer.from('504b0304', 'hex'),
  cab: Buffer.from('MSCF', 'latin1'),
  msi: Buffer.from('d0cf11e0a1b11ae1', 'hex'),
};

function kindOf(ext: string): Kind {
  if (ext in BINARY_MAGIC) return 'binary';
  switch (ext) {
    case 'aspx': case 'ascx': case 'asax': case 'ashx': case 'asmx': case 'master': case 'svc': case 'cshtml':
      return 'aspx';
    case 'js':
      return 'js';
    case 'css': case 'less':
      return 'css';
    case 'json': case 'map':
      return 'json';
    case 'htm': case 'html':
      return 'html';
    case 'ini': case 'txt': case 'inf':
      return 'ini';
    default:
      return 'xml'; // xml, config, xsd, xaml, resx, svg, wsdl, …
  }
}

/** Line generators per kind; each call makes one line (without its newline). */
const LINES: Record<Exclude<Kind, 'binary'>, ((r: Rng) => string)[]> = {
  aspx: [
    (r) => `    <div id="${ident(r)}" class="${ident(r)} ${ident(r)}"><asp:Label ID="${pascal(r)}" runat="server" Text="<%$ Resources:${pascal(r)} %>" /></div>`,
    (r) => `    <% if (this.${pascal(r)}) { %>`,
    () => '    <% } %>',
    (r) => `        <span class="${ident(r)}"><%= Utilities.HtmlEncode(this.${pascal(r)}.${pascal(r)}) %></span>`,
    (r) => `    <script type="text/javascript" src="<%= ResourcePath %>scripts/${ident(r)}.js"></script>`,
    (r) => `    <table class="${ident(r)}" cellpadding="0" cellspacing="0"><tr><td class="${ident(r)}">${sentence(r)}</td></tr></table>`,
    (r) => `    <owa:${pascal(r)} ID="${ident(r)}" runat="server" Visible="false" CssClass="${ident(r)}" />`,
    (r) => `    <input type="hidden" id="${ident(r)}" name="${ident(r)}" value="${hex(r, 8)}" />`,
    (r) => `    <a href="#" onclick="${ident(r)}.${ident(r)}(); return false;" title="${sentence(r)}">${sentence(r)}</a>`,
    (r) => `    <img src="<%= ThemeResourcePath %>${ident(r)}.gif" alt="" width="${1 + r.int(64)}" height="${1 + r.int(64)}" />`,
    (r) => `    <%-- ${sentence(r)} --%>`,
    (r) => `        protected void ${pascal(r)}(object sender, EventArgs e) { this.${ident(r)} = ${r.int(2) ? 'true' : 'false'}; }`,
  ],
  js: [
    (r) => { const a = ident(r), b = ident(r), c = ident(r); return `function ${ident(r)}(${a},${b}){var ${c}=${a}.${ident(r)}(${b});if(${c}==null){return ${r.int(100)};}return ${c}.${ident(r)};}`; },
    (r) => { const a = ident(r); return `${pascal(r)}.${pascal(r)}=function(${a}){this.${ident(r)}=${a};this.${ident(r)}=[];};`; },
    (r) => { const a = ident(r); return `${pascal(r)}.prototype.${ident(r)}=function(){return this.${a}.length>${r.int(10)}?this.${a}[${r.int(10)}]:null;};`; },
    (r) => `var ${ident(r)}={${ident(r)}:"${sentence(r)}",${ident(r)}:${r.int(10000)},${ident(r)}:${r.int(2) ? 'true' : 'false'}};`,
    (r) => `/* ${sentence(r)} */`,
    (r) => `Type.registerNamespace("Owa.${pascal(r)}");`,
    (r) => { const a = ident(r), b = ident(r); return `for(var i=0;i<${a}.length;i++){${b}.push(${a}[i].${ident(r)});}`; },
    (r) => `    if (${ident(r)} && ${ident(r)}.${ident(r)} !== undefined) { ${ident(r)}.${ident(r)}(${r.int(1000)}, "${ident(r)}"); }`,
    (r) => `define("${ident(r)}/${ident(r)}",["require","exports","${ident(r)}"],function(e,t,n){"use strict";t.${ident(r)}=n.${ident(r)};});`,
  ],
  css: [
    (r) => `.${ident(r)} .${ident(r)}{margin:${r.int(20)}px ${r.int(20)}px;padding:0;color:#${hex(r, 6)};font-family:"Segoe UI","Segoe UI Web",Tahoma,sans-serif;}`,
    (r) => `#${ident(r)}{background-image:url('${ident(r)}.png');background-repeat:no-repeat;width:${r.int(600)}px;}`,
    (r) => `@media (max-width:${300 + r.int(1000)}px){.${ident(r)}{display:none;}}`,
    (r) => `.${ident(r)}:hover,.${ident(r)}:focus{border:1px solid #${hex(r, 6)};outline:none;}`,
    (r) => `/* ${sentence(r)} */`,
  ],
  xml: [
    (r) => `    <add key="${pascal(r)}" value="${ident(r)}" />`,
    (r) => `    <${ident(r)} name="${ident(r)}" type="Microsoft.Exchange.${pascal(r)}.${pascal(r)}, Microsoft.Exchange.${pascal(r)}, Version=15.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35" />`,
    (r) => `    <!-- ${sentence(r)} -->`,
    (r) => `    <data name="${pascal(r)}" xml:space="preserve"><value>${sentence(r)}</value></data>`,
    (r) => `    <xs:element name="${pascal(r)}" type="xs:${r.pick(['string', 'int', 'boolean', 'dateTime'])}" minOccurs="0" />`,
  ],
  json: [
    (r) => `  "${ident(r)}": "${sentence(r)}",`,
    (r) => `  "${ident(r)}": ${r.int(100000)},`,
    (r) => `  "${ident(r)}": { "${ident(r)}": "${ident(r)}", "${ident(r)}": ${r.int(2) ? 'true' : 'false'} },`,
  ],
  html: [
    (r) => `<p class="${ident(r)}">${sentence(r)} ${sentence(r)}</p>`,
    (r) => `<div id="${ident(r)}"><a href="${ident(r)}.htm">${sentence(r)}</a></div>`,
    (r) => `<h2>${sentence(r)}</h2>`,
  ],
  ini: [(r) => `${pascal(r)}=${sentence(r)}`, (r) => `[${pascal(r)}]`, (r) => `; ${sentence(r)}`],
};

const HEADERS: Record<Exclude<Kind, 'binary'>, (r: Rng, ext: string) => string> = {
  aspx: (r, ext) => {
    const dir = ext === 'ascx' ? 'Control' : ext === 'master' ? 'Master' : ext === 'asax' ? 'Application' : ext === 'ashx' || ext === 'asmx' ? 'WebHandler' : ext === 'svc' ? 'ServiceHost' : 'Page';
    return `<%@ ${dir} Language="C#" AutoEventWireup="true" Inherits="Microsoft.Exchange.Clients.Owa.${pascal(r)}.${pascal(r)}" %>\n` +
      '<%@ Register TagPrefix="owa" Namespace="Microsoft.Exchange.Clients.Owa.Core.Controls" Assembly="Microsoft.Exchange.Clients.Owa" %>\n' +
      '<%@ Import Namespace="Microsoft.Exchange.Clients.Owa.Core" %>\n<!DOCTYPE html>\n<html>\n<head runat="server">\n' +
      `<title>${sentence(r)}</title>\n</head>\n<body class="${ident(r)}">\n<form id="${ident(r)}" runat="server">\n`;
  },
  js: (r) => `/* Microsoft Exchange ${pascal(r)} ${hex(r, 8)} */\n(function(){"use strict";\n`,
  css: (r) => `/* ${pascal(r)} theme */\n`,
  xml: (r) => `<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <appSettings>\n    <add key="${pascal(r)}" value="${ident(r)}" />\n`,
  json: (r) => `{\n  "${ident(r)}": "${hex(r, 16)}",\n`,
  html: (r) => `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${sentence(r)}</title></head><body>\n`,
  ini: (r) => `[${pascal(r)}]\n`,
};
const FOOTERS: Record<Exclude<Kind, 'binary'>, string> = {
  aspx: '</form>\n</body>\n</html>\n',
  js: '})();\n',
  css: '\n',
  xml: '  </appSettings>\n</configuration>\n',
  json: '  "end": true\n}\n',
  html: '</body></html>\n',
  ini: '\n',
};

function textContent(r: Rng, ext: string, kind: Exclude<Kind, 'binary'>, size: number): Buffer {
  const parts: string[] = [HEADERS[kind](r, ext)];
  const footer = FOOTERS[kind];
  let n = parts[0]!.length + footer.length;
  const gens = LINES[kind];
  while (n < size) {
    const line = gens[r.int(gens.length)]!(r);
    parts.push(line, '\n');
    n += line.length + 1;
  }
  parts.push(footer);
  return Buffer.from(parts.join(''), 'utf8');
}

function binaryContent(r: Rng, ext: string, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i + 4 <= size; i += 4) b.writeUInt32LE((r.next() * 4294967296) >>> 0, i);
  for (let i = size - (size % 4); i < size; i++) b[i] = r.int(256);
  BINARY_MAGIC[ext]!.copy(b, 0, 0, Math.min(size, BINARY_MAGIC[ext]!.length));
  return b;
}

/** Log-uniform between lo and hi. */
function sizeBetween(r: Rng, lo: number, hi: number): number {
  return Math.round(lo * Math.pow(hi / lo, r.next()));
}

function baselinePaths(): string[] {
  const text = readFileSync(baselineCsv, 'utf8').replace(/^\uFEFF/, '');
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const rel = line.split(',')[2];
    if (!rel) continue;
    const parts = rel.split('\\').filter(Boolean);
    const top = parts[0]?.toLowerCase();
    if (top === 'clientaccess' || (top === 'frontend' && parts[1]?.toLowerCase() === 'httpproxy')) out.push(parts.join('/'));
  }
  return [...new Set(out)].sort();
}

function ensureCorpus(): { root: string; copies: number } {
  const marker = `${corpusRoot}.complete`; // beside the corpus, so every tool sees the same files
  if (existsSync(marker)) return { root: corpusRoot, copies: Number(readFileSync(marker, 'utf8').split(' ')[0]) };
  rmSync(corpusRoot, { recursive: true, force: true });
  rmSync(`${corpusRoot}.planted`, { force: true });
  const rels = baselinePaths();
  if (rels.length === 0) throw new Error(`no FrontEnd\\HttpProxy or ClientAccess paths in ${baselineCsv}`);
  const target = targetMb * MB;
  process.stderr.write(`bench: generating a ${targetMb} MB Exchange web tree in ${corpusRoot} (${rels.length} paths a server)…\n`);
  const t = performance.now();
  let bytes = 0;
  let files = 0;
  let copy = 0;
  const made = new Set<string>();
  for (; bytes < target; copy++) {
    const server = `EXCH${String(copy + 1).padStart(2, '0')}`;
    // A shuffled order, so a copy cut short by the size target is a sample of the whole tree.
    const order = [...rels];
    const shuffle = new Rng(0x5eed + copy);
    for (let i = order.length - 1; i > 0; i--) {
      const j = shuffle.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const rel of order) {
      if (bytes >= target) break;
      const r = new Rng(hash32(`${copy}:${rel}`));
      const name = rel.slice(rel.lastIndexOf('/') + 1);
      const dot = name.lastIndexOf('.');
      const ext = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
      const kind = kindOf(ext);
      const buf =
        kind === 'binary'
          ? binaryContent(r, ext, ext === 'dll' || ext === 'exe' ? sizeBetween(r, 64 * KB, 600 * KB) : sizeBetween(r, 512, 40 * KB))
          : textContent(r, ext, kind, sizeBetween(r, 2 * KB, 60 * KB));
      const file = path.join(corpusRoot, server, ...INSTALL, ...rel.split('/'));
      const dir = path.dirname(file);
      if (!made.has(dir)) {
        mkdirSync(dir, { recursive: true });
        made.add(dir);
      }
      writeFileSync(file, buf);
      bytes += buf.length;
      files++;
    }
  }
  writeFileSync(marker, `${copy} copies, ${files} files, ${bytes} bytes\n`);
  process.stderr.write(`bench: wrote ${files} files, ${(bytes / MB).toFixed(0)} MB in ${((performance.now() - t) / 1000).toFixed(0)} s\n`);
  return { root: corpusRoot, copies: copy };
}

/** Copies the shells (refreshed each run: the previous run's plants are removed first). */
function plantShells(root: string): { planted: number; note: string } {
  const manifest = `${root}.planted`;
  if (existsSync(manifest)) {
    for (const f of readFileSync(manifest, 'utf8').split('\n').filter(Boolean)) rmSync(path.join(root, f), { force: true });
    rmSync(manifest);
  }
  if (!existsSync(shellsDir)) return { planted: 0, note: `no web shells planted (${shellsDir} does not exist; set EXHUNT_BENCH_SHELLS)` };
  const dest = path.join(root, 'EXCH01', ...INSTALL, 'FrontEnd', 'HttpProxy', 'owa', 'auth');
  mkdirSync(dest, { recursive: true });
  const planted: string[] = [];
  for (const f of listFiles(shellsDir).sort()) {
    const name = path.basename(f);
    const dot = name.lastIndexOf('.');
    if (dot <= 0 || !SHELL_EXTENSIONS.has(name.slice(dot + 1).toLowerCase())) continue;
    let target = path.join(dest, name);
    for (let i = 2; existsSync(target); i++) target = path.join(dest, `${name.slice(0, dot)}-${i}${name.slice(dot)}`);
    copyFileSync(f, target);
    planted.push(path.relative(root, target));
  }
  writeFileSync(manifest, `${planted.join('\n')}\n`);
  return { planted: planted.length, note: `${planted.length} web shells from ${shellsDir} planted in EXCH01/.../FrontEnd/HttpProxy/owa/auth` };
}

// ---------------------------------------------------------------------------------------------
// Timing

type Run = Timed & { stdoutLines: number };

async function timedRun(cmd: string, args: string[]): Promise<Run> {
  const r = await timed(cmd, args, { stderr: 'capture' });
  return { ...r, stdoutLines: r.stdout.split('\n').length - 1 };
}

async function best(label: string, n: number, f: () => Promise<Run>): Promise<Run> {
  let b: Run | undefined;
  for (let i = 0; i < n; i++) {
    const s = await f();
    process.stderr.write(`bench: ${label} run ${i + 1}: ${(s.ms / 1000).toFixed(2)} s, ${(s.rssKb / 1024).toFixed(0)} MB\n`);
    if (!b || s.ms < b.ms) b = { ...s, rssKb: Math.max(s.rssKb, b?.rssKb ?? 0) };
    else b.rssKb = Math.max(b.rssKb, s.rssKb);
  }
  return b!;
}

class Unavailable extends Error {}

interface ScanReport {
  stats?: { files?: number; bytes?: number };
  findings?: unknown[];
}

/** One `exhunt scan-files` run; its JSON report is read back for stats and findings. */
async function exhuntScan(root: string, extra: string[], out: string): Promise<Run & { report: ScanReport }> {
  rmSync(out, { force: true });
  const r = await timedRun(process.execPath, [path.join(repo, 'bin', 'exhunt.js'), 'scan-files', root, ...extra, '--format', 'json', '-o', out]);
  if (r.code === 2 && /unknown command/i.test(r.stderr)) throw new Unavailable('exhunt has no scan-files command in this build');
  if (r.code !== 0 && r.code !== 1) throw new Error(`exhunt scan-files exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
  return { ...r, report: JSON.parse(readFileSync(out, 'utf8')) as ScanReport };
}

// ---------------------------------------------------------------------------------------------
// The reference: Debian's yara with the signature-base files it compiles

function yaraDefines(): string[] {
  return EXTERNALS.flatMap((v) => ['-d', `${v}=x`]);
}

function ruleFiles(dir: string): string[] {
  return listFiles(dir)
    .filter((f) => /\.(yar|yara)$/i.test(f))
    .sort();
}

/**
 * The rule files yara compiles one by one, concatenated into one file; a file whose rules clash
 * with an earlier one's (duplicate identifiers) is dropped, as yara would refuse the whole set.
 */
function yaraRuleSet(dir: string, into: string): { file: string; used: string[]; failed: string[]; clashed: string[] } {
  const failed: string[] = [];
  const ok: string[] = [];
  for (const f of ruleFiles(dir)) {
    const r = spawnSync('yara', ['-w', ...yaraDefines(), f, '/dev/null'], { stdio: ['ignore', 'ignore', 'pipe'] });
    (r.status === 0 ? ok : failed).push(f);
  }
  const clashed: string[] = [];
  let used = ok;
  for (let attempt = 0; attempt < 200; attempt++) {
    const starts: number[] = [];
    let line = 1;
    const text = used
      .map((f) => {
        const t = `${readFileSync(f, 'utf8')}\n`;
        starts.push(line);
        line += t.split('\n').length - 1;
        return t;
      })
      .join('');
    writeFileSync(into, text);
    const r = spawnSync('yara', ['-w', ...yaraDefines(), into, '/dev/null'], { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status === 0) return { file: into, used, failed, clashed };
    const m = /\((\d+)\)|:(\d+):/.exec(r.stderr.toString());
    const at = m ? Number(m[1] ?? m[2]) : NaN;
    let idx = used.length - 1;
    if (Number.isFinite(at)) for (let i = 0; i < starts.length; i++) if (starts[i]! <= at) idx = i;
    clashed.push(used[idx]!);
    used = used.filter((_, i) => i !== idx);
  }
  throw new Error('could not build a yara rule set that compiles');
}

function has(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { root, copies } = ensureCorpus();
  const plants = plantShells(root);
  const all = listFiles(root);
  const bytes = all.reduce((n, f) => n + statSync(f).size, 0);
  process.stderr.write(`bench: warming the page cache (${(bytes / MB).toFixed(0)} MB, ${all.length} files)…\n`);
  warm(all);

  const notes: string[] = [];
  const out = path.join(benchRoot, 'scan-files-report.json');
  const rows: { name: string; run: Run; scanned?: string }[] = [];
  const scanned = (rep: ScanReport) =>
    `${rep.stats?.files ?? '?'} files, ${rep.stats?.bytes !== undefined ? (rep.stats.bytes / MB).toFixed(0) : '?'} MB, ${rep.findings?.length ?? '?'} findings`;

  // Pairs timed on the same rule files: exhunt's own rules, then (when given) a rule folder such as
  // signature-base's; plus exhunt without any YARA, to show what hashing and judging cost.
  const yaraDirOk = existsSync(yaraDir) && statSync(yaraDir).isDirectory();
  const yaraOk = has('yara', ['--version']);
  if (!yaraOk) notes.push('yara not installed (apt-get install yara): no reference, no ratio');
  const ruleSets: { label: string; dir: string; exhuntArgs: (file: string) => string[] }[] = [
    { label: 'built-in rules', dir: path.join(repo, 'src', 'detect', 'yara', 'rules'), exhuntArgs: () => [] },
  ];
  if (yaraDirOk) ruleSets.push({ label: `${path.basename(path.dirname(yaraDir))} rules`, dir: yaraDir, exhuntArgs: (file) => ['--no-builtin-yara', '--yara', file] });
  else notes.push(`no rule folder ${yaraDir} (set EXHUNT_BENCH_YARA to e.g. a signature-base checkout's yara/): only the built-in rules are compared`);
  const ratios: string[] = [];
  try {
    let last: ScanReport = {};
    const scan = async (extra: string[]): Promise<Run> => {
      const r = await exhuntScan(root, extra, out);
      last = r.report;
      return r;
    };
    const bare = await best('exhunt scan-files, no YARA', runs, () => scan(['--no-builtin-yara']));
    rows.push({ name: 'exhunt, hashes + heuristics only', run: bare, scanned: scanned(last) });
    for (const set of ruleSets) {
      const file = path.join(benchRoot, `rules-${path.basename(set.dir)}.yar`);
      const built = yaraOk ? yaraRuleSet(set.dir, file) : { file: set.dir, used: ruleFiles(set.dir), failed: [], clashed: [] };
      const total = built.used.length + built.failed.length + built.clashed.length;
      notes.push(`${set.label}: ${built.used.length} of ${total} files of ${set.dir} used by both (${built.failed.length} do not compile with yara, ${built.clashed.length} clash with earlier files)`);
      const ex = await best(`exhunt, ${set.label}`, runs, () => scan(set.exhuntArgs(built.file)));
      rows.push({ name: `exhunt, ${set.label}`, run: ex, scanned: scanned(last) });
      if (!yaraOk) continue;
      const ref = await best(`yara, ${set.label}`, runs, async () => {
        const r = await timedRun('yara', ['-r', '-w', '-p', '2', ...yaraDefines(), built.file, root]);
        if (r.code !== 0) throw new Error(`yara exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
        return r;
      });
      rows.push({ name: `yara -p 2, ${set.label}`, run: ref, scanned: `${ref.stdoutLines} matches` });
      ratios.push(`ratio exhunt/yara wall time, ${set.label}: ${(ex.ms / ref.ms).toFixed(2)}×`);
    }
  } catch (e) {
    if (!(e instanceof Unavailable)) throw e;
    notes.push(`exhunt skipped: ${e.message}`);
  }

  const row = (name: string, s: Run, extra = '') =>
    `${name.padEnd(38)} ${`${(s.ms / 1000).toFixed(2)} s`.padStart(9)} ${`${Math.round(all.length / (s.ms / 1000))} files/s`.padStart(14)} ${`${(bytes / MB / (s.ms / 1000)).toFixed(1)} MB/s`.padStart(12)} ${`${(s.rssKb / 1024).toFixed(0)} MB`.padStart(8)}  ${extra}`;
  const lines: string[] = [
    '',
    `corpus: ${root}`,
    `        ${all.length} files, ${(bytes / MB).toFixed(0)} MB: ${copies} server(s) of the FrontEnd\\HttpProxy + ClientAccess paths of baseline_15.2.858.5.csv, synthetic content`,
    `        ${plants.note}`,
    '',
    `${'tool'.padEnd(38)} ${'wall'.padStart(9)} ${'speed'.padStart(14)} ${''.padStart(12)} ${'peak RSS'.padStart(8)}  what it saw`,
    ...rows.map((r) => row(r.name, r.run, r.scanned)),
    '',
  ];
  lines.push(...ratios);
  for (const n of notes) lines.push(`note: ${n}`);
  const text = `${lines.join('\n')}\n`;
  process.stdout.write(text);
  writeFileSync(path.join(benchRoot, 'last-files-bench.txt'), text);
}

await main();
