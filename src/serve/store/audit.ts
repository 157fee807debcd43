// The audit log: every change made through the service, by whom, in one row.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

export interface AuditEntry {
  actor: string;
  action: string;
  entity: string;
  entityId: string;
  detail?: Record<string, unknown>;
}

export async function audit(db: Kysely<Database>, e: AuditEntry, at = new Date()): Promise<void> {
  await db.insertInto('audit_log').values({ at: at.toISOString(), actor: e.actor, action: e.action, entity: e.entity, entity_id: e.entityId, detail: JSON.stringify(e.detail ?? {}) }).execute();
}
