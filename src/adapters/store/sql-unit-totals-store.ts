import { type Insertable, sql } from 'kysely';
import { ENDED_STATUSES } from '../../app/ports/rollout-store.js';
import {
  type ArmSums,
  addMetricTerms,
  emptyUnitTerms,
  type StandaloneUnits,
  UNIT_METRIC_NAMES,
  UNIT_METRICS,
  UNIT_TERMS,
  type UnitCounters,
  type UnitMetric,
  type UnitTotalsDelta,
  type UnitTotalsStore,
} from '../../app/ports/unit-totals-store.js';
import type { Arm } from '../../core/routing/assign.js';
import type { UnitTotalsTable } from './database.js';
import { addSums, armSumsOfSlice, METRIC_BYTES, metricStart, packSums, unpackSums } from './packed-sums.js';
import { atomically, type SqlContext } from './sql-context.js';
import { claimBatch } from './sql-telemetry-batches.js';

/**
 * Rows per INSERT. A row binds 18 parameters; SQLite allows 32,766 per statement and PostgreSQL
 * 65,535, so 500 rows (9,000 parameters) stay well inside both.
 */
const ROWS_PER_STATEMENT = 500;

const ENDED = [...ENDED_STATUSES];

type CounterColumn = Exclude<keyof UnitTotalsTable, 'change_id' | 'arm' | 'unit' | 'updated_at'>;

