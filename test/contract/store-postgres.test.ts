import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrationNames } from '../../src/adapters/store/migration-provider.js';
import { openStore } from '../../src/adapters/store/open-store.js';
import { migrationStatus } from '../../src/adapters/store/store-migrator.js';
import { maskStoreUrl } from '../../src/adapters/store/store-url.js';
import {
  dropSchema,
  PG_TEST_URL,
  probePostgres,
  queryPostgres,
  randomSchemaName,
  requirePostgresUnderCi,
  urlWithSchema,
} from '../helpers/postgres.js';
import { storeContract } from './store.contract.js';
import { rejectsWithCode, seedChange } from './store-fixtures.js';

const probe = await probePostgres();
requirePostgresUnderCi(probe);

describe.skipIf(!probe.available)('PostgreSQL store', () => {
  // Each test file migrates its own schema, so parallel files and reruns never share rows.
  const schema = randomSchemaName();
  const url = urlWithSchema(PG_TEST_URL, schema);
  const extraSchemas: string[] = [];
  afterAll(async () => {
    for (const s of [schema, ...extraSchemas]) await dropSchema(PG_TEST_URL, s);
  });

  storeContract('PostgreSQL', () => openStore(url), { durable: true, url });

  describe('PostgreSQL specifics', () => {
    it('creates its tables in the schema named by ?schema= and nowhere else', async () => {
      const rows = await queryPostgres<{ table_schema: string; table_name: string }>(
        PG_TEST_URL,
        `select table_schema, table_name from information_schema.tables
          where table_name in ('changes', 'rollouts', 'kysely_migration') and table_schema = $1`,
        [schema],
      );
      expect(rows.map((r) => r.table_name).sort()).toEqual(['changes', 'kysely_migration', 'rollouts']);
    });

    it('uses bigint for times and counters and double precision for exposure and sums', async () => {
      const rows = await queryPostgres<{ table_name: string; column_name: string; data_type: string }>(
        PG_TEST_URL,
        `select table_name, column_name, data_type from information_schema.columns
          where table_schema = $1 and (table_name, column_name) in
            (('changes', 'created_at'), ('rollouts', 'exposure'), ('metric_buckets', 'count'),
             ('metric_buckets', 'latency_sum'))
          order by table_name, column_name`,
        [schema],
      );
      expect(rows.map((r) => `${r.table_name}.${r.column_name}:${r.data_type}`)).toEqual([
        'changes.created_at:bigint',
        'metric_buckets.count:bigint',
        'metric_buckets.latency_sum:double precision',
        'rollouts.exposure:double precision',
      ]);
    });

    it('stores opened in parallel on a new schema create it and migrate it once', async () => {
      const fresh = randomSchemaName();
      extraSchemas.push(fresh);
      const freshUrl = urlWithSchema(PG_TEST_URL, fresh);
      expect((await migrationStatus(freshUrl)).pending).toEqual(migrationNames());
      const stores = await Promise.all([openStore(freshUrl), openStore(freshUrl), openStore(freshUrl)]);
      try {
        await seedChange(stores[0]);
        expect(await stores[1].changes.list()).toHaveLength(1);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
      const status = await migrationStatus(freshUrl);
      expect(status.applied.map((m) => m.name)).toEqual(migrationNames());
      // Another schema's data is invisible here: isolation is by search_path on every connection.
      const other = await openStore(url);
      try {
        expect((await other.changes.list()).length).toBeGreaterThan(0);
        const mine = await openStore(freshUrl);
        expect(await mine.changes.list()).toHaveLength(1);
        await mine.close();
      } finally {
        await other.close();
      }
    });

    it('a query the server holds gives up after query_timeout (from the URL) instead of hanging', async () => {
      // Another session holds the table: the store's read waits on the lock, as it would on a
      // server that stopped answering. The telemetry flush and `ballast serve`'s stop then go on.
      const holder = new pg.Client({ connectionString: PG_TEST_URL });
      await holder.connect();
      const store = await openStore(`${url}&query_timeout=300`);
      try {
        const before = (await store.changes.list()).length;
        await holder.query('begin');
        await holder.query(`lock table "${schema}".changes in access exclusive mode`);
        await expect(store.changes.list()).rejects.toThrow(/timeout/i);
        await holder.query('rollback');
        // The pool recovers: the next read is answered.
        expect(await store.changes.list()).toHaveLength(before);
      } finally {
        await holder.end();
        await store.close();
      }
    });

    it('status reports the dialect and a URL without its password', async () => {
      const status = await migrationStatus(url);
      expect(status.dialect).toBe('postgres');
      expect(status.url).toBe(maskStoreUrl(url));
      expect(status.url).toContain(`schema=${schema}`);
    });
  });
});

describe('PostgreSQL URL handling (no server needed)', () => {
  it('masks the password in URLs shown to people', () => {
    expect(maskStoreUrl('postgres://ballast:s3cr%40t@db.internal:6543/prod?schema=ops')).toBe(
      'postgres://ballast:***@db.internal:6543/prod?schema=ops',
    );
    expect(maskStoreUrl('postgresql://ballast@db/prod')).toBe('postgresql://ballast@db/prod');
  });

  it('reports an unreachable server with host:port and never the password', async () => {
    // Port 1 on loopback refuses at once: no server listens on a privileged port here.
    const error = await rejectsWithCode(
      openStore('postgres://ballast:hunter2@127.0.0.1:1/ballast?schema=x'),
      'BALLAST_ERR_STORE',
    );
    expect(error.message).toContain('127.0.0.1:1');
    expect(error.message).not.toContain('hunter2');
    expect(JSON.stringify(error.details)).not.toContain('hunter2');
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await rejectsWithCode(
      openStore('postgres://u@127.0.0.1:1/db?schema=a;drop'),
      'BALLAST_ERR_STORE_UNSUPPORTED',
    );
  });
});
