// Reading Sigma rule files: folders recursively (.yml / .yaml, symbolic links not followed), every
// YAML document of a file (correlations keep their rules in the same file), and a clear reason for
// each document that is not a rule. The result is plain data, so scanning threads can compile it.
import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';

/** One YAML document of a rule file. */
export interface RuleDoc {
  /** The file as the user named it (the folder given plus the path under it, `/`-separated). */
  file: string;
  /** Position of the document in its file (0 for single-document files). */
  index: number;
  body: Record<string, unknown>;
}

/** One line of `exhunt rules lint`. */
export interface LintEntry {
  file: string;
  id: string | null;
  title: string | null;
  status: 'loaded' | 'rejected';
  reason: string | null;
  /** What the document is: a detection rule, a correlation or a global filter. */
  kind: 'rule' | 'correlation' | 'filter' | 'unknown';
  /** Where a loaded rule's events come from (source kinds), for lint output. */
  sources?: string[];
}

export interface LoadResult {
  docs: RuleDoc[];
  /** Files or documents that could not be read as YAML. */
  rejected: LintEntry[];
}

/** Rule files larger than this are not read (SigmaHQ's largest rule is under 20 KiB). */
const MAX_RULE_BYTES = 4 * 1024 * 1024;

function slash(p: string): string {
  return p.split(path.sep).join('/');
}

function listRuleFiles(root: string, out: string[], problems: LintEntry[]): void {
  let st;
  try {
    st = lstatSync(root);
  } catch (err) {
    problems.push(unreadable(slash(root), `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`));
    return;
  }
  if (st.isSymbolicLink()) return;
  if (st.isFile()) {
    out.push(root);
    return;
  }
  if (!st.isDirectory()) return;
  for (const name of readdirSync(root).sort()) {
    const p = path.join(root, name);
    const s = lstatSync(p);
    if (s.isSymbolicLink()) continue;
    if (s.isDirectory()) listRuleFiles(p, out, problems);
    else if (s.isFile() && /\.ya?ml$/i.test(name)) out.push(p);
  }
}

function unreadable(file: string, reason: string): LintEntry {
  return { file, id: null, title: null, status: 'rejected', reason, kind: 'unknown' };
}

/** Parses the text of one rule file into its documents. */
export function parseRuleText(text: string, file: string): LoadResult {
  const docs: RuleDoc[] = [];
  const rejected: LintEntry[] = [];
  const lines = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(parsed) ? parsed : [];
  if (!Array.isArray(parsed)) rejected.push(unreadable(file, 'not YAML documents'));
  list.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const at = lines.linePos(e.pos[0]);
      rejected.push(unreadable(file, `YAML error at line ${at.line}, column ${at.col}: ${e.message.split('\n')[0]}`));
      return;
    }
    let body: unknown;
    try {
      body = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      rejected.push(unreadable(file, `YAML error: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    if (body === null || body === undefined) return; // an empty document (e.g. a trailing ---)
    if (typeof body !== 'object' || Array.isArray(body)) {
      rejected.push(unreadable(file, `document ${index + 1} is not a map of rule attributes`));
      return;
    }
    docs.push({ file, index, body: body as Record<string, unknown> });
  });
  if (docs.length === 0 && rejected.length === 0) rejected.push(unreadable(file, 'no rule in this file (empty YAML)'));
  return { docs, rejected };
}

/** Reads every rule file under the given files and folders. */
export function loadRuleFiles(paths: readonly string[]): LoadResult {
  const result: LoadResult = { docs: [], rejected: [] };
  for (const root of paths) {
    const files: string[] = [];
    listRuleFiles(root, files, result.rejected);
    if (files.length === 0 && !result.rejected.some((r) => r.file === slash(root))) {
      result.rejected.push(unreadable(slash(root), 'no .yml or .yaml files here'));
    }
    for (const f of files) {
      const name = slash(f);
      let text: string;
      try {
        const size = lstatSync(f).size;
        if (size > MAX_RULE_BYTES) {
          result.rejected.push(unreadable(name, `file of ${size} bytes is larger than a rule file can be (${MAX_RULE_BYTES})`));
          continue;
        }
        text = readFileSync(f, 'utf8');
      } catch (err) {
        result.rejected.push(unreadable(name, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`));
        continue;
      }
      const one = parseRuleText(text, name);
      result.docs.push(...one.docs);
      result.rejected.push(...one.rejected);
    }
  }
  return result;
}
