import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { migrationNames } from '../../src/adapters/store/migration-provider.js';
import { openStore } from '../../src/adapters/store/open-store.js';
import { migrateToLatest, migrationStatus } from '../../src/adapters/store/store-migrator.js';
import { storeContract } from './store.contract.js';
import { decisionInput, rejectsWithCode, seedChange, seedRollout } from './store-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'ballast-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fileUrl = `sqlite:${join(dir, 'contract.db')}`;
storeContract('SQLite file', () => openStore(fileUrl), { durable: true, url: fileUrl });
storeContract('SQLite in memory', () => openStore('sqlite::memory:'));

describe('SQLite store specifics', () => {
  it('resolves a relative path against baseDir, creates parent folders, and uses WAL', async () => {
    const store = await openStore('sqlite:nested/deeper/ballast.db', { baseDir: dir });
    await seedChange(store);
    await store.close();
    const file = join(dir, 'nested', 'deeper', 'ballast.db');
    expect(existsSync(file)).toBe(true);
    const raw = new BetterSqlite3(file, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      const tables = raw.prepare("select name from sqlite_master where type = 'table'").pluck().all();
      expect(tables).toEqual(expect.arrayContaining(['changes', 'rollouts', 'decisions', 'metric_buckets']));
    } finally {
      raw.close();
    }
  });

  it('reports status without creating a file, and migrates on demand when open skips it', async () => {
    const url = `sqlite:${join(dir, 'later.db')}`;
    const fresh = await migrationStatus(url);
    expect(fresh).toMatchObject({ dialect: 'sqlite', applied: [], pending: migrationNames() });
    expect(existsSync(join(dir, 'later.db'))).toBe(false);

    const unmigrated = await openStore(url, { migrate: false });
    await rejectsWithCode(unmigrated.changes.list(), 'BALLAST_ERR_STORE');
    await unmigrated.close();
    expect(await migrateToLatest(url)).toEqual(migrationNames());
    expect((await migrationStatus(url)).pending).toEqual([]);
  });

  it('two stores of one process share the file: they migrate once and can both write in transactions', async () => {
    const url = `sqlite:${join(dir, 'shared.db')}`;
    const [a, b] = await Promise.all([openStore(url), openStore(url)]);
    try {
      const [rollout] = await Promise.all([seedRollout(a), seedChange(b)]);
      const seqs = await Promise.all(
        [a, b, a, b].map((s) =>
          s.transaction(async (tx) => (await tx.decisions.append(decisionInput(rollout))).seq),
        ),
      );
      expect(seqs.sort((x, y) => x - y)).toEqual([1, 2, 3, 4]);
    } finally {
      await a.close();
    }
    // Closing one leaves the other usable.
    expect(await b.decisions.list({ rolloutId: (await b.rollouts.list())[0]?.id })).toHaveLength(4);
    await b.close();
    expect((await migrationStatus(url)).applied.map((m) => m.name)).toEqual(migrationNames());
  });

  it('waits for another process that holds the write lock instead of failing', async () => {
    const file = join(dir, 'contended.db');
    // A second process takes SQLite's write lock and keeps it for 400 ms.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(file)});
         db.pragma('journal_mode = WAL'); db.exec('begin immediate'); console.log('locked');
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400); db.exec('commit'); db.close();`,
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = once(holder, 'exit');
    await once(holder.stdout, 'data');
    const started = Date.now();
    const store = await openStore(`sqlite:${file}`);
    try {
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
      expect(await store.changes.list()).toEqual([]);
    } finally {
      await store.close();
    }
    expect((await exited)[0]).toBe(0);
  });

  it('refuses unsupported URLs and lists the forms it supports', async () => {
    for (const url of ['mysql://root@localhost/db', 'sqlite:', 'sqlite://relative.db', 'ballast.db']) {
      const error = await rejectsWithCode(openStore(url), 'BALLAST_ERR_STORE_UNSUPPORTED');
      expect(error.message).toContain('sqlite:PATH');
      expect(error.message).toContain('sqlite::memory:');
      expect(error.message).toContain('postgres://');
    }
  });

  it('reports a file it cannot open as a store error', async () => {
    const error = await rejectsWithCode(openStore(`sqlite:${dir}`), 'BALLAST_ERR_STORE');
    expect(error.message).toContain(dir);
  });
});
