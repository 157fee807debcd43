// Uploaded hunt reports and scan results. An upload is identified by the SHA-256 of its canonical
// JSON (parsed and serialised again, so whitespace does not matter): the same document from the
// same organisation twice is one record, and the second upload answers with the first one's id.
// A hunt report's identity leaves out when it was made and how long it took (generatedAt, stats),
// so hunting the same collection again is the same report; a scan is a sighting at a time, so a
// scan's identity is the whole document.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { sha256Hex } from '../auth/secrets.js';
import { hexToIp, ipToHex } from '../ip.js';
import type { Database } from '../db/schema.js';
import { ingestScanHosts } from '../ingest/scan-results.js';
import { recordObservations } from './observations.js';
import { audit } from './audit.js';
import { InvalidInput, organisationScope } from './orgs.js';

export interface UploadResult {
  id: string;
  created: boolean;
}

interface ReportDoc {
  schemaVersion: string;
  generatedAt?: string;
  verdict: { status: string; summary: string; firstActivity?: string; lastActivity?: string };
  findings: {
    rule: string;
    title: string;
    severity: string;
    stage: string;
    cves?: string[];
    time?: string;
    lastSeen?: string;
    count?: number;
    summary?: string;
  }[];
  exposure?: { build?: string | null; product?: string | null; verdict?: string; cves?: { id: string }[] };
  inputs?: { path?: string }[];
}

export function canonicalSha(doc: unknown): string {
  return sha256Hex(JSON.stringify(doc));
}

export function reportIdentity(doc: object, server: string | undefined): string {
  const { generatedAt: _made, stats: _took, ...content } = doc as Record<string, unknown>;
  return canonicalSha(server === undefined ? content : { content, server });
}

/**
 * Stores a hunt report (already checked against the upload schema) with its findings. `server`:
 * the address of the Exchange server the collection came from, which must lie in the
 * organisation's ranges; the report then also counts as an observation of that server.
 */
export async function ingestReport(db: Kysely<Database>, orgId: string, doc: ReportDoc, opts: { server?: string | undefined; actor: string; now?: Date }): Promise<UploadResult> {
  const now = opts.now ?? new Date();
  const hex = opts.server === undefined ? undefined : ipToHex(opts.server.trim());
  if (opts.server !== undefined && hex === undefined) throw new InvalidInput(`server "${opts.server.slice(0, 64)}" is not an IP address`);
  // One spelling per address (::ffff:c000:20a is 192.0.2.10), as the servers table keeps it.
  const server = hex === undefined ? undefined : hexToIp(hex);
  const sha = reportIdentity(doc, server);
  const existing = await db.selectFrom('reports').select('id').where('org_id', '=', orgId).where('sha256', '=', sha).executeTakeFirst();
  if (existing) return { id: existing.id, created: false };
  if (server !== undefined && !(await (await organisationScope(db, orgId))(server))) {
    throw new InvalidInput(`server ${server} is not in the organisation's registered address ranges`);
  }
  const body = JSON.stringify(doc);
  const id = randomUUID();
  let serverId: string | null = null;
  if (server !== undefined) {
    const compromised = doc.verdict.status === 'COMPROMISED';
    const vulnerable = doc.exposure?.verdict === 'vulnerable';
    await recordObservations(db, [{
      address: server,
      observedAt: doc.generatedAt ?? now.toISOString(),
      source: 'hunt',
      tag: `exchange;hunt;${doc.verdict.status.toLowerCase().replace(/\s+/g, '-')}`,
      build: doc.exposure?.build ?? null,
      product: doc.exposure?.product ?? null,
      verdict: doc.exposure?.verdict ?? null,
      vulnerable,
      compromised,
      cves: vulnerable ? (doc.exposure?.cves ?? []).map((c) => c.id) : [],
      orgId,
    }], opts.actor, now);
    serverId = (await db.selectFrom('servers').select('id').where('address', '=', server).executeTakeFirst())?.id ?? null;
  }
  const inserted = await db.transaction().execute(async (trx) => {
    const r = await trx.insertInto('reports').values({
      id, org_id: orgId, server_id: serverId, sha256: sha, size: Buffer.byteLength(body), schema_version: doc.schemaVersion,
      host: server ?? null, verdict: doc.verdict.status, summary: doc.verdict.summary, uploaded_at: now.toISOString(), body,
    }).onConflict((oc) => oc.columns(['org_id', 'sha256']).doNothing()).executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) return false;
    const rows = doc.findings.map((f) => ({
      id: randomUUID(), report_id: id, org_id: orgId, server_id: serverId, rule: f.rule, title: f.title, severity: f.severity, stage: f.stage,
      cves: (f.cves ?? []).join(' '), first_seen: f.time ?? null, last_seen: f.lastSeen ?? f.time ?? null, count: f.count ?? 1, summary: f.summary ?? '',
    }));
    for (let i = 0; i < rows.length; i += 200) await trx.insertInto('findings').values(rows.slice(i, i + 200)).execute();
    await audit(trx, { actor: opts.actor, action: 'upload', entity: 'report', entityId: id, detail: { org: orgId, verdict: doc.verdict.status, findings: rows.length, server: server ?? null } }, now);
    return true;
  });
  if (!inserted) {
    // Another upload of the same report won the race; answer with its id.
    const row = await db.selectFrom('reports').select('id').where('org_id', '=', orgId).where('sha256', '=', sha).executeTakeFirstOrThrow();
    return { id: row.id, created: false };
  }
  return { id, created: true };
}

export interface ScanUploadResult extends UploadResult {
  hosts: number;
  recorded: number;
  outsideRanges: number;
}

/** Stores the results of `exhunt scan -f json`; hosts outside the organisation's ranges are skipped. */
export async function ingestScanUpload(db: Kysely<Database>, orgId: string, doc: { hosts: unknown[] }, opts: { actor: string; now?: Date }): Promise<ScanUploadResult> {
  const now = opts.now ?? new Date();
  const sha = canonicalSha(doc);
  const existing = await db.selectFrom('scans').select(['id', 'hosts']).where('org_id', '=', orgId).where('sha256', '=', sha).executeTakeFirst();
  if (existing) return { id: existing.id, created: false, hosts: existing.hosts, recorded: 0, outsideRanges: 0 };
  const id = randomUUID();
  const claimed = await db.insertInto('scans').values({ id, org_id: orgId, sha256: sha, size: Buffer.byteLength(JSON.stringify(doc)), hosts: doc.hosts.length, uploaded_at: now.toISOString() })
    .onConflict((oc) => oc.columns(['org_id', 'sha256']).doNothing()).executeTakeFirst();
  if (Number(claimed.numInsertedOrUpdatedRows ?? 0) === 0) {
    const row = await db.selectFrom('scans').select(['id', 'hosts']).where('org_id', '=', orgId).where('sha256', '=', sha).executeTakeFirstOrThrow();
    return { id: row.id, created: false, hosts: row.hosts, recorded: 0, outsideRanges: 0 };
  }
  const r = await ingestScanHosts(db, orgId, doc.hosts, opts.actor, now);
  await audit(db, { actor: opts.actor, action: 'upload', entity: 'scan', entityId: id, detail: { org: orgId, hosts: doc.hosts.length, recorded: r.inserted, outsideRanges: r.outsideRanges } }, now);
  return { id, created: true, hosts: doc.hosts.length, recorded: r.inserted, outsideRanges: r.outsideRanges };
}
