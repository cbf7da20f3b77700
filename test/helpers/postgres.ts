import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, it } from 'vitest';

/** The PostgreSQL the tests use: trust auth on localhost unless BALLAST_TEST_PG says otherwise. */
export const PG_TEST_URL = process.env.BALLAST_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface PostgresProbe {
  readonly available: boolean;
  /** Why it is unavailable; empty when available. */
  readonly reason: string;
}

function describe(error: unknown): string {
  if (error instanceof AggregateError && error.message === '') {
    return error.errors.map(describe).join('; ');
  }
  return error instanceof Error ? error.message || String((error as { code?: unknown }).code) : String(error);
}

/** Connects once with a short timeout to learn whether the server is there. */
export async function probePostgres(url: string = PG_TEST_URL): Promise<PostgresProbe> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return { available: true, reason: '' };
  } catch (error) {
    return {
      available: false,
      reason: `${url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@')}: ${describe(error)}`,
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Call at the top level of a test file before `describe.skipIf(!probe.available)`. Locally an absent
 * server skips the PostgreSQL tests with a visible warning; under CI=true it is a failing test, so a
 * broken CI service can never turn the PostgreSQL suite into a silent green skip.
 */
export function requirePostgresUnderCi(probe: PostgresProbe): void {
  if (probe.available) return;
  if (process.env.CI === 'true') {
    it('PostgreSQL is reachable (required when CI=true)', () => {
      throw new Error(`PostgreSQL is required under CI=true but is unreachable: ${probe.reason}`);
    });
    return;
  }
  console.warn(
    `Skipping PostgreSQL tests: ${probe.reason}. Start PostgreSQL or set BALLAST_TEST_PG to run them.`,
  );
}

/**
 * The PostgreSQL side of a test file that runs against SQLite and PostgreSQL: a schema of its own,
 * dropped after the file, as a `describe.each` row (`run` false when the server does not answer;
 * under CI=true that is a failing test, see requirePostgresUnderCi). Call at a file's top level.
 */
export async function postgresForFile(): Promise<{ name: 'PostgreSQL'; url: string; run: boolean }> {
  const probe = await probePostgres();
  requirePostgresUnderCi(probe);
  const schema = randomSchemaName();
  afterAll(async () => {
    if (probe.available) await dropSchema(PG_TEST_URL, schema);
  });
  return { name: 'PostgreSQL', url: urlWithSchema(PG_TEST_URL, schema), run: probe.available };
}

/** A fresh schema name per test file, so parallel files and reruns never see each other's rows. */
export function randomSchemaName(prefix = 'ballast_test'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** The URL with Ballast's `schema` parameter set (openStore strips it before pg sees the URL). */
export function urlWithSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('schema', schema);
  return parsed.toString();
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${pg.escapeIdentifier(schema)} cascade`);
  } finally {
    await client.end();
  }
}

/** Runs one query on its own connection, for assertions that look behind the store. */
export async function queryPostgres<T extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}
