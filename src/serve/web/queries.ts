// Reads only the dashboard needs: the organisations table with a chosen sort order (the API's
// organisationPage has one fixed order), the values its filters offer, names for selects, and the
// notification log, whole or for one organisation. Every value is a bound parameter.
import { type Kysely, sql } from 'kysely';
import { esc } from '../../report/html/escape.js';
import { type Database, REMEDIATION } from '../db/schema.js';
import { InvalidInput } from '../store/orgs.js';
import { type OrgFilter, filteredOrganisations } from '../store/queries.js';

export const ORG_STATUSES = [...REMEDIATION, 'clear'] as const;

export type OrgListFilter = Omit<OrgFilter, 'limit' | 'offset'>;

export const ORG_SORTS = ['name', 'country', 'sector', 'status', 'servers', 'vulnerable', 'compromised', 'updated'] as const;
export type OrgSort = (typeof ORG_SORTS)[number];


export async function listOrganisations(db: Kysely<Database>, f: OrgListFilter, sort: { key: OrgSort; dir: 'asc' | 'desc' }, limit: number, offset: number) {
  const q = filteredOrganisations(db, f);
  const { total } = await q.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  let rows = q.select(['id', 'name', 'country', 'sector', 'status', 'servers', 'vulnerable', 'compromised', 'updated_at']);
  const d = sort.dir;
  if (sort.key === 'status') {
    // The remediation order, least advanced first, rather than the alphabet.
    rows = rows.orderBy(sql`case ${sql.ref('status')} ${sql.join(ORG_STATUSES.map((s, i) => sql`when ${sql.lit(s)} then ${sql.lit(i)}`), sql` `)} else ${sql.lit(ORG_STATUSES.length)} end`, d);
  } else if (sort.key === 'updated') {
    rows = rows.orderBy('updated_at', d);
  } else {
    rows = rows.orderBy(sort.key, d);
  }
  // Ties: the most exposed first, then by name.
  const items = await rows.orderBy('compromised', 'desc').orderBy('vulnerable', 'desc').orderBy('name').orderBy('id').limit(limit).offset(offset).execute();
  return { total: Number(total), items };
}

/** The countries and sectors that occur, for the filter selects. */
export async function organisationFacets(db: Kysely<Database>): Promise<{ countries: string[]; sectors: string[] }> {
  const countries = await db.selectFrom('organisations').select('country').distinct().where('country', 'is not', null).orderBy('country').limit(300).execute();
  const sectors = await db.selectFrom('organisations').select('sector').distinct().where('sector', 'is not', null).orderBy('sector').limit(300).execute();
  return { countries: countries.map((r) => r.country!), sectors: sectors.map((r) => r.sector!) };
}

/** Id and name of every organisation, by name (upload and assignment choices). */
export async function organisationNames(db: Kysely<Database>, ids?: readonly string[], limit = 20_000): Promise<{ id: string; name: string }[]> {
  if (ids && ids.length === 0) return [];
  let q = db.selectFrom('organisations').select(['id', 'name']);
  if (ids) q = q.where('id', 'in', ids.slice(0, 1000));
  return q.orderBy('name').orderBy('id').limit(limit).execute();
}

export interface NotificationRow {
  id: string;
  batch_id: string;
  recipient: string;
  org_ids: string;
  subject: string;
  attachments: string;
  status: string;
  error: string | null;
  created_at: string;
}

/**
 * The notification log, newest first: all of it, or the messages that covered one organisation.
 * org_ids is a JSON list of ids, so an id appears in it quoted; ids are [A-Za-z0-9-] (checked by
 * the caller), which holds no LIKE wildcard.
 */
export async function notificationLog(db: Kysely<Database>, f: { orgId?: string; status?: string | undefined; limit: number; offset: number }): Promise<{ total: number; items: NotificationRow[] }> {
  let q = db.selectFrom('notifications');
  if (f.orgId) q = q.where('org_ids', 'like', `%${JSON.stringify(f.orgId)}%`);
  if (f.status) q = q.where('status', '=', f.status as 'sent');
  const { total } = await q.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const items = await q.select(['id', 'batch_id', 'recipient', 'org_ids', 'subject', 'attachments', 'status', 'error', 'created_at'])
    .orderBy('created_at', 'desc').orderBy('id').limit(f.limit).offset(f.offset).execute();
  return { total: Number(total), items };
}

export function jsonList(text: string): string[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** The organisation a person named in a form: its exact name (any case) or its id. */
export async function resolveOrganisation(db: Kysely<Database>, wanted: string | undefined): Promise<string> {
  if (!wanted) throw new InvalidInput('name the organisation (its exact name or id)');
  const byName = await db.selectFrom('organisations').select('id').where((eb) => eb(eb.fn('lower', ['name']), '=', wanted.toLowerCase())).limit(2).execute();
  if (byName.length > 1) throw new InvalidInput(`several organisations are called "${wanted}"; give its id instead`);
  if (byName[0]) return byName[0].id;
  const byId = await db.selectFrom('organisations').select('id').where('id', '=', wanted).executeTakeFirst();
  if (!byId) throw new InvalidInput(`there is no organisation called "${wanted}"`);
  return byId.id;
}

/** Name suggestions for a form field, or none when the constituency is too large to list. */
export async function nameSuggestions(db: Kysely<Database>, max = 2000): Promise<string> {
  const names = await organisationNames(db, undefined, max + 1);
  if (names.length === 0 || names.length > max) return '';
  return `<datalist id="organisation-names">${names.map((o) => `<option value="${esc(o.name)}"></option>`).join('')}</datalist>`;
}
