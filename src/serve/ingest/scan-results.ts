// Results of `exhunt scan -f json` uploaded by an organisation ({ hosts: HostResult[] }): each
// reachable Exchange host becomes an observation of that organisation. Only addresses inside the
// organisation's registered ranges are accepted: an organisation must not plant data about
// other people's servers.
import { isIP } from 'node:net';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { audit } from '../store/audit.js';
import { type ObservationInput, type RecordResult, recordObservations } from '../store/observations.js';
import { organisationScope } from '../store/orgs.js';

export interface ScanIngestResult extends RecordResult {
  /** Hosts whose address is outside the organisation's ranges: not recorded. */
  outsideRanges: number;
  /** Hosts that are malformed, unreachable or not Exchange: not recorded. */
  skipped: number;
  /** Why each malformed host was skipped (`host N: …`). */
  errors: string[];
}

const MAX_ERRORS = 50;

type HostCheck = { host: ObservationInput } | { skip: string } | { skip: null };

function text(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}

/** A host name from a target as the user gave it (name, name:port, URL); null for an address. */
function targetName(target: string | null): string | null {
  if (!target) return null;
  const host = /^https?:\/\//i.test(target) ? (URL.canParse(target) ? new URL(target).hostname : '') : target.replace(/:\d+$/, '');
  return /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(host) && isIP(host) === 0 ? host.toLowerCase() : null;
}

/** The minimal shape this needs from a HostResult; anything else in the object is ignored. */
function readHost(v: unknown, observedAt: string, orgId: string): HostCheck {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { skip: 'not an object' };
  const h = v as Record<string, unknown>;
  const target = text(h['target']);
  const address = text(h['address']) ?? (target && isIP(target) !== 0 ? target : null);
  if (!address || isIP(address) === 0) return { skip: 'no IP address (address, or target as an address)' };
  const verdict = text(h['verdict']);
  if (!verdict) return { skip: 'no verdict' };
  const cves = h['cves'];
  if (!Array.isArray(cves) || !cves.every((c) => typeof c === 'object' && c !== null && typeof (c as { id?: unknown }).id === 'string')) {
    return { skip: 'cves is not a list of { id }' };
  }
  // A refused, unreachable or non-Exchange target says nothing about an Exchange server.
  if (h['reachable'] === false || h['exchange'] === false || verdict === 'refused') return { skip: null };
  const port = h['port'];
  return {
    host: {
      address, hostname: targetName(target), port: typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536 ? port : null,
      observedAt, source: 'scan', tag: 'exchange;scan', build: text(h['build']), product: text(h['product']), verdict,
      vulnerable: verdict === 'vulnerable', compromised: false,
      // Only CVEs open whatever the configuration, as for the other sources.
      cves: (cves as { id: string; condition?: unknown }[]).filter((c) => c.condition === undefined || c.condition === null).map((c) => c.id),
      orgId,
    },
  };
}

/** Records an organisation's scan results, observed at `now`. */
export async function ingestScanHosts(db: Kysely<Database>, orgId: string, hosts: unknown[], actor: string, now = new Date()): Promise<ScanIngestResult> {
  const inside = await organisationScope(db, orgId);
  const observedAt = now.toISOString();
  const rows: ObservationInput[] = [];
  const errors: string[] = [];
  let skipped = 0;
  let outsideRanges = 0;
  for (const [i, v] of hosts.entries()) {
    const r = readHost(v, observedAt, orgId);
    if ('skip' in r) {
      skipped++;
      if (r.skip && errors.length < MAX_ERRORS) errors.push(`host ${i + 1}: ${r.skip}`);
    } else if (!(await inside(r.host.address))) {
      outsideRanges++;
    } else {
      rows.push(r.host);
    }
  }
  const result = await recordObservations(db, rows, actor, now);
  if (outsideRanges > 0) {
    await audit(db, { actor, action: 'refuse', entity: 'organisation', entityId: orgId, detail: { why: 'scan results for addresses outside its ranges', hosts: outsideRanges } }, now);
  }
  return { ...result, outsideRanges, skipped, errors };
}
