/**
 * Operational failures throw a BallastError with a catalogued code. Expected outcomes
 * (spec diagnostics, provider failures, inconclusive analyses) are values, not errors.
 * HTTP status and exit codes are chosen at the boundaries (http/, cli/), never here.
 */
export const ERROR_CODES = {
  BALLAST_ERR_CONFIG: 'the project configuration is invalid',
  BALLAST_ERR_SPEC: 'a change spec is invalid',
  BALLAST_ERR_DATASET: 'a dataset file is invalid',
  BALLAST_ERR_USAGE: 'a command was called with invalid arguments',
  BALLAST_ERR_NOT_FOUND: 'a named thing does not exist',
  BALLAST_ERR_CONFLICT: 'a concurrent update won; retry with fresh state',
  BALLAST_ERR_STORE: 'the store failed',
  BALLAST_ERR_STORE_UNSUPPORTED: 'the store URL names an unsupported database',
  BALLAST_ERR_MIGRATION: 'a database migration failed',
  BALLAST_ERR_IO: 'a file could not be read or written',
  BALLAST_ERR_INTERRUPTED: 'the command was stopped by a signal (Ctrl-C, a CI timeout)',
  BALLAST_ERR_INTERNAL: 'an unexpected internal error',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class BallastError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BallastError';
    this.code = code;
    this.details = Object.freeze({ ...(options?.details ?? {}) });
  }
}

export function isBallastError(value: unknown): value is BallastError {
  return value instanceof BallastError;
}
