import { type Insertable, type RawBuilder, sql } from 'kysely';
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
import type { UnitTotalsTable } from './database.js';
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

const suffixes = ['n', 'sx', 'sy', 'sxx', 'syy', 'sxy'] as const;

/** The six aggregate expressions of one metric, over units with Y > 0, aliased `<metric>__<suffix>`. */
function sumsOf(metric: UnitMetric) {
  const { x, y } = unitMetricColumns(metric);
  const has = sql`${sql.ref(y)} > 0`;
  // Doubles before multiplying: a product of two bigints can overflow SQLite's 64-bit integers, and
  // PostgreSQL would widen SUM(bigint) to numeric, which pg returns as a string.
  const xd = sql`cast(${sql.ref(x)} as double precision)`;
  const yd = sql`cast(${sql.ref(y)} as double precision)`;
  const sum = (value: RawBuilder<unknown>) => sql<number | null>`sum(case when ${has} then ${value} end)`;
  return [
    sql<number>`count(case when ${has} then 1 end)`.as(`${metric}__n`),
    sum(xd).as(`${metric}__sx`),
    sum(yd).as(`${metric}__sy`),
    sum(sql`${xd} * ${xd}`).as(`${metric}__sxx`),
    sum(sql`${yd} * ${yd}`).as(`${metric}__syy`),
    sum(sql`${xd} * ${yd}`).as(`${metric}__sxy`),
  ];
}

function toSums(row: Record<string, unknown>, metric: UnitMetric): UnitSums {
  const [n, sumX, sumY, sumX2, sumY2, sumXY] = suffixes.map((s) => Number(row[`${metric}__${s}`] ?? 0));
  return {
    n: n ?? 0,
    sumX: sumX ?? 0,
    sumY: sumY ?? 0,
    sumX2: sumX2 ?? 0,
    sumY2: sumY2 ?? 0,
    sumXY: sumXY ?? 0,
  };
}

export function sqlUnitTotalsStore(ctx: SqlContext): UnitTotalsStore {
  const { db } = ctx;

  async function armSumsAll<M extends UnitMetric>(
    changeId: string,
    metrics: readonly M[],
  ): Promise<Readonly<Record<M, ArmSums>>> {
    const wanted = [...new Set(metrics)];
    const result = {} as Record<M, ArmSums>;
    if (wanted.length === 0) return result;
    // One statement: one row per arm, six aggregates per metric.
    const rows = (await db
      .selectFrom('unit_totals')
      .select('arm')
      .select(wanted.flatMap(sumsOf))
      .where('change_id', '=', changeId)
      .groupBy('arm')
      .execute()) as unknown as Record<string, unknown>[];
    for (const metric of wanted) {
      const byArm = { candidate: ZERO, comparison: ZERO } as Record<Arm, UnitSums>;
      for (const row of rows) {
        const arm = row.arm as Arm;
        if (ARMS.includes(arm)) byArm[arm] = toSums(row, metric);
      }
      result[metric] = byArm;
    }
    return result;
  }

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
    // One statement for every change: one row per change × arm, six aggregates per metric.
    // Chunked so the IN list stays far below SQLite's and PostgreSQL's parameter limits.
    for (let i = 0; i < ids.length; i += 500) {
      const rows = (await db
        .selectFrom('unit_totals')
        .select(['change_id', 'arm'])
        .select(wanted.flatMap(sumsOf))
        .where('change_id', 'in', ids.slice(i, i + 500))
        .groupBy(['change_id', 'arm'])
        .execute()) as unknown as Record<string, unknown>[];
      for (const row of rows) {
        const arm = row.arm as Arm;
        const entry = result.get(row.change_id as string);
        if (!entry || !ARMS.includes(arm)) continue;
        for (const metric of wanted) entry[metric] = { ...entry[metric], [arm]: toSums(row, metric) };
      }
    }
    return result;
  }

  return {
    armSumsMany,
    async upsertBatch(deltas) {
      if (deltas.length === 0) return;
      const rows = mergeByKey(deltas);
      await atomically(ctx, async (trx) => {
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
      });
    },

    async armSums(changeId, metric) {
      return (await armSumsAll(changeId, [metric]))[metric];
    },

    armSumsAll,

    async deleteChange(changeId) {
      const result = await db.deleteFrom('unit_totals').where('change_id', '=', changeId).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
