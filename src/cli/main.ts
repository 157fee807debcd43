// The command dispatcher. Each command lives in commands/<name>.ts and only parses options, calls
// the core and picks a writer.
import { ExhuntError, UsageError } from '../core/errors.js';
import { TOOL_VERSION } from '../core/version.js';
import { terminalSafe } from '../report/sanitize.js';
import { ADMIN_HELP, adminCommand } from './commands/admin.js';
import { BUILD_HELP, buildCommand } from './commands/build.js';
import { COLLECT_HELP, collectCommand } from './commands/collect.js';
import { EVTX_HELP, evtxCommand } from './commands/evtx.js';
import { EXPORT_HELP, exportCommand } from './commands/export.js';
import { HUNT_HELP, huntCommand } from './commands/hunt.js';
import { MITIGATE_HELP, mitigateCommand } from './commands/mitigate.js';
import { REPORT_HELP, reportCommand } from './commands/report.js';
import { RULES_HELP, rulesCommand } from './commands/rules.js';
import { SCAN_HELP, scanCommand } from './commands/scan.js';
import { SCAN_FILES_HELP, scanFilesCommand } from './commands/scan-files.js';
import { SERVE_HELP, serveCommand } from './commands/serve.js';
import { TIMELINE_HELP, timelineCommand } from './commands/timeline.js';
import { WORKER_HELP, workerCommand } from './commands/worker.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './io.js';

interface Command {
  name: string;
  summary: string;
  run(argv: string[], io: Io): Promise<number>;
  help: string;
}

const COMMANDS: readonly Command[] = [
  { name: 'hunt', summary: 'hunt a triage collection for Exchange exploitation and web shells', run: huntCommand, help: HUNT_HELP },
  { name: 'evtx', summary: 'dump Windows event logs (.evtx) as JSON lines, JSON or XML', run: evtxCommand, help: EVTX_HELP },
  { name: 'scan-files', summary: 'sweep files only: web shells (YARA), known-bad hashes, dumps, staged archives', run: scanFilesCommand, help: SCAN_FILES_HELP },
  { name: 'rules', summary: 'rules lint: check Sigma rules and say why any cannot run', run: rulesCommand, help: RULES_HELP },
  { name: 'build', summary: 'an Exchange build number → product, CU, SU, support and open CVEs (offline)', run: buildCommand, help: BUILD_HELP },
  { name: 'scan', summary: 'remote, non-intrusive check of Exchange servers in your scope: build and open CVEs', run: scanCommand, help: SCAN_HELP },
  { name: 'mitigate', summary: 'print Microsoft\'s interim IIS URL Rewrite mitigation for a CVE, with apply and rollback steps', run: mitigateCommand, help: MITIGATE_HELP },
  { name: 'timeline', summary: 'the attack timeline (findings, attacker context, file times) as Timesketch CSV or JSONL', run: timelineCommand, help: TIMELINE_HELP },
  { name: 'report', summary: 'render a saved JSON report again: HTML for people, timeline, CSV…', run: reportCommand, help: REPORT_HELP },
  { name: 'export', summary: 'export what a hunt observed as a STIX 2.1 bundle (observed data, indicators, sightings)', run: exportCommand, help: EXPORT_HELP },
  { name: 'serve', summary: 'the campaign service: organisations, exposure, uploads, notifications, remediation (API + dashboard)', run: serveCommand, help: SERVE_HELP },
  { name: 'worker', summary: 'run the service\'s scan jobs (PostgreSQL: any number of workers on any machines)', run: workerCommand, help: WORKER_HELP },
  { name: 'admin', summary: 'service administration: create-user, create-org, import-orgs, import-shadowserver', run: adminCommand, help: ADMIN_HELP },
  { name: 'collect', summary: 'on the Exchange server: gather logs, web folders and event logs into a triage zip', run: collectCommand, help: COLLECT_HELP },
];

export const MAIN_HELP = `exhunt ${TOOL_VERSION} — Am I exposed? Was I breached? What do I do now?

Usage: exhunt <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n')}

Run "exhunt <command> --help" for a command's options; "exhunt hunt --demo" for a demonstration.
Exit codes: 0 nothing found at the threshold, 1 findings, 2 usage or input error (scan: 130 after
Ctrl-C, with the results so far; each command's --help has its own).
`;

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    const cmd = COMMANDS.find((c) => c.name === rest[0]);
    io.stdout.write(cmd ? cmd.help : MAIN_HELP);
    return EXIT.clean;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.stdout.write(`${TOOL_VERSION}\n`);
    return EXIT.clean;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  try {
    if (!cmd) throw new UsageError(`unknown command "${name}"; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    return await cmd.run(rest, io);
  } catch (err) {
    if (err instanceof ExhuntError) {
      io.stderr.write(`exhunt: error: ${terminalSafe(err.message)}\n`);
      if (err instanceof UsageError) io.stderr.write(`Run "exhunt ${cmd ? `${cmd.name} ` : ''}--help" for usage.\n`);
      return EXIT.error;
    }
    io.stderr.write(`exhunt: internal error: ${terminalSafe(err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`);
    return EXIT.error;
  }
}
