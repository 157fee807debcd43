// Exchange version strings as people paste them: ExSetup's FileVersion (15.1.2176.2), the long form
// of Microsoft's build table (15.01.2176.002), Exchange Management Shell's AdminDisplayVersion
// ("Version 15.1 (Build 2176.2)") and the three-part build an OWA page path reveals (15.1.2176).
import { UsageError } from '../core/errors.js';

export interface ExchangeVersion {
  major: number;
  minor: number;
  build: number;
  /** Absent for a three-part build (CU level only: the security update is unknown). */
  revision?: number;
  /** Read from AdminDisplayVersion, whose revision is the CU's, whatever SU is installed. */
  adminDisplay?: boolean;
}

const DOTTED = /^v?(\d{1,3})\.(\d{1,3})\.(\d{1,6})(?:\.(\d{1,6}))?$/i;
const ADMIN_DISPLAY = /^version\s+(\d{1,3})\.(\d{1,3})\s*\(\s*build\s+(\d{1,6})(?:\.(\d{1,6}))?\s*\)$/i;

/** Parses one of the accepted forms, or throws a UsageError naming the forms. */
export function parseExchangeVersion(text: string): ExchangeVersion {
  const t = text.trim();
  const admin = ADMIN_DISPLAY.exec(t);
  if (admin) {
    const v: ExchangeVersion = { major: Number(admin[1]), minor: Number(admin[2]), build: Number(admin[3]), adminDisplay: true };
    if (admin[4] !== undefined) v.revision = Number(admin[4]);
    return v;
  }
  const m = DOTTED.exec(t);
  if (!m) {
    throw new UsageError(`"${text}" is not an Exchange version; give 15.1.2176.2, 15.01.2176.002, "Version 15.1 (Build 2176.2)" or a three-part build such as 15.1.2176`);
  }
  const v: ExchangeVersion = { major: Number(m[1]), minor: Number(m[2]), build: Number(m[3]) };
  if (m[4] !== undefined) v.revision = Number(m[4]);
  return v;
}

/** Parses a build from the data table (always four parts). */
export function parseFullBuild(text: string): ExchangeVersion | undefined {
  const m = DOTTED.exec(text);
  if (!m || m[4] === undefined) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), build: Number(m[3]), revision: Number(m[4]) };
}

/** Part-by-part numeric order; a missing revision sorts before every revision of its build. */
export function compareVersions(a: ExchangeVersion, b: ExchangeVersion): number {
  return a.major - b.major || a.minor - b.minor || a.build - b.build || (a.revision ?? -1) - (b.revision ?? -1);
}

/** Same major.minor.build (a security update keeps its CU's build part). */
export function sameBuildLine(a: ExchangeVersion, b: ExchangeVersion): boolean {
  return a.major === b.major && a.minor === b.minor && a.build === b.build;
}

export function formatVersion(v: ExchangeVersion): string {
  return `${v.major}.${v.minor}.${v.build}${v.revision === undefined ? '' : `.${v.revision}`}`;
}

/** Microsoft's long form: 15.01.2176.009. */
export function formatLongVersion(v: ExchangeVersion): string {
  const pad = (n: number, w: number): string => String(n).padStart(w, '0');
  return `${v.major}.${pad(v.minor, 2)}.${pad(v.build, 4)}${v.revision === undefined ? '' : `.${pad(v.revision, 3)}`}`;
}
