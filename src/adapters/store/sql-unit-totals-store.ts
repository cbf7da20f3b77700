import { type Insertable, sql } from 'kysely';
import {
  type ArmSums,
  UNIT_METRICS,
  type UnitCounters,
  type UnitMetric,
  type UnitSums,
  type UnitTotalsDelta,
  type UnitTotalsStore,
} from '../../app/ports/unit-totals-store.js';
import type { Arm } from '../../core/routing/assign.js';
import type { ArmSumsTable, UnitTotalsTable } from './database.js';
import { atomically, type SqlContext } from './sql-context.js';

/**
 * Rows per INSERT. A row binds 18 parameters; SQLite allows 32,766 per statement and PostgreSQL
 * 65,535, so 500 rows (9,000 parameters) stay well inside both.
 */
const ROWS_PER_STATEMENT = 500;

type CounterColumn = Exclude<keyof UnitTotalsTable, 'change_id' | 'arm' | 'unit' | 'updated_at'>;

/** Each counter's column. */
const COLUMN: Readonly<Record<keyof UnitCounters, CounterColumn>> = Object.freeze({
  requests: 'requests',
  errors: 'errors',
  latencySum: 'latency_sum',
  slowCount: 'slow_count',
  ttftSum: 'ttft_sum',
  ttftCount: 'ttft_count',
  guardrailHits: 'guardrail_hits',
  fallbacks: 'fallbacks',
  feedbackCount: 'feedback_count',
  feedbackSum: 'feedback_sum',
  feedbackNegative: 'feedback_negative',
  feedbackPositive: 'feedback_positive',
  outputTokens: 'output_tokens',
  costUsd: 'cost_usd',
});

const COUNTERS = Object.keys(COLUMN) as (keyof UnitCounters)[];
const ARMS: readonly Arm[] = ['candidate', 'comparison'];

const ZERO: UnitSums = Object.freeze({ n: 0, sumX: 0, sumY: 0, sumX2: 0, sumY2: 0, sumXY: 0 });

/** The (X, Y) columns of a metric; exported for docs and tests. */
export function unitMetricColumns(metric: UnitMetric): { x: CounterColumn; y: CounterColumn } {
  const { x, y } = UNIT_METRICS[metric];
  return { x: COLUMN[x], y: COLUMN[y] };
}

function keyOf(d: UnitTotalsDelta): string {
  return `${d.changeId}\0${d.arm}\0${d.unit}`;
}

/**
 * Adds up deltas of the same key: PostgreSQL refuses an INSERT … ON CONFLICT DO UPDATE that would
 * touch one row twice, so each key appears once per statement.
 */
function mergeByKey(rows: readonly UnitTotalsDelta[]): Insertable<UnitTotalsTable>[] {
  const merged = new Map<string, Record<string, number | string>>();
  for (const d of rows) {
    const key = keyOf(d);
    const row = merged.get(key);
    if (!row) {
      const fresh: Record<string, number | string> = {
        change_id: d.changeId,
        arm: d.arm,
        unit: d.unit,
        updated_at: d.at,
      };
      for (const k of COUNTERS) fresh[COLUMN[k]] = d[k];
      merged.set(key, fresh);
      continue;
    }
    for (const k of COUNTERS) row[COLUMN[k]] = (row[COLUMN[k]] as number) + d[k];
    row.updated_at = Math.max(row.updated_at as number, d.at);
  }
  // Key order, so two gateways flushing overlapping batches lock rows in the same order on
  // PostgreSQL and cannot deadlock each other.
  return [...merged.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, row]) => row as unknown as Insertable<UnitTotalsTable>);
}

type ArmSumsRow = Insertable<ArmSumsTable>;

/**
 * How the per-arm sums move when units' totals go from `before` to before + delta: a unit counts
 * in a metric while its Y > 0, contributing (1, x, y, x², y², xy); the change of each sum is its
 * new contribution minus its old one.
 */
