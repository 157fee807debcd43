// `exhunt admin …`: first-run and scripted administration of the service's database (no running
// service needed): staff accounts, organisations, and bulk imports.
import { readFile } from 'node:fs/promises';
import { UsageError } from '../../core/errors.js';
import { terminalSafe } from '../../report/sanitize.js';
import { oneTimePassword } from '../../serve/auth/secrets.js';
import { createUser, setPassword } from '../../serve/auth/sessions.js';
import { type DbHandle, openDatabase } from '../../serve/db/connect.js';
import { ROLES, type Role } from '../../serve/db/schema.js';
import { importOrganisations } from '../../serve/ingest/organisations.js';
import { importShadowserver } from '../../serve/ingest/shadowserver.js';
import { InvalidInput, checkEmail, createOrganisation } from '../../serve/store/orgs.js';
import { parseCommandLine } from '../args.js';
import { EXIT } from '../exit-codes.js';
import type { Io } from '../io.js';
import { dataSettings } from './serve-common.js';

export const ADMIN_HELP = `Usage: exhunt admin <action> [arguments] [--data DIR]

Works on the service's database directly (SQLite in --data DIR, default ./exhunt-data, or
PostgreSQL when DATABASE_URL is set); the service need not run.

Actions:
  create-user EMAIL --role admin|analyst|viewer
        a staff account; prints a one-time password (change it after signing in)
  reset-password EMAIL
        prints a new one-time password and ends the account's sessions
  create-org NAME --ranges CIDR[,CIDR…] [--abuse EMAIL[,…]] [--domains D[,…]] [--sector S] [--country CC]
        an organisation; prints its id and its API token (shown once)
  import-orgs FILE
        an organisation list: CSV with the header name,sector,country,ranges,domains,abuse
        (lists separated by spaces or ;) or a JSON array of such objects; existing names are
        updated, new organisations are printed with their tokens
  import-shadowserver FILE…
        Shadowserver scan_exchange CSV reports (Vulnerable-Exchange-Server, IPv6 too): each row
        becomes an observation, attributed to an organisation by address range or host name;
        rows no one owns are listed for triage (dashboard: Unmatched)

Options:
      --data DIR   data folder (default ./exhunt-data, or EXHUNT_DATA)
  -h, --help       this help

Exit codes: 0 done, 2 usage or input error (for imports: when any row was refused; the others
are stored).
`;

const ACTOR = 'admin-cli';

async function withDb<T>(data: string | undefined, io: Io, fn: (h: DbHandle) => Promise<T>): Promise<T> {
  let h: DbHandle;
  try {
    h = await openDatabase(dataSettings(data, io.env));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  try {
    return await fn(h);
  } catch (err) {
    if (err instanceof InvalidInput) throw new UsageError(err.message);
    throw err;
  } finally {
    await h.close();
  }
}

function list(v: string | undefined): string[] {
  return v === undefined ? [] : v.split(/[,;\s]+/).filter(Boolean);
}

export async function adminCommand(argv: string[], io: Io): Promise<number> {
  const { values: o, positionals } = parseCommandLine(argv, {
    data: { type: 'string' },
    role: { type: 'string' },
    ranges: { type: 'string' },
    abuse: { type: 'string' },
    domains: { type: 'string' },
    sector: { type: 'string' },
    country: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  const [action, ...args] = positionals;
  if (o.help || action === undefined) {
    io.stdout.write(ADMIN_HELP);
    return o.help ? EXIT.clean : EXIT.error;
  }
  const out = (s: string): void => void io.stdout.write(`${terminalSafe(s)}\n`);
  switch (action) {
    case 'create-user': {
      if (args.length !== 1) throw new UsageError('admin create-user: give one e-mail address');
      if (!o.role || !(ROLES as readonly string[]).includes(o.role)) throw new UsageError(`admin create-user: --role ${ROLES.join('|')} is required`);
      const email = checkEmailOrUsage(args[0]!);
      return withDb(o.data, io, async (h) => {
        if (await h.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()) throw new UsageError(`admin create-user: ${email} already has an account (reset-password gives a new password)`);
        const password = oneTimePassword();
        await createUser(h.db, email, o.role as Role, password, ACTOR);
        out(`created ${o.role} ${email}`);
        out(`one-time password: ${password}`);
        return EXIT.clean;
      });
    }
    case 'reset-password': {
      if (args.length !== 1) throw new UsageError('admin reset-password: give one e-mail address');
      const email = checkEmailOrUsage(args[0]!);
      return withDb(o.data, io, async (h) => {
        const user = await h.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
        if (!user) throw new UsageError(`admin reset-password: no account ${email}`);
        const password = oneTimePassword();
        await setPassword(h.db, user.id, password, ACTOR);
        out(`one-time password: ${password}`);
        return EXIT.clean;
      });
    }
    case 'create-org': {
      if (args.length !== 1) throw new UsageError('admin create-org: give the organisation\'s name (quoted if it has spaces)');
      if (o.ranges === undefined) throw new UsageError('admin create-org: --ranges CIDR[,CIDR…] is required (the addresses it owns: attribution and scan scope)');
      return withDb(o.data, io, async (h) => {
        const { id, token } = await createOrganisation(h.db, { name: args[0]!, ranges: list(o.ranges), abuse: list(o.abuse), domains: list(o.domains), sector: o.sector ?? null, country: o.country?.toUpperCase() ?? null }, ACTOR);
        out(`organisation id: ${id}`);
        out(`API token: ${token}`);
        return EXIT.clean;
      });
    }
    case 'import-orgs': {
      if (args.length !== 1) throw new UsageError('admin import-orgs: give one CSV or JSON file');
      const file = args[0]!;
      const text = await readText(file);
      return withDb(o.data, io, async (h) => {
        const r = await importOrganisations(h.db, text, file, ACTOR);
        for (const c of r.created) out(`created ${c.id} ${c.name}  token ${c.token}`);
        for (const u of r.updated) out(`updated ${u.id} ${u.name}`);
        for (const e of r.errors) io.stderr.write(`exhunt: ${terminalSafe(e)}\n`);
        out(`${r.created.length} created, ${r.updated.length} updated, ${r.errors.length} refused`);
        return r.errors.length > 0 ? EXIT.error : EXIT.clean;
      });
    }
    case 'import-shadowserver': {
      if (args.length === 0) throw new UsageError('admin import-shadowserver: give one or more CSV files');
      return withDb(o.data, io, async (h) => {
        let refused = 0;
        for (const file of args) {
          const r = await importShadowserver(h.db, await readText(file), file, ACTOR);
          for (const e of r.errors.slice(0, 20)) io.stderr.write(`exhunt: ${terminalSafe(e)}\n`);
          if (r.errors.length > 20) io.stderr.write(`exhunt: ${r.errors.length - 20} more refused rows in ${terminalSafe(file)}\n`);
          refused += r.errors.length;
          out(`${file}: ${r.inserted} observations (${r.duplicates} already known), ${r.servers} servers, ${r.orgs.length} organisations, ${r.unmatched} unmatched, ${r.errors.length} refused`);
        }
        return refused > 0 ? EXIT.error : EXIT.clean;
      });
    }
    default:
      throw new UsageError(`admin: unknown action "${action}"; actions: create-user, reset-password, create-org, import-orgs, import-shadowserver`);
  }
}

function checkEmailOrUsage(e: string): string {
  try {
    return checkEmail(e).toLowerCase();
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${file}: cannot read: ${err instanceof Error ? err.message : String(err)}`);
  }
}
