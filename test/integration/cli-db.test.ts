import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrationNames } from '../../src/adapters/store/migration-provider.js';
import {
  dropSchema,
  PG_TEST_URL,
  probePostgres,
  randomSchemaName,
  requirePostgresUnderCi,
  urlWithSchema,
} from '../helpers/postgres.js';
import { runCli, tempDir } from '../support/run-cli.js';

describe('ballast db on the project store (SQLite by default)', () => {
  it('status shows pending migrations, migrate applies them once, status then shows them applied', async () => {
    const root = tempDir();
    await runCli(['init'], root);
    const before = await runCli(['db', 'status', '--json'], root);
    expect(before.code).toBe(0);
    expect(JSON.parse(before.stdout)).toMatchObject({
      dialect: 'sqlite',
      applied: [],
      pending: migrationNames(),
    });
    // status only reads: it must not create the database file.
    expect(existsSync(join(root, '.ballast/ballast.db'))).toBe(false);

    const migrate = await runCli(['db', 'migrate'], root);
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toContain(`applied ${migrationNames().length} migration(s)`);
    expect(existsSync(join(root, '.ballast/ballast.db'))).toBe(true);
    expect((await runCli(['db', 'migrate'], root)).stdout).toContain('up to date');

    const after = JSON.parse((await runCli(['db', 'status', '--json'], root)).stdout);
    expect(after.pending).toEqual([]);
    expect(after.applied.map((m: { name: string }) => m.name)).toEqual(migrationNames());
  });

  it('--db and BALLAST_DB override the project store; bad URLs are usage errors', async () => {
    const root = tempDir();
    await runCli(['init'], root);
    expect((await runCli(['db', 'migrate', '--db', 'sqlite:other.db'], root)).code).toBe(0);
    expect(existsSync(join(root, 'other.db'))).toBe(true);
    expect((await runCli(['db', 'migrate'], root, { BALLAST_DB: 'sqlite:env.db' })).code).toBe(0);
    expect(existsSync(join(root, 'env.db'))).toBe(true);
    expect(existsSync(join(root, '.ballast/ballast.db'))).toBe(false);

    const bad = await runCli(['db', 'status', '--db', 'mysql://localhost/x'], root);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Unsupported store URL');
  });

  it('an unreachable server is a runtime failure (exit 3) that names the host, never the password', async () => {
    const run = await runCli(['db', 'status', '--db', 'postgres://u:secret@127.0.0.1:1/x'], tempDir());
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('127.0.0.1:1');
    expect(run.stderr).not.toContain('secret');
  });
});

const probe = await probePostgres();
requirePostgresUnderCi(probe);

describe.skipIf(!probe.available)('ballast db on PostgreSQL', () => {
  const schema = randomSchemaName('ballast_cli');
  afterAll(() => dropSchema(PG_TEST_URL, schema));

  it('migrates and reports status through --db postgres://…', async () => {
    const url = urlWithSchema(PG_TEST_URL, schema);
    const dir = tempDir();
    const migrate = await runCli(['db', 'migrate', '--db', url, '--json'], dir);
    expect(migrate.code).toBe(0);
    expect(JSON.parse(migrate.stdout).applied).toEqual(migrationNames());
    const status = JSON.parse((await runCli(['db', 'status', '--db', url, '--json'], dir)).stdout);
    expect(status).toMatchObject({ dialect: 'postgres', pending: [] });
    expect(status.applied).toHaveLength(migrationNames().length);
  });
});
