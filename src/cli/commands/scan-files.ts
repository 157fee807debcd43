// `exhunt scan-files PATH…`: the file sweep alone (YARA, hashes, heuristics), for a live web root or
// a folder of suspect files. Read-only; the same report as hunt.
import type { Io } from '../io.js';
import { huntCommand, SWEEP_OPTIONS_HELP } from './hunt.js';
import { WRITERS } from '../../report/registry.js';
import { SEVERITIES } from '../../core/types.js';
import { EXIT } from '../exit-codes.js';

export const SCAN_FILES_HELP = `Usage: exhunt scan-files PATH… [options]

Sweeps files only — no log is parsed: every file under PATH (folders, .zip archives, single files)
is hashed and checked against published indicators, scanned with exhunt's YARA rules for web
shells and Exchange attack artefacts, and judged by where it is (a page Exchange does not ship
in owa\\auth, ecp\\auth, aspnet_client or OAB; an altered shipped page; LSASS memory dumps;
archives staged in ProgramData or inetpub; content disguised under a page name). Read-only: point
it at a live web root such as "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy".

Example: exhunt scan-files "C:\\inetpub\\wwwroot" "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd" --yara signature-base/yara

Options:
  -f, --format FORMAT      ${WRITERS.map((w) => w.id).join('|')} (default: console)
  -o, --output FILE        write the report to FILE instead of standard output
      --min-severity SEV   ${SEVERITIES.join('|')} (default: low); also the exit-code threshold
${SWEEP_OPTIONS_HELP}      --threads N, --max-unzipped N, --max-zip-ratio N, --color/--no-color,
  -v, --verbose, -q, --quiet   as for exhunt hunt
  -h, --help               this help

Exit codes: 0 nothing at or above --min-severity, 1 findings, 2 usage or input error.
`;

export async function scanFilesCommand(argv: string[], io: Io): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    io.stdout.write(SCAN_FILES_HELP);
    return EXIT.clean;
  }
  return huntCommand(argv, io, true);
}
