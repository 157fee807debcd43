// Typed errors. Problems with one record or one file become ReportError entries and never
// propagate past the file that caused them; only usage and whole-input problems are thrown.
import type { ReportError } from './types.js';

export const ERROR_CODES = {
  usage: 'E_USAGE',
  inputMissing: 'E_INPUT_MISSING',
  read: 'E_READ',
  parse: 'E_PARSE',
  lineTooLong: 'E_LINE_TOO_LONG',
  binary: 'E_BINARY',
  encoding: 'E_ENCODING',
  truncated: 'E_TRUNCATED',
  evtx: 'E_EVTX',
  checksum: 'E_CHECKSUM',
  schema: 'E_SCHEMA',
  zip: 'E_ZIP',
  zipLimit: 'E_ZIP_LIMIT',
  zipPath: 'E_ZIP_PATH',
  limit: 'E_LIMIT',
  yara: 'E_YARA',
  ioc: 'E_IOC',
  internal: 'E_INTERNAL',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export class ExhuntError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ExhuntError';
  }
}

/** Bad command line: exit code 2. */
export class UsageError extends ExhuntError {
  constructor(message: string) {
    super(ERROR_CODES.usage, message);
    this.name = 'UsageError';
  }
}

/** An input that cannot be used at all (missing path): exit code 2. */
export class InputError extends ExhuntError {
  constructor(message: string) {
    super(ERROR_CODES.inputMissing, message);
    this.name = 'InputError';
  }
}

/** `file:line: message` or `file@offset: message` — the one-line form used on stderr. */
export function formatReportError(e: ReportError): string {
  let where = e.file;
  if (e.line !== undefined) where += `:${e.line}`;
  else if (e.offset !== undefined) where += `@${e.offset}`;
  return `${where}: ${e.message}`;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
