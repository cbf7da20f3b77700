import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/adapters/store/open-database.js';
import { parseStoreUrl } from '../../../src/adapters/store/store-url.js';

const dir = mkdtempSync(join(tmpdir(), 'ballast-sqlite-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cacheSize(url: string, sqliteCacheKiB?: number): Promise<number> {
  const database = await openDatabase(
    parseStoreUrl(url, sqliteCacheKiB === undefined ? {} : { sqliteCacheKiB }),
  );
  try {
    const { rows } = await sql<{ cache_size: number }>`PRAGMA cache_size`.execute(database.db);
    return rows[0]!.cache_size;
  } finally {
    await database.destroy();
  }
}

describe('SQLite page cache', () => {
  it('is better-sqlite3’s 16 MB unless the opener asks for another size', async () => {
    expect(await cacheSize(`sqlite:${join(dir, 'default.db')}`)).toBe(-16000);
    expect(await cacheSize(`sqlite:${join(dir, 'eval.db')}`, 2000)).toBe(-2000);
    expect(await cacheSize('sqlite::memory:', 4096)).toBe(-4096);
  });

  it('ignores a size that is not a positive whole number of KiB', () => {
    for (const bad of [0, -5, 1.5, Number.NaN])
      expect(parseStoreUrl('sqlite::memory:', { sqliteCacheKiB: bad })).not.toHaveProperty('cacheKiB');
    expect(parseStoreUrl('postgres://u@h/db', { sqliteCacheKiB: 2000 })).not.toHaveProperty('cacheKiB');
  });
});
