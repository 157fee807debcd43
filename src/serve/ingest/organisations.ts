// Importing the constituency: a CSV (name,sector,country,ranges,domains,abuse,contacts) or a JSON
// array of objects with the same fields. Importing is idempotent by name (case-insensitive): a
// known organisation only gains the ranges, domains and abuse addresses it lacks, so the same list
// can be imported again after it grew. One bad row is reported and the rest go on.
import type { Kysely } from 'kysely';
import { splitCsvLine } from '../../core/csv.js';
import { atomically } from '../db/connect.js';
import type { Database } from '../db/schema.js';
import { cidrToRange } from '../ip.js';
import { audit } from '../store/audit.js';
import { type Contact, InvalidInput, type NewOrganisation, checkEmail, createOrganisation, normaliseDomain } from '../store/orgs.js';

export interface OrganisationImport {
  created: { id: string; name: string; token: string }[];
  updated: { id: string; name: string }[];
  /** Known organisations the list adds nothing to. */
  unchanged: number;
  errors: string[];
}

interface Entry {
  line: number;
  org: NewOrganisation;
}

const LIST = /[\s;,]+/;

function list(v: unknown, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return v.split(LIST).filter(Boolean);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.flatMap((x) => x.split(LIST)).filter(Boolean);
  throw new InvalidInput(`${field} must be a list of strings`);
}

/** `Jane Doe <jane@example.org>` or a bare address (CSV), or { name?, email, phone? } (JSON). */
function contact(v: unknown): Contact {
  if (typeof v === 'string') {
    const m = /^(.*?)\s*<([^<>]+)>$/.exec(v.trim());
    return m && m[1] ? { name: m[1], email: m[2]! } : { email: m ? m[2]! : v.trim() };
  }
  if (typeof v === 'object' && v !== null && typeof (v as Contact).email === 'string') {
    const c = v as Record<string, unknown>;
    return { email: String(c['email']), ...(typeof c['name'] === 'string' ? { name: c['name'] } : {}), ...(typeof c['phone'] === 'string' ? { phone: c['phone'] } : {}) };
  }
  throw new InvalidInput('a contact must be "Name <e-mail>" or { "name", "email", "phone" }');
}

function optionalText(v: unknown, field: string): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string') throw new InvalidInput(`${field} must be text`);
  return v.trim() || null;
}

function entryOf(o: Record<string, unknown>): NewOrganisation {
  if (typeof o['name'] !== 'string' || o['name'].trim() === '') throw new InvalidInput('the name is missing');
  const contacts = o['contacts'];
  const contactList = contacts === undefined || contacts === null || contacts === '' ? [] : Array.isArray(contacts) ? contacts : String(contacts).split(';').filter((c) => c.trim() !== '');
  return {
    name: o['name'].trim(),
    sector: optionalText(o['sector'], 'sector'),
    country: optionalText(o['country'], 'country'),
    ranges: list(o['ranges'], 'ranges'),
    domains: list(o['domains'], 'domains'),
    abuse: list(o['abuse'], 'abuse'),
    contacts: contactList.map(contact),
  };
}

/** The line each top-level array element starts on, so JSON errors can name a line too. */
function elementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let expecting = false;
  for (const ch of text) {
    if (ch === '\n') line++;
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
      continue;
    }
    if (depth === 1 && expecting && !/[\s,\]]/.test(ch)) {
      lines.push(line);
      expecting = false;
    }
    if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') expecting = ++depth === 1;
    else if (ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 1) expecting = true;
  }
  return lines;
}

