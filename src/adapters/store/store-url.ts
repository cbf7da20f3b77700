import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { BallastError } from '../../core/errors.js';
import { maskStoreUrl } from '../../core/mask-url.js';

export const SUPPORTED_STORE_URLS = [
  'sqlite:PATH (a file; a relative PATH is resolved against the project directory in ballast.yaml, the current folder with --db or BALLAST_DB)',
  'sqlite::memory: (in memory, gone when the process ends)',
  'postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME] (postgresql:// works too)',
] as const;

export interface SqliteTarget {
  readonly dialect: 'sqlite';
  /** An absolute file path, or ':memory:'. */
  readonly filename: string;
  readonly display: string;
  /** SQLite's page cache in KiB; absent: better-sqlite3's default (16 MiB). */
  readonly cacheKiB?: number;
}

export interface PostgresTarget {
  readonly dialect: 'postgres';
  /** The URL handed to pg: the caller's URL without Ballast's own `schema` parameter. */
  readonly connectionString: string;
  readonly schema: string;
  /** host:port/database as user, for error messages (never the password). */
  readonly where: string;
  readonly display: string;
}

export type StoreTarget = SqliteTarget | PostgresTarget;

export interface StoreUrlOptions {
  /** Directory that relative SQLite paths are resolved against; defaults to the working directory. */
  readonly baseDir?: string;
  /**
   * SQLite's page cache for this connection, in KiB (SQLite's own default is 2,000; better-sqlite3
   * builds with 16,000). A process that opens one file twice shares one connection, and the first
   * opening's setting holds.
   */
  readonly sqliteCacheKiB?: number;
}

export { maskStoreUrl };

function unsupported(url: string, why: string, cause?: unknown): BallastError {
  const forms = SUPPORTED_STORE_URLS.map((form) => `  ${form}`).join('\n');
  return new BallastError(
    'BALLAST_ERR_STORE_UNSUPPORTED',
    `${why}: ${maskStoreUrl(url)}. Supported store URLs:\n${forms}`,
    { cause, details: { url: maskStoreUrl(url) } },
  );
}

// One identifier, unquoted-safe, at most PostgreSQL's 63 bytes: it is spliced into SET search_path.
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function parsePostgres(url: string): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw unsupported(url, 'The PostgreSQL URL cannot be parsed', cause);
  }
  const schema = parsed.searchParams.get('schema') ?? 'public';
  if (!SCHEMA_NAME.test(schema)) {
    throw unsupported(url, `The schema "${schema}" is not a plain identifier (letters, digits, _)`);
  }
  parsed.searchParams.delete('schema');
  const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
  const port = parsed.port || '5432';
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  const user = decodeURIComponent(parsed.username);
  return {
    dialect: 'postgres',
    connectionString: parsed.toString(),
    schema,
    where: `${host}:${port}${database ? `/${database}` : ''}${user ? ` as ${user}` : ''}`,
    display: maskStoreUrl(url),
  };
}

/** Parses a store URL; anything but the supported forms throws BALLAST_ERR_STORE_UNSUPPORTED. */
export function parseStoreUrl(url: string, options: StoreUrlOptions = {}): StoreTarget {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return parsePostgres(url);
  }
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === ':memory:') {
      return { dialect: 'sqlite', filename: ':memory:', display: url, ...cache(options) };
    }
    // sqlite://x is ambiguous (SQLAlchemy reads three slashes as relative, four as absolute).
    if (path === '' || path.startsWith('//')) {
      throw unsupported(url, 'A SQLite URL is sqlite: followed directly by a file path');
    }
    const filename = isAbsolute(path) ? path : resolve(options.baseDir ?? process.cwd(), path);
    return { dialect: 'sqlite', filename, display: `sqlite:${filename}`, ...cache(options) };
  }
  throw unsupported(url, 'Unsupported store URL');
}

function cache(options: StoreUrlOptions): { cacheKiB?: number } {
  const kib = options.sqliteCacheKiB;
  return kib !== undefined && Number.isInteger(kib) && kib > 0 ? { cacheKiB: kib } : {};
}

/** A SQLite file store whose file does not exist yet: reading it must not create it. */
export function isMissingSqliteFile(target: StoreTarget): boolean {
  return target.dialect === 'sqlite' && target.filename !== ':memory:' && !existsSync(target.filename);
}