function armSumDeltas(
  rows: readonly Insertable<UnitTotalsTable>[],
  before: ReadonlyMap<string, Record<string, unknown>>,
): ArmSumsRow[] {
  const out = new Map<string, ArmSumsRow>();
  const metrics = Object.keys(UNIT_METRICS) as UnitMetric[];
  for (const row of rows) {
    const r = row as unknown as Record<string, unknown>;
    const old = before.get(`${r.change_id}\0${r.arm}\0${r.unit}`);
    for (const metric of metrics) {
      const { x, y } = unitMetricColumns(metric);
      const ox = old ? Number(old[x]) : 0;
      const oy = old ? Number(old[y]) : 0;
      const nx = ox + Number(r[x]);
      const ny = oy + Number(r[y]);
      const was = oy > 0 ? 1 : 0;
      const is = ny > 0 ? 1 : 0;
      if (was === 0 && is === 0) continue;
      const key = `${r.change_id}\0${r.arm}\0${metric}`;
      let d = out.get(key);
      if (!d) {
        d = {
          change_id: r.change_id as string,
          arm: r.arm as string,
          metric,
          n: 0,
          sum_x: 0,
          sum_y: 0,
          sum_x2: 0,
          sum_y2: 0,
          sum_xy: 0,
        };
        out.set(key, d);
      }
      d.n = (d.n as number) + is - was;
      d.sum_x = (d.sum_x as number) + is * nx - was * ox;
      d.sum_y = (d.sum_y as number) + is * ny - was * oy;
      d.sum_x2 = (d.sum_x2 as number) + is * nx * nx - was * ox * ox;
      d.sum_y2 = (d.sum_y2 as number) + is * ny * ny - was * oy * oy;
      d.sum_xy = (d.sum_xy as number) + is * nx * ny - was * ox * oy;
    }
  }
  return [...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

export function sqlUnitTotalsStore(ctx: SqlContext): UnitTotalsStore {
  const { db } = ctx;

  async function armSumsMany<M extends UnitMetric>(
    changeIds: readonly string[],
    metrics: readonly M[],
  ): Promise<ReadonlyMap<string, Readonly<Record<M, ArmSums>>>> {
    const wanted = [...new Set(metrics)];
    const ids = [...new Set(changeIds)];
    const result = new Map<string, Record<M, ArmSums>>();
    for (const id of ids) {
      const empty = {} as Record<M, ArmSums>;
      for (const metric of wanted) empty[metric] = { candidate: ZERO, comparison: ZERO };
      result.set(id, empty);
    }
    if (wanted.length === 0 || ids.length === 0) return result;
    // The running sums: O(changes × metrics × arms) rows, whatever the number of units.
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await db
        .selectFrom('arm_sums')
        .selectAll()
        .where('change_id', 'in', ids.slice(i, i + 500))
        .where('metric', 'in', wanted)
        .execute();
      for (const row of rows) {
        const arm = row.arm as Arm;
        const entry = result.get(row.change_id);
        if (!entry || !ARMS.includes(arm)) continue;
        const metric = row.metric as M;
        entry[metric] = {
          ...entry[metric],
          [arm]: {
            n: Number(row.n),
            sumX: Number(row.sum_x),
            sumY: Number(row.sum_y),
            sumX2: Number(row.sum_x2),
            sumY2: Number(row.sum_y2),
            sumXY: Number(row.sum_xy),
          },
        };
      }
    }
    return result;
  }

  async function armSumsAll<M extends UnitMetric>(
    changeId: string,
    metrics: readonly M[],
  ): Promise<Readonly<Record<M, ArmSums>>> {
    const wanted = [...new Set(metrics)];
    if (wanted.length === 0) return {} as Record<M, ArmSums>;
    return (await armSumsMany([changeId], wanted)).get(changeId)!;
  }

  /** The stored totals of the units a batch touches (to know how each unit's terms in the sums move). */
  async function currentRows(
    trx: typeof db,
    rows: readonly Insertable<UnitTotalsTable>[],
  ): Promise<Map<string, Record<string, unknown>>> {
    const byChange = new Map<string, Set<string>>();
    for (const r of rows) {
      const set = byChange.get(r.change_id as string) ?? new Set<string>();
      set.add(r.unit as string);
      byChange.set(r.change_id as string, set);
    }
    const found = new Map<string, Record<string, unknown>>();
    for (const [changeId, unitSet] of byChange) {
      const units = [...unitSet];
      for (let i = 0; i < units.length; i += ROWS_PER_STATEMENT) {
        const existing = await trx
          .selectFrom('unit_totals')
          .selectAll()
          .where('change_id', '=', changeId)
          .where('unit', 'in', units.slice(i, i + ROWS_PER_STATEMENT))
          .execute();
        for (const e of existing)
          found.set(`${e.change_id}\0${e.arm}\0${e.unit}`, e as unknown as Record<string, unknown>);
      }
    }
    return found;
  }

  return {
    armSumsMany,
    async upsertBatch(deltas) {
      if (deltas.length === 0) return;
      const rows = mergeByKey(deltas);
      await atomically(ctx, async (trx) => {
        const changeIds = [...new Set(rows.map((r) => r.change_id as string))].sort();
        // Writers of the same change take turns, so each reads the unit totals the other wrote
        // before computing how the per-arm sums move (SQLite's single writer already does this).
        if (ctx.dialect === 'postgres')
          for (const id of changeIds)
            await sql`select pg_advisory_xact_lock(hashtext(${`ballast.unit_totals:${id}`}))`.execute(trx);
        const before = await currentRows(trx, rows);
        const sumDeltas = armSumDeltas(rows, before);
        for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
          await trx
            .insertInto('unit_totals')
            .values(rows.slice(i, i + ROWS_PER_STATEMENT))
            .onConflict((oc) =>
              oc.columns(['change_id', 'arm', 'unit']).doUpdateSet((eb) => {
                // The addition happens in the database: concurrent writers never lose counts.
                const set: Record<string, unknown> = {};
                for (const k of COUNTERS) {
                  const column = COLUMN[k];
                  set[column] = eb(`unit_totals.${column}`, '+', eb.ref(`excluded.${column}`));
                }
                set.updated_at = sql`case when excluded.updated_at > unit_totals.updated_at
                  then excluded.updated_at else unit_totals.updated_at end`;
                return set as never;
              }),
            )
            .execute();
        }
        for (let i = 0; i < sumDeltas.length; i += ROWS_PER_STATEMENT) {
          await trx
            .insertInto('arm_sums')
            .values(sumDeltas.slice(i, i + ROWS_PER_STATEMENT))
            .onConflict((oc) =>
              oc.columns(['change_id', 'arm', 'metric']).doUpdateSet((eb) => ({
                n: eb('arm_sums.n', '+', eb.ref('excluded.n')),
                sum_x: eb('arm_sums.sum_x', '+', eb.ref('excluded.sum_x')),
                sum_y: eb('arm_sums.sum_y', '+', eb.ref('excluded.sum_y')),
                sum_x2: eb('arm_sums.sum_x2', '+', eb.ref('excluded.sum_x2')),
                sum_y2: eb('arm_sums.sum_y2', '+', eb.ref('excluded.sum_y2')),
                sum_xy: eb('arm_sums.sum_xy', '+', eb.ref('excluded.sum_xy')),
              })),
            )
            .execute();
        }
      });
    },

    async armSums(changeId, metric) {
      return (await armSumsAll(changeId, [metric]))[metric];
    },

    armSumsAll,

    async deleteChange(changeId) {
      await db.deleteFrom('arm_sums').where('change_id', '=', changeId).execute();
      const result = await db.deleteFrom('unit_totals').where('change_id', '=', changeId).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
