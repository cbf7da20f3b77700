import type { Kysely } from 'kysely';
import type { JsonValue } from '../../app/ports/json-value.js';
import type { Database } from './database.js';

/** What every SQL sub-store is built from: a connection (or a transaction) and whether it is one. */
export interface SqlContext {
  readonly db: Kysely<Database>;
  readonly inTransaction: boolean;
  /** PostgreSQL needs explicit locks where SQLite's single writer already serializes. */
  readonly dialect: 'sqlite' | 'postgres';
}

/**
 * Runs a multi-statement operation atomically: inside the caller's transaction when there is one
 * (Kysely cannot nest transactions), otherwise in a transaction of its own.
 */
export function atomically<T>(ctx: SqlContext, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  return ctx.inTransaction ? fn(ctx.db) : ctx.db.transaction().execute(fn);
}

/** JSON columns are text on both dialects, so the same migration and queries run everywhere. */
export function toJsonText(value: JsonValue): string {
  return JSON.stringify(value);
}

export function fromJsonText<T extends JsonValue>(text: string): T {
  return JSON.parse(text) as T;
}
