import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { withStatementCache } from '../../../src/adapters/store/open-database.js';

describe('withStatementCache', () => {
  it('prepares a SQL text once and reuses the statement with new parameters', () => {
    const native = new BetterSqlite3(':memory:');
    let prepared = 0;
    const counting = new Proxy(native, {
      get(target, key) {
        if (key === 'prepare')
          return (text: string) => {
            prepared += 1;
            return target.prepare(text);
          };
        const value = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const db = withStatementCache(counting);
    db.prepare('create table t (x integer)').run([]);
    const insert = 'insert into t (x) values (?)';
    for (let i = 0; i < 5; i++) db.prepare(insert).run([i]);
    expect(db.prepare('select sum(x) as s from t').all([])).toEqual([{ s: 10 }]);
    expect(db.prepare(insert)).toBe(db.prepare(insert));
    expect(prepared).toBe(3);
    db.close();
    expect(native.open).toBe(false);
  });

  it('keeps at most 200 statements, evicting the least recently used', () => {
    const native = new BetterSqlite3(':memory:');
    const db = withStatementCache(native);
    const first = db.prepare('select 0');
    const kept = db.prepare('select 1');
    for (let i = 2; i < 201; i++) {
      db.prepare(`select ${i}`);
      db.prepare('select 1'); // recently used: survives
    }
    expect(db.prepare('select 1')).toBe(kept);
    expect(db.prepare('select 0')).not.toBe(first);
    db.close();
  });

  it('a schema change under a cached statement is picked up (SQLite re-prepares it)', () => {
    const db = withStatementCache(new BetterSqlite3(':memory:'));
    db.prepare('create table t (x integer)').run([]);
    db.prepare('insert into t (x) values (1)').run([]);
    const select = 'select * from t';
    expect(db.prepare(select).all([])).toEqual([{ x: 1 }]);
    db.prepare('alter table t add column y integer default 7').run([]);
    expect(db.prepare(select).all([])).toEqual([{ x: 1, y: 7 }]);
    db.close();
  });
});
