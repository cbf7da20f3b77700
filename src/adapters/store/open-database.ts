import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, PostgresDialect, type SqliteDatabase, sql } from 'kysely';
import type { TypeOverrides } from 'pg';
import { BallastError } from '../../core/errors.js';
import type { Database } from './database.js';
import { ImmediateSqliteDialect } from './immediate-sqlite-dialect.js';
import { describeError } from './store-error.js';
import type { PostgresTarget, SqliteTarget, StoreTarget } from './store-url.js';

export interface OpenDatabase {
  readonly db: Kysely<Database>;
  readonly target: StoreTarget;
  destroy(): Promise<void>;
}

function connectSqlite(target: SqliteTarget): Kysely<Database> {
  let native: BetterSqlite3.Database | undefined;
  try {
    if (target.filename !== ':memory:') mkdirSync(dirname(target.filename), { recursive: true });
    native = new BetterSqlite3(target.filename);
    // busy_timeout first: switching to WAL needs a lock another process may briefly hold.
    native.pragma('busy_timeout = 5000');
    // WAL lets the dashboard and CLI read while the gateway writes; NORMAL sync is the setting WAL
    // is designed for (durable across application crashes, may lose the last commit on power loss).
    native.pragma('journal_mode = WAL');
    native.pragma('synchronous = NORMAL');
    // SQLite leaves foreign keys off per connection unless asked.
    native.pragma('foreign_keys = ON');
    if (target.cacheKiB !== undefined) native.pragma(`cache_size = -${target.cacheKiB}`);
  } catch (cause) {
    native?.close();
    throw new BallastError(
      'BALLAST_ERR_STORE',
      `Cannot open the SQLite database ${target.filename}: ${describeError(cause)}`,
      { cause, details: { url: target.display } },
    );
  }
  return new Kysely<Database>({
    dialect: new ImmediateSqliteDialect({ database: withStatementCache(native) }),
  });
}

/** Distinct SQL texts whose prepared statements are kept; the least recently used goes first. */
const STATEMENT_CACHE_SIZE = 200;

/**
 * Kysely's SQLite driver prepares every query afresh; SQLite parses and plans the text each time.
 * The store runs the same few statements over and over (a batch insert per 200 eval rows, the
 * gateway's telemetry upserts), so the prepared statements are kept by their SQL text and reused:
 * better-sqlite3 rebinds the parameters on each run. Safe because the connection runs one query
 * at a time (Kysely's connection mutex), and SQLite re-prepares a statement itself when a
 * migration changes the schema under it.
 */
export function withStatementCache(native: BetterSqlite3.Database): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => {
      statements.clear();
      native.close();
    },
    prepare(text) {
      let stmt = statements.get(text);
      if (stmt === undefined) {
        stmt = native.prepare(text);
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
      } else {
        statements.delete(text);
      }
      statements.set(text, stmt);
      return stmt;
    },
  };
}

/**
 * One connection per SQLite file per process, shared by every store opened on it. better-sqlite3 is
 * synchronous: if two connections of one process contended for the write lock, the waiting one
 * would block the event loop in busy_timeout while the holder could never run to release it. One
 * shared connection turns that into Kysely's in-process queue; other processes still wait politely.
 */
const sharedFiles = new Map<string, { db: Kysely<Database>; refs: number }>();

function openSqlite(target: SqliteTarget): OpenDatabase {
  if (target.filename === ':memory:') {
    const db = connectSqlite(target);
    return { db, target, destroy: () => db.destroy() };
  }
  let entry = sharedFiles.get(target.filename);
  if (!entry) {
    entry = { db: connectSqlite(target), refs: 0 };
    sharedFiles.set(target.filename, entry);
  }
  entry.refs += 1;
  const shared = entry;
  return {
    db: shared.db,
    target,
    destroy: async () => {
      shared.refs -= 1;
      if (shared.refs > 0) return;
      sharedFiles.delete(target.filename);
      await shared.db.destroy();
    },
  };
}

// int8 (OID 20) carries our epoch-ms and counter columns and COUNT(*). pg returns it as a string
// to protect values beyond 2^53; ours stay far below (epoch ms reaches 2^53 in the year 287396).
// The override is per pool, so other pg users in the process keep the default.
let pgTypes: TypeOverrides | undefined;

async function openPostgres(target: PostgresTarget): Promise<OpenDatabase> {
  // pg loads only for PostgreSQL stores: a SQLite run does not pay for it at start-up.
  const { default: pg } = await import('pg');
  if (!pgTypes) {
    pgTypes = new pg.TypeOverrides();
    pgTypes.setTypeParser(20, (value: string) => Number(value));
  }
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    types: pgTypes,
    // Without a timeout a black-holed host hangs the CLI forever.
    connectionTimeoutMillis: 10_000,
    // A server that stops answering in the middle of a query (a partition, a lock held for ever)
    // would hold the query until TCP gives up, a quarter of an hour: the telemetry flush and the
    // gateway's stop with it. `?query_timeout=MS` in the store URL overrides this.
    query_timeout: 30_000,
  });
  // An idle client losing its server emits 'error' on the pool; unhandled, that kills the process.
  // The pool drops the client, and the next query reports the problem through the normal path.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool,
      // Every pooled connection resolves unqualified table names in the chosen schema. The name was
      // checked to be a plain identifier in store-url.ts, so quoting it is enough.
      onCreateConnection: async (connection) => {
        await connection.executeQuery(CompiledQuery.raw(`set search_path to "${target.schema}"`));
      },
    }),
  });
  try {
    await sql`select 1`.execute(db);
  } catch (cause) {
    await db.destroy();
    throw new BallastError(
      'BALLAST_ERR_STORE',
      `Cannot connect to PostgreSQL at ${target.where}: ${describeError(cause)}`,
      { cause, details: { url: target.display } },
    );
  }
  return { db, target, destroy: () => db.destroy() };
}

/** Opens a connection (SQLite) or a pool (PostgreSQL) and checks that it works. */
export async function openDatabase(target: StoreTarget): Promise<OpenDatabase> {
  return target.dialect === 'sqlite' ? openSqlite(target) : openPostgres(target);
}
