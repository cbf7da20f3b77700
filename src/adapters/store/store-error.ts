import { BallastError, isBallastError } from '../../core/errors.js';

/**
 * A readable message for any thrown value. Node reports a refused connection to a host with several
 * addresses (localhost → ::1 and 127.0.0.1) as an AggregateError whose own message is empty.
 */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.message === '') {
    return error.errors.map(describeError).join('; ') || 'unknown error';
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (error.message) return error.message;
    return typeof code === 'string' ? code : error.name;
  }
  return String(error);
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

// SQLSTATEs from PostgreSQL appendix A; SQLite extended result codes as better-sqlite3 names them.
const UNIQUE = new Set(['23505', 'SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_UNIQUE']);
const FOREIGN_KEY = new Set(['23503', 'SQLITE_CONSTRAINT_FOREIGNKEY']);
const RETRYABLE = new Set(['40001', '40P01']);

/** Maps a driver error to a catalogued BallastError; BallastErrors pass through unchanged. */
export function toStoreError(error: unknown, operation: string): BallastError {
  if (isBallastError(error)) return error;
  const code = codeOf(error);
  const reason = describeError(error);
  const details = { operation, driverCode: code };
  if (UNIQUE.has(code)) {
    return new BallastError(
      'BALLAST_ERR_CONFLICT',
      `${operation}: a record with the same key already exists`,
      {
        cause: error,
        details,
      },
    );
  }
  if (FOREIGN_KEY.has(code)) {
    return new BallastError(
      'BALLAST_ERR_NOT_FOUND',
      `${operation}: it refers to a record that does not exist`,
      {
        cause: error,
        details,
      },
    );
  }
  if (RETRYABLE.has(code)) {
    return new BallastError(
      'BALLAST_ERR_CONFLICT',
      `${operation}: a concurrent transaction won (${reason})`,
      {
        cause: error,
        details,
      },
    );
  }
  return new BallastError('BALLAST_ERR_STORE', `${operation} failed: ${reason}`, { cause: error, details });
}

/**
 * Wraps every method of a sub-store so that whatever the driver throws leaves as a BallastError
 * naming the operation; callers never see dialect-specific errors.
 */
export function guardStore<T extends object>(name: string, store: T): T {
  const guarded: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(store)) {
    if (typeof value !== 'function') {
      guarded[key] = value;
      continue;
    }
    guarded[key] = async (...args: unknown[]) => {
      try {
        return await value(...args);
      } catch (error) {
        throw toStoreError(error, `${name}.${key}`);
      }
    };
  }
  return Object.freeze(guarded) as T;
}
