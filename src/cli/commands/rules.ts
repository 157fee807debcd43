// `exhunt rules lint PATH…`: which Sigma rules exhunt runs and, for the others, exactly why not.
import { existsSync, readFileSync } from 'node:fs';
import { InputError, UsageError, errorMessage } from '../../core/errors.js';
import { lintRules, parseSigmaConfig } from '../../pipeline/sigma-lint.js';
import { jsonSafe, terminalSafe } from '../../report/sanitize.js';
import { parseCommandLine } from '../args.js';
import { EXIT } from '../exit-codes.js';
import type { Io } from '../io.js';

export const RULES_HELP = `Usage: exhunt rules lint PATH… [options]

Loads Sigma rules (files or folders, searched recursively for .yml/.yaml; every YAML document of a
file) exactly as "exhunt hunt --sigma" does, and lists each one: loaded, or rejected with the reason
(unknown modifier, bad condition, unsupported regular expression, unmapped logsource…). Ends with
the counts and the reasons grouped.

Options:
  -f, --format FORMAT     console|json (default: console). json prints an array of
                          {"file", "id", "title", "status": "loaded"|"rejected", "reason"}
      --sigma-config FILE values for expand placeholders (placeholders: {Name: [values]})
      --rejected          console: list only the rules that were not loaded
  -h, --help              this help

Exit codes: 0 every rule loaded, 1 some rule not loaded, 2 usage error.
`;

/** Rule paths must exist: a mistyped one is a usage error, not an empty rule set. */
export function checkRulePaths(flag: string, paths: readonly string[]): void {
  for (const p of paths) if (!existsSync(p)) throw new InputError(`${flag} ${p}: no such file or folder`);
}

export function readPlaceholders(file: string | undefined): Record<string, string[]> {
  if (file === undefined) return {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--sigma-config ${file}: ${errorMessage(err)}`);
  }
  try {
    return parseSigmaConfig(text, file).placeholders;
  } catch (err) {
    throw new UsageError(`--sigma-config ${errorMessage(err)}`);
  }
}

export async function rulesCommand(argv: string[], io: Io): Promise<number> {
  const { values: o, positionals } = parseCommandLine(argv, {
    format: { type: 'string', short: 'f', default: 'console' },
    'sigma-config': { type: 'string' },
    rejected: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  const [sub, ...paths] = positionals;
  if (o.help || sub === undefined) {
    io.stdout.write(RULES_HELP);
    return o.help ? EXIT.clean : EXIT.error;
  }
  if (sub !== 'lint') throw new UsageError(`rules: unknown subcommand "${sub}"; the subcommand is lint`);
  if (paths.length === 0) throw new UsageError('rules lint: give at least one rule file or folder');
  if (o.format !== 'console' && o.format !== 'json') throw new UsageError(`--format: expected console or json, got "${o.format}"`);
  checkRulePaths('rules lint:', paths);
  const result = lintRules(paths, readPlaceholders(o['sigma-config']));
  if (o.format === 'json') {
    const rows = result.entries.map((e) => ({ file: e.file, id: e.id, title: e.title, status: e.status, reason: e.reason }));
    io.stdout.write(`${jsonSafe(JSON.stringify(rows, null, 2))}\n`);
  } else {
    const lines: string[] = [];
    for (const e of result.entries) {
      if (e.status === 'loaded' && o.rejected) continue;
      const what = e.title ?? e.id ?? '';
      if (e.status === 'loaded') lines.push(`loaded    ${e.file}  ${what}`);
      else lines.push(`rejected  ${e.file}  ${what}`, `          ${e.reason}`);
    }
    lines.push('', `${result.loaded} of ${result.entries.length} rule documents loaded, ${result.rejected} not loaded${result.rejected > 0 ? ':' : '.'}`);
    for (const r of result.reasons) lines.push(`  ${String(r.count).padStart(5)}  ${r.reason}`);
    io.stdout.write(`${lines.map(terminalSafe).join('\n')}\n`);
  }
  return result.rejected > 0 ? EXIT.findings : EXIT.clean;
}
