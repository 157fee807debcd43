// The service's tables as Kysely sees them. Times are ISO-8601 UTC strings (they sort as text in
// both SQLite and PostgreSQL), flags are 0/1 integers and lists are JSON text, so one query layer
// serves both databases without dialect branches.
import type { Generated } from 'kysely';

export const REMEDIATION = ['open', 'notified', 'acknowledged', 'patched', 'cleaned', 'verified'] as const;
export type RemediationStatus = (typeof REMEDIATION)[number];
export const ROLES = ['admin', 'analyst', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface OrganisationTable {
  id: string;
  name: string;
  sector: string | null;
  country: string | null;
  /** JSON: [{ name?, email, phone? }] */
  contacts: string;
  /** JSON: ["abuse@example.org", …] */
  abuse: string;
  /** The least advanced remediation status over its servers with a problem ('clear' when none). */
  status: string;
  servers: number;
  vulnerable: number;
  compromised: number;
  created_at: string;
  updated_at: string;
}

export interface OrgRangeTable {
  id: Generated<number>;
  org_id: string;
  cidr: string;
  /** First and last address as 32 hex digits (IPv4 as ::ffff:a.b.c.d), compared as text. */
  start_hex: string;
  end_hex: string;
}

export interface OrgDomainTable {
  org_id: string;
  domain: string;
}

export interface OrgTokenTable {
  id: string;
  org_id: string;
  token_hash: string;
  label: string;
  created_at: string;
  revoked_at: string | null;
}

export interface UserTable {
  id: string;
  email: string;
  role: Role;
  password_hash: string;
  created_at: string;
  last_login_at: string | null;
  disabled: number;
}

export interface SessionTable {
  id_hash: string;
  user_id: string;
  csrf: string;
  created_at: string;
  expires_at: string;
}

export interface ServerTable {
  id: string;
  org_id: string | null;
  address: string;
  hostname: string | null;
  port: number | null;
  build: string | null;
  product: string | null;
  verdict: string | null;
  /** Space-separated CVE ids open at the last observation. */
  cves: string;
  vulnerable: number;
  compromised: number;
  status: RemediationStatus;
  first_seen: string;
  last_seen: string;
}

export interface ObservationTable {
  id: Generated<number>;
  server_id: string;
  org_id: string | null;
  observed_at: string;
  day: string;
  source: 'scan' | 'shadowserver' | 'hunt';
  tag: string;
  build: string | null;
  verdict: string | null;
  vulnerable: number;
  compromised: number;
  cves: string;
  url: string | null;
  dedupe_key: string;
}

/** One row per (day, CVE, server) seen vulnerable: what the exposure chart counts. */
export interface ExposureDayTable {
  day: string;
  cve: string;
  server_id: string;
}

export interface ExposureCountTable {
  day: string;
  cve: string;
  servers: number;
}

export interface ReportTable {
  id: string;
  org_id: string;
  server_id: string | null;
  sha256: string;
  size: number;
  schema_version: string;
  host: string | null;
  verdict: string;
  summary: string;
  uploaded_at: string;
  body: string;
}

export interface ScanTable {
  id: string;
  org_id: string;
  sha256: string;
  size: number;
  hosts: number;
  uploaded_at: string;
}

export interface FindingTable {
  id: string;
  report_id: string;
  org_id: string;
  server_id: string | null;
  rule: string;
  title: string;
  severity: string;
  stage: string;
  cves: string;
  first_seen: string | null;
  last_seen: string | null;
  count: number;
  summary: string;
}

export interface RemediationHistoryTable {
  id: Generated<number>;
  org_id: string;
  server_id: string;
  from_status: string;
  to_status: string;
  at: string;
  actor: string;
  note: string;
}

export interface NotificationTable {
  id: string;
  batch_id: string;
  recipient: string;
  /** JSON: organisation ids covered by this message. */
  org_ids: string;
  subject: string;
  body: string;
  /** JSON: attachment file names. */
  attachments: string;
  /** JSON: the news keys this message carried. */
  news: string;
  status: 'sent' | 'failed' | 'bounced';
  error: string | null;
  message_id: string | null;
  created_at: string;
}

export interface NotifiedNewsTable {
  org_id: string;
  news_key: string;
  notification_id: string;
  at: string;
}

export interface TemplateTable {
  name: string;
  subject: string;
  body: string;
  updated_at: string;
  updated_by: string;
}

export interface AuditTable {
  id: Generated<number>;
  at: string;
  actor: string;
  action: string;
  entity: string;
  entity_id: string;
  detail: string;
}

export interface JobTable {
  id: string;
  kind: string;
  org_id: string | null;
  payload: string;
  status: 'queued' | 'active' | 'done' | 'failed';
  attempts: number;
  /** How many times the job's work was committed: exactly 1 for a done job. */
  completions: number;
  worker: string | null;
  locked_until: string | null;
  result: string | null;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface Database {
  organisations: OrganisationTable;
  org_ranges: OrgRangeTable;
  org_domains: OrgDomainTable;
  org_tokens: OrgTokenTable;
  users: UserTable;
  sessions: SessionTable;
  servers: ServerTable;
  observations: ObservationTable;
  exposure_days: ExposureDayTable;
  exposure_counts: ExposureCountTable;
  reports: ReportTable;
  scans: ScanTable;
  findings: FindingTable;
  remediation_history: RemediationHistoryTable;
  notifications: NotificationTable;
  notified_news: NotifiedNewsTable;
  templates: TemplateTable;
  audit_log: AuditTable;
  jobs: JobTable;
}