/** Each counter's column (exported for tests that write rows as an older build did). */
export const COLUMN: Readonly<Record<keyof UnitCounters, CounterColumn>> = Object.freeze({
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
 * touch one row twice, so each key appears once per statement. Sorted by key (see below).
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

/** How one (change, arm, metric)'s sums move: n, ΣX, ΣY, ΣX², ΣY², ΣXY. */
interface SumsDelta {
  readonly changeId: string;
  readonly arm: Arm;
  readonly metric: UnitMetric;
  readonly d: [number, number, number, number, number, number];
}

/**
 * How each change and arm's sums move when units' totals go from `before` to before + delta: the
 * unit's new terms are added and its old ones taken back (addMetricTerms), so a unit counts in a
 * metric exactly while its Y > 0. Same shape as the standalone units' sums, which had no terms before.
 */
function armTermMoves(
  rows: readonly Insertable<UnitTotalsTable>[],
  before: ReadonlyMap<string, Record<string, unknown>>,
): StandaloneUnits[] {
  const out = new Map<string, StandaloneUnits>();
  for (const row of rows) {
    const r = row as unknown as Record<string, unknown>;
    const old = before.get(`${r.change_id}\0${r.arm}\0${r.unit}`);
    const key = `${r.change_id}\0${r.arm}`;
    let moves = out.get(key);
    if (!moves) {
      moves = { changeId: r.change_id as string, arm: r.arm as Arm, sums: emptyUnitTerms() };
      out.set(key, moves);
    }
    UNIT_METRIC_NAMES.forEach((metric, m) => {
      const { x, y } = unitMetricColumns(metric);
      const ox = old ? Number(old[x]) : 0;
      const oy = old ? Number(old[y]) : 0;
      addMetricTerms(moves.sums, m, ox + Number(r[x]), oy + Number(r[y]));
      addMetricTerms(moves.sums, m, ox, oy, -1);
    });
  }
  return [...out.values()];
}

/** Term arrays as moves of the packed sums, one per change, arm and metric that moved. */
function sumsDeltas(groups: readonly StandaloneUnits[]): SumsDelta[] {
  const out: SumsDelta[] = [];
  for (const { changeId, arm, sums } of groups)
    UNIT_METRIC_NAMES.forEach((metric, m) => {
      const d = Array.from(sums.subarray(m * UNIT_TERMS, (m + 1) * UNIT_TERMS)) as SumsDelta['d'];
      if (d.some((v) => v !== 0)) out.push({ changeId, arm, metric, d });
    });
  return out;
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
    if (wanted.length === 0) {
      for (const id of ids) result.set(id, {} as Record<M, ArmSums>);
      return result;
    }
    // One row per change whatever the number of units, and of each blob only the metrics asked
    // for (see packed-sums.ts): on PostgreSQL a blob crosses the wire as hex text.
    const names = wanted.map((_, i) => `m${i}`);
    const columns = wanted.map((m, i) =>
      sql<Uint8Array | null>`substr(sums, ${sql.lit(metricStart(m))}, ${sql.lit(METRIC_BYTES)})`.as(
        names[i]!,
      ),
    );
    for (let i = 0; i < ids.length; i += 500) {
      const rows = (await db
        .selectFrom('change_sums')
        .select('change_id')
        .select(columns)
        .where('change_id', 'in', ids.slice(i, i + 500))
        .execute()) as unknown as Record<string, Uint8Array | null>[];
      for (const row of rows) {
        const entry = {} as Record<M, ArmSums>;
        for (let k = 0; k < wanted.length; k++) entry[wanted[k]!] = armSumsOfSlice(row[names[k]!]);
        result.set(row.change_id as unknown as string, entry);
      }
    }
    for (const id of ids) {
      if (result.has(id)) continue;
      const entry = {} as Record<M, ArmSums>;
      for (const metric of wanted) entry[metric] = armSumsOfSlice(null);
      result.set(id, entry);
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
    async upsertBatch(deltas, standalone = [], batch = undefined) {
      if (deltas.length === 0 && standalone.length === 0) return;
      const rows = mergeByKey(deltas);
      await atomically(ctx, async (trx) => {
        if (!(await claimBatch(trx, batch))) return;
        const changeIds = [
          ...new Set([...rows.map((r) => r.change_id as string), ...standalone.map((g) => g.changeId)]),
        ].sort();
        // Writers of the same change take turns, so each reads the unit totals the other wrote
        // before computing how the per-arm sums move (SQLite's single writer already does this).
        if (ctx.dialect === 'postgres')
          for (const id of changeIds)
            await sql`select pg_advisory_xact_lock(hashtext(${`ballast.unit_totals:${id}`}))`.execute(trx);
        const before = await currentRows(trx, rows);
        const sumDeltas = sumsDeltas([...armTermMoves(rows, before), ...standalone]);
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
        // Each touched change's packed sums: read, add, write back. Safe without an in-database
        // addition because writers of one change take turns (the lock above; SQLite's one writer).
        const touched = [...new Set(sumDeltas.map((d) => d.changeId))].sort();
        const current = new Map<string, Float64Array>();
        for (let i = 0; i < touched.length; i += ROWS_PER_STATEMENT) {
          const found = await trx
            .selectFrom('change_sums')
            .select(['change_id', 'sums'])
            .where('change_id', 'in', touched.slice(i, i + ROWS_PER_STATEMENT))
            .execute();
          for (const f of found) current.set(f.change_id, unpackSums(f.sums));
        }
        for (const { changeId, arm, metric, d } of sumDeltas) {
          const sums = current.get(changeId) ?? unpackSums(null);
          current.set(changeId, sums);
          addSums(sums, metric, arm, d);
        }
        const packed = touched.map((id) => ({ change_id: id, sums: packSums(current.get(id)!) }));
        for (let i = 0; i < packed.length; i += ROWS_PER_STATEMENT) {
          await trx
            .insertInto('change_sums')
            .values(packed.slice(i, i + ROWS_PER_STATEMENT))
            .onConflict((oc) =>
              oc.column('change_id').doUpdateSet((eb) => ({ sums: eb.ref('excluded.sums') })),
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
      await db.deleteFrom('change_sums').where('change_id', '=', changeId).execute();
      const result = await db.deleteFrom('unit_totals').where('change_id', '=', changeId).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async deleteEndedBefore(before, limit) {
      let deleted = 0;
      while (deleted < limit) {
        // The change whose rollouts all ended first, among those that still have per-unit rows
        // (an EXISTS on the primary key's leading column per change).
        const ended = await db
          .selectFrom('rollouts')
          .select('rollouts.change_id')
          .where(({ exists, selectFrom }) =>
            exists(
              selectFrom('unit_totals')
                .select('unit_totals.unit')
                .whereRef('unit_totals.change_id', '=', 'rollouts.change_id'),
            ),
          )
          .groupBy('rollouts.change_id')
          .having(
            sql<number>`sum(case when rollouts.status in (${sql.join(ENDED)}) then 0 else 1 end)`,
            '=',
            0,
          )
          .having((eb) => eb.fn.max('rollouts.updated_at'), '<', before)
          .orderBy((eb) => eb.fn.max('rollouts.updated_at'))
          .limit(1)
          .executeTakeFirst();
        if (!ended) break;
        // A bounded number of rows in primary-key order: the last one's (arm, unit) bounds a range
        // delete on the key, so each statement reads only the rows it deletes (an IN over a
        // subquery of units read the change's whole rows every time).
        const changeId = ended.change_id;
        const bound = await db
          .selectFrom('unit_totals')
          .select(['arm', 'unit'])
          .where('change_id', '=', changeId)
          .orderBy('arm')
          .orderBy('unit')
          .offset(limit - deleted - 1)
          .limit(1)
          .executeTakeFirst();
        let statement = db.deleteFrom('unit_totals').where('change_id', '=', changeId);
        // Without a bound the change has fewer rows left than the limit: all of them go.
        if (bound)
          statement = statement.where(({ and, eb, or }) =>
            or([eb('arm', '<', bound.arm), and([eb('arm', '=', bound.arm), eb('unit', '<=', bound.unit)])]),
          );
        const result = await statement.executeTakeFirst();
        const n = Number(result.numDeletedRows);
        if (n === 0) break;
        deleted += n;
      }
      return deleted;
    },
  };
}
