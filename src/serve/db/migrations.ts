// Versioned migrations, run on every start (Kysely's Migrator records what ran in its own table
// and takes a lock, so two processes starting at once apply each step once). A migration is never
// edited after release: a schema change is a new entry at the end of the list.
import { type ColumnDefinitionBuilder, type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import type { Dialect } from './connect.js';

type Db = Kysely<unknown>;

function migrations(dialect: Dialect): Record<string, Migration> {
  // An auto-numbered key: SQLite's rowid alias, PostgreSQL's bigserial.
  const serialType = dialect === 'sqlite' ? 'integer' : 'bigserial';
  const serial = (c: ColumnDefinitionBuilder): ColumnDefinitionBuilder => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey());
  return {
    '0001-initial': {
      async up(db: Db): Promise<void> {
        const s = db.schema;
        await s.createTable('organisations')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('sector', 'text')
          .addColumn('country', 'text')
          .addColumn('contacts', 'text', (c) => c.notNull().defaultTo('[]'))
          .addColumn('abuse', 'text', (c) => c.notNull().defaultTo('[]'))
          .addColumn('status', 'text', (c) => c.notNull().defaultTo('clear'))
          .addColumn('servers', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('vulnerable', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('compromised', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await s.createIndex('organisations_name').on('organisations').column('name').execute();
        await s.createIndex('organisations_status').on('organisations').columns(['status', 'name']).execute();
        await s.createTable('org_ranges')
          .addColumn('id', serialType, serial)
          .addColumn('org_id', 'text', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
          .addColumn('cidr', 'text', (c) => c.notNull())
          .addColumn('start_hex', 'text', (c) => c.notNull())
          .addColumn('end_hex', 'text', (c) => c.notNull())
          .execute();
        await s.createIndex('org_ranges_start').on('org_ranges').columns(['start_hex', 'end_hex']).execute();
        await s.createIndex('org_ranges_org').on('org_ranges').column('org_id').execute();
        await s.createTable('org_domains')
          .addColumn('org_id', 'text', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
          .addColumn('domain', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('org_domains_pk', ['domain', 'org_id'])
          .execute();
        await s.createTable('org_tokens')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('org_id', 'text', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
          .addColumn('token_hash', 'text', (c) => c.notNull().unique())
          .addColumn('label', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('revoked_at', 'text')
          .execute();
        await s.createTable('users')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('email', 'text', (c) => c.notNull().unique())
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('password_hash', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('last_login_at', 'text')
          .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await s.createTable('sessions')
          .addColumn('id_hash', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('csrf', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .execute();
        await s.createTable('servers')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('org_id', 'text', (c) => c.references('organisations.id').onDelete('set null'))
          .addColumn('address', 'text', (c) => c.notNull().unique())
          .addColumn('hostname', 'text')
          .addColumn('port', 'integer')
          .addColumn('build', 'text')
          .addColumn('product', 'text')
          .addColumn('verdict', 'text')
          .addColumn('cves', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('vulnerable', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('compromised', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('status', 'text', (c) => c.notNull().defaultTo('open'))
          .addColumn('first_seen', 'text', (c) => c.notNull())
          .addColumn('last_seen', 'text', (c) => c.notNull())
          .execute();
        await s.createIndex('servers_org').on('servers').columns(['org_id', 'address']).execute();
        await s.createTable('observations')
          .addColumn('id', serialType, serial)
          .addColumn('server_id', 'text', (c) => c.notNull().references('servers.id').onDelete('cascade'))
          .addColumn('org_id', 'text', (c) => c.references('organisations.id').onDelete('set null'))
          .addColumn('observed_at', 'text', (c) => c.notNull())
          .addColumn('day', 'text', (c) => c.notNull())
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('tag', 'text', (c) => c.notNull())
          .addColumn('build', 'text')
          .addColumn('verdict', 'text')
          .addColumn('vulnerable', 'integer', (c) => c.notNull())
          .addColumn('compromised', 'integer', (c) => c.notNull())
          .addColumn('cves', 'text', (c) => c.notNull())
          .addColumn('url', 'text')
          .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
          .execute();
        await s.createIndex('observations_server').on('observations').columns(['server_id', 'observed_at']).execute();
        await s.createIndex('observations_org').on('observations').columns(['org_id', 'observed_at']).execute();
        await s.createTable('exposure_days')
          .addColumn('day', 'text', (c) => c.notNull())
          .addColumn('cve', 'text', (c) => c.notNull())
          .addColumn('server_id', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('exposure_days_pk', ['day', 'cve', 'server_id'])
          .execute();
        await s.createTable('exposure_counts')
          .addColumn('day', 'text', (c) => c.notNull())
          .addColumn('cve', 'text', (c) => c.notNull())
          .addColumn('servers', 'integer', (c) => c.notNull())
          .addPrimaryKeyConstraint('exposure_counts_pk', ['day', 'cve'])
          .execute();
        await s.createTable('reports')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('org_id', 'text', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
          .addColumn('server_id', 'text', (c) => c.references('servers.id').onDelete('set null'))
          .addColumn('sha256', 'text', (c) => c.notNull())
          .addColumn('size', 'integer', (c) => c.notNull())
          .addColumn('schema_version', 'text', (c) => c.notNull())
          .addColumn('host', 'text')
          .addColumn('verdict', 'text', (c) => c.notNull())
          .addColumn('summary', 'text', (c) => c.notNull())
          .addColumn('uploaded_at', 'text', (c) => c.notNull())
          .addColumn('body', 'text', (c) => c.notNull())
          .addUniqueConstraint('reports_org_sha', ['org_id', 'sha256'])
          .execute();
        await s.createTable('scans')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('org_id', 'text', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
          .addColumn('sha256', 'text', (c) => c.notNull())
          .addColumn('size', 'integer', (c) => c.notNull())
          .addColumn('hosts', 'integer', (c) => c.notNull())
          .addColumn('uploaded_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('scans_org_sha', ['org_id', 'sha256'])
          .execute();
        await s.createTable('findings')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('report_id', 'text', (c) => c.notNull().references('reports.id').onDelete('cascade'))
          .addColumn('org_id', 'text', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
          .addColumn('server_id', 'text', (c) => c.references('servers.id').onDelete('set null'))
          .addColumn('rule', 'text', (c) => c.notNull())
          .addColumn('title', 'text', (c) => c.notNull())
          .addColumn('severity', 'text', (c) => c.notNull())
          .addColumn('stage', 'text', (c) => c.notNull())
          .addColumn('cves', 'text', (c) => c.notNull())
          .addColumn('first_seen', 'text')
          .addColumn('last_seen', 'text')
          .addColumn('count', 'integer', (c) => c.notNull())
          .addColumn('summary', 'text', (c) => c.notNull())
          .execute();
        await s.createIndex('findings_org').on('findings').columns(['org_id', 'severity']).execute();
        await s.createIndex('findings_rule').on('findings').column('rule').execute();
        await s.createTable('remediation_history')
          .addColumn('id', serialType, serial)
          .addColumn('org_id', 'text', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
          .addColumn('server_id', 'text', (c) => c.notNull().references('servers.id').onDelete('cascade'))
          .addColumn('from_status', 'text', (c) => c.notNull())
          .addColumn('to_status', 'text', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('note', 'text', (c) => c.notNull())
          .execute();
        await s.createIndex('remediation_history_org').on('remediation_history').columns(['org_id', 'at']).execute();
        await s.createTable('notifications')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('batch_id', 'text', (c) => c.notNull())
          .addColumn('recipient', 'text', (c) => c.notNull())
          .addColumn('org_ids', 'text', (c) => c.notNull())
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('body', 'text', (c) => c.notNull())
          .addColumn('attachments', 'text', (c) => c.notNull())
          .addColumn('news', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('error', 'text')
          .addColumn('message_id', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await s.createIndex('notifications_recipient').on('notifications').columns(['recipient', 'created_at']).execute();
        await s.createTable('notified_news')
          .addColumn('org_id', 'text', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
          .addColumn('news_key', 'text', (c) => c.notNull())
          .addColumn('notification_id', 'text', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('notified_news_pk', ['org_id', 'news_key'])
          .execute();
        await s.createTable('templates')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('body', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addColumn('updated_by', 'text', (c) => c.notNull())
          .execute();
        await s.createTable('audit_log')
          .addColumn('id', serialType, serial)
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('entity', 'text', (c) => c.notNull())
          .addColumn('entity_id', 'text', (c) => c.notNull())
          .addColumn('detail', 'text', (c) => c.notNull())
          .execute();
        await s.createIndex('audit_entity').on('audit_log').columns(['entity', 'entity_id']).execute();
        await s.createTable('jobs')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('org_id', 'text', (c) => c.references('organisations.id').onDelete('cascade'))
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('completions', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('worker', 'text')
          .addColumn('locked_until', 'text')
          .addColumn('result', 'text')
          .addColumn('error', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('started_at', 'text')
          .addColumn('finished_at', 'text')
          .execute();
        await s.createIndex('jobs_status').on('jobs').columns(['status', 'created_at']).execute();
      },
    },
    // Indexes for the dashboard's lists at national scale (npm run bench:serve: 30,000
    // organisations, 250,000 servers): each list is read in index order instead of sorted whole.
    '0002-list-indexes': {
      async up(db: Db): Promise<void> {
        const s = db.schema;
        await s.createIndex('servers_unmatched').on('servers').columns(['org_id', 'last_seen desc', 'address']).execute();
        await s.dropIndex('findings_rule').execute();
        await s.createIndex('findings_rule').on('findings').columns(['rule', 'org_id', 'severity', 'title']).execute();
        await s.createIndex('organisations_exposed').on('organisations').columns(['compromised desc', 'vulnerable desc', 'name', 'id']).execute();
        await s.dropIndex('organisations_status').execute();
        await s.createIndex('organisations_status').on('organisations').columns(['status', 'compromised desc', 'vulnerable desc', 'name', 'id']).execute();
        await s.createIndex('organisations_country').on('organisations').column('country').execute();
        await s.createIndex('organisations_sector').on('organisations').column('sector').execute();
      },
    },
  };
}

class StaticProvider implements MigrationProvider {
  constructor(private readonly list: Record<string, Migration>) {}
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(this.list);
  }
}

/** Applies every migration not yet applied; throws with the failing migration's name. */
export async function migrate(db: Db, dialect: Dialect): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new StaticProvider(migrations(dialect)), migrationTableName: 'exhunt_migrations', migrationLockTableName: 'exhunt_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

