import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/adapters/store/open-store.js';
import { COLUMN } from '../../src/adapters/store/sql-unit-totals-store.js';
import { UNIT_METRIC_NAMES, type UnitTotalsDelta } from '../../src/app/ports/unit-totals-store.js';
import { seededRandom } from '../../src/core/hash/random.js';
import { withMigrator } from '../helpers/migrate.js';
import { postgresForFile } from '../helpers/postgres.js';
import { expectedSums, expectSumsClose, unitDelta } from './store-unit-totals.contract.js';

// 0006-change-sums moves the running per-arm sums of 0005 (a row per change × arm × metric) into
// one packed row per change. A store that already holds sums must read the same sums after the
// upgrade, keep adding to them, and give them back as rows when migrated down.

const dir = mkdtempSync(join(tmpdir(), 'ballast-0006-'));
const postgres = await postgresForFile();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function someUnits(changeId: string, seed: number): UnitTotalsDelta[] {
  const rand = seededRandom(seed);
  return Array.from({ length: 40 }, (_, i) => {
    const requests = 1 + Math.floor(rand() * 5);
    const rated = rand() < 0.4 ? 1 + Math.floor(rand() * 2) : 0;
    const negative = Math.floor(rand() * (rated + 1));
    return unitDelta(
      { changeId, arm: i % 2 ? 'candidate' : 'comparison', unit: `u${i}` },
      {
        requests,
        errors: rand() < 0.1 ? 1 : 0,
        latencySum: requests * (300 + rand() * 900),
        slowCount: rand() < 0.2 ? 1 : 0,
        ttftSum: rand() < 0.5 ? 120.5 : 0,
        ttftCount: rand() < 0.5 ? 1 : 0,
        feedbackCount: rated,
        feedbackSum: rated - negative,
        feedbackNegative: negative,
        feedbackPositive: rated - negative,
        outputTokens: requests * 40,
        costUsd: requests * 0.0013,
      },
    );
  });
}

describe.each([{ name: 'SQLite', url: `sqlite:${join(dir, 'upgrade.db')}`, run: true }, postgres])(
  '0006-change-sums on an existing $name store',
  ({ url, run }) => {
    it.runIf(run)('reads the sums 0005 kept, adds to them, and migrates back down to rows', async () => {
      const first = [...someUnits('chg-a', 1), ...someUnits('chg-b', 2)];
      // The per-unit totals as a 0004 build wrote them; 0005 backfills its sums from them in SQL.
      await withMigrator(url, async (m, db) => {
        const to4 = await m.migrateTo('0004-unit-totals');
        if (to4.error) throw to4.error;
        const rows = first.map((d) => {
          const row: Record<string, unknown> = {
            change_id: d.changeId,
            arm: d.arm,
            unit: d.unit,
            updated_at: d.at,
          };
          for (const [k, c] of Object.entries(COLUMN)) row[c] = (d as unknown as Record<string, number>)[k];
          return row;
        });
        await db.insertInto('unit_totals').values(rows).execute();
        const to5 = await m.migrateTo('0005-arm-sums');
        if (to5.error) throw to5.error;
      });

      const more = someUnits('chg-a', 3);
      let store = await openStore(url);
      try {
        for (const changeId of ['chg-a', 'chg-b']) {
          const rows = first.filter((d) => d.changeId === changeId);
          const got = await store.unitTotals.armSumsAll(changeId, UNIT_METRIC_NAMES);
          for (const metric of UNIT_METRIC_NAMES) expectSumsClose(got[metric], expectedSums(rows, metric));
        }
        await store.unitTotals.upsertBatch(more);
      } finally {
        await store.close();
      }
      const allA = [...first.filter((d) => d.changeId === 'chg-a'), ...more];

      // Down to 0005 (rows again) and up once more: nothing is lost either way.
      await withMigrator(url, async (m, db) => {
        const down = await m.migrateTo('0005-arm-sums');
        if (down.error) throw down.error;
        const rows = await db
          .selectFrom('arm_sums')
          .selectAll()
          .where('change_id', '=', 'chg-a')
          .where('metric', '=', 'latency_ms')
          .where('arm', '=', 'candidate')
          .execute();
        const want = expectedSums(allA, 'latency_ms').candidate;
        expect(Number(rows[0]?.n)).toBe(want.n);
        expect(Number(rows[0]?.sum_x)).toBeCloseTo(want.sumX, 6);
      });
      store = await openStore(url);
      try {
        const got = await store.unitTotals.armSumsAll('chg-a', UNIT_METRIC_NAMES);
        for (const metric of UNIT_METRIC_NAMES) expectSumsClose(got[metric], expectedSums(allA, metric));
      } finally {
        await store.close();
      }
    });
  },
);