function parse(text: string, fileName: string, errors: string[]): Entry[] {
  const body = text.replace(/^\uFEFF/, '');
  const entries: Entry[] = [];
  const tryEntry = (line: number, read: () => NewOrganisation): void => {
    try {
      entries.push({ line, org: read() });
    } catch (err) {
      if (!(err instanceof InvalidInput)) throw err;
      errors.push(`${fileName}:${line}: ${err.message}`);
    }
  };
  if (/^\s*[[{]/.test(body)) {
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch (err) {
      errors.push(`${fileName}:1: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
      return entries;
    }
    if (!Array.isArray(doc)) {
      errors.push(`${fileName}:1: expected a JSON array of organisations, [{ "name": …, "ranges": […] }, …]`);
      return entries;
    }
    const lines = elementLines(body);
    doc.forEach((o, i) => tryEntry(lines[i] ?? 1, () => {
      if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new InvalidInput('each element must be an object with a "name"');
      return entryOf(o as Record<string, unknown>);
    }));
    return entries;
  }
  const lines = body.split(/\r?\n/);
  const head = lines.findIndex((l) => l.trim() !== '');
  if (head === -1) {
    errors.push(`${fileName}:1: the file is empty; expected a CSV with the header name,sector,country,ranges,domains,abuse,contacts or a JSON array`);
    return entries;
  }
  const names = splitCsvLine(lines[head]!).values.map((v) => v.trim().toLowerCase());
  if (!names.includes('name')) {
    errors.push(`${fileName}:${head + 1}: no "name" column in the header; expected name,sector,country,ranges,domains,abuse,contacts`);
    return entries;
  }
  for (let i = head + 1; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue;
    const { values, unterminated } = splitCsvLine(lines[i]!);
    tryEntry(i + 1, () => {
      if (unterminated) throw new InvalidInput('a quoted field is not closed');
      return entryOf(Object.fromEntries(names.map((n, k) => [n, values[k]?.trim() ?? ''])));
    });
  }
  return entries;
}

/** Checks every value first, so that a bad row changes nothing. */
function checked(o: NewOrganisation): { ranges: { cidr: string; start: string; end: string }[]; domains: string[]; abuse: string[] } {
  const ranges = (o.ranges ?? []).map((r) => {
    const range = cidrToRange(r);
    if (!range) throw new InvalidInput(`"${r}" is not an address or CIDR range such as 192.0.2.0/24 or 2001:db8::/48`);
    return range;
  });
  const domains = (o.domains ?? []).map((d) => {
    const v = normaliseDomain(d);
    if (!v) throw new InvalidInput(`"${d}" is not a domain name such as example.org`);
    return v;
  });
  for (const c of o.contacts ?? []) checkEmail(c.email);
  return { ranges, domains, abuse: (o.abuse ?? []).map(checkEmail) };
}

/** Adds what the organisation lacks; returns whether anything was added. */
async function extend(db: Kysely<Database>, id: string, o: NewOrganisation, actor: string, now: Date): Promise<boolean> {
  const want = checked(o);
  return atomically(db, async (trx) => {
    const org = await trx.selectFrom('organisations').select('abuse').where('id', '=', id).executeTakeFirstOrThrow();
    const haveRanges = new Set((await trx.selectFrom('org_ranges').select('cidr').where('org_id', '=', id).execute()).map((r) => r.cidr));
    const haveDomains = new Set((await trx.selectFrom('org_domains').select('domain').where('org_id', '=', id).execute()).map((r) => r.domain));
    const abuse = JSON.parse(org.abuse) as string[];
    const haveAbuse = new Set(abuse.map((a) => a.toLowerCase()));
    const ranges = [...new Map(want.ranges.filter((r) => !haveRanges.has(r.cidr)).map((r) => [r.cidr, r])).values()];
    const domains = [...new Set(want.domains.filter((d) => !haveDomains.has(d)))];
    const newAbuse: string[] = [];
    for (const a of want.abuse) {
      if (haveAbuse.has(a.toLowerCase())) continue;
      haveAbuse.add(a.toLowerCase());
      newAbuse.push(a);
    }
    if (ranges.length + domains.length + newAbuse.length === 0) return false;
    if (ranges.length > 0) await trx.insertInto('org_ranges').values(ranges.map((r) => ({ org_id: id, cidr: r.cidr, start_hex: r.start, end_hex: r.end }))).execute();
    if (domains.length > 0) await trx.insertInto('org_domains').values(domains.map((domain) => ({ org_id: id, domain }))).execute();
    await trx.updateTable('organisations').set({ abuse: JSON.stringify([...abuse, ...newAbuse]), updated_at: now.toISOString() }).where('id', '=', id).execute();
    await audit(trx, { actor, action: 'update', entity: 'organisation', entityId: id, detail: { added: { ranges: ranges.map((r) => r.cidr), domains, abuse: newAbuse } } }, now);
    return true;
  });
}

/** Imports an organisation list (CSV or JSON array, told apart by the first character). */
export async function importOrganisations(db: Kysely<Database>, text: string, fileName: string, actor: string, now = new Date()): Promise<OrganisationImport> {
  const result: OrganisationImport = { created: [], updated: [], unchanged: 0, errors: [] };
  const entries = parse(text, fileName, result.errors);
  const known = new Map<string, string>();
  // Lower-cased here rather than in SQL: SQLite's lower() folds ASCII only.
  for (const o of await db.selectFrom('organisations').select(['id', 'name']).orderBy('created_at').execute()) if (!known.has(o.name.toLowerCase())) known.set(o.name.toLowerCase(), o.id);
  for (const { line, org } of entries) {
    const key = org.name.toLowerCase();
    try {
      const id = known.get(key);
      if (id === undefined) {
        checked(org);
        const made = await createOrganisation(db, org, actor, now);
        known.set(key, made.id);
        result.created.push({ id: made.id, name: org.name, token: made.token });
      } else if (await extend(db, id, org, actor, now)) {
        if (!result.updated.some((u) => u.id === id)) result.updated.push({ id, name: org.name });
      } else {
        result.unchanged++;
      }
    } catch (err) {
      if (!(err instanceof InvalidInput)) throw err;
      result.errors.push(`${fileName}:${line}: ${org.name}: ${err.message}`);
    }
  }
  await audit(db, { actor, action: 'import', entity: 'organisations', entityId: fileName, detail: { created: result.created.length, updated: result.updated.length, unchanged: result.unchanged, errors: result.errors.length } }, now);
  return result;
}
