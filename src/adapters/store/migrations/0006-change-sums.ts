import type { Kysely } from 'kysely';
import {
  emptySums,
  PACKED_ARMS,
  PACKED_METRICS,
  packedOffset,
  packSums,
  unpackSums,
} from '../packed-sums.js';

/**
 * The running per-arm sums of 0005 move from one row per change × arm × metric (`arm_sums`) to one
 * row per change (`change_sums`) holding every sum in a float64 blob (layout: ../packed-sums.ts).
 * A controller tick over 1,000 rollouts read 10,000 rows of 9 columns, and decoding them in the
 * driver cost more than the whole 50 ms budget of a tick; 1,000 blobs decode in a few ms. The
 * column type `bytea` is PostgreSQL's binary type; SQLite stores a blob as is under any declared
 * type. The sums are copied over, then `arm_sums` is dropped.
 */

interface OldRow {
  change_id: string;
  arm: string;
  metric: string;
  n: number | string;
  sum_x: number | string;
  sum_y: number | string;
  sum_x2: number | string;
  sum_y2: number | string;
  sum_xy: number | string;
}

const ROWS_PER_STATEMENT = 500;

// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema of their time, not the current Database type.
type AnyDb = Kysely<any>;

export async function up(db: Kysely<unknown>): Promise<void> {
  const k = db as AnyDb;
  await k.schema
    .createTable('change_sums')
    .addColumn('change_id', 'text', (c) => c.primaryKey())
    .addColumn('sums', 'bytea', (c) => c.notNull())
    .execute();
  const old = (await k.selectFrom('arm_sums').selectAll().execute()) as OldRow[];
  const byChange = new Map<string, Float64Array>();
  for (const r of old) {
    const at = packedOffset(r.metric, r.arm);
    if (at === undefined) continue;
    const sums = byChange.get(r.change_id) ?? emptySums();
    byChange.set(r.change_id, sums);
    const values = [r.n, r.sum_x, r.sum_y, r.sum_x2, r.sum_y2, r.sum_xy];
    for (let i = 0; i < values.length; i++) sums[at + i] = Number(values[i]);
  }
  const rows = [...byChange].map(([change_id, sums]) => ({ change_id, sums: packSums(sums) }));
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT)
    await k
      .insertInto('change_sums')
      .values(rows.slice(i, i + ROWS_PER_STATEMENT))
      .execute();
  await k.schema.dropTable('arm_sums').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const k = db as AnyDb;
  await k.schema
    .createTable('arm_sums')
    .addColumn('change_id', 'text', (c) => c.notNull())
    .addColumn('arm', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('n', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('sum_x', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('sum_y', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('sum_x2', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('sum_y2', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('sum_xy', 'double precision', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('arm_sums_pk', ['change_id', 'arm', 'metric'])
    .execute();
  const packed = (await k.selectFrom('change_sums').selectAll().execute()) as {
    change_id: string;
    sums: Uint8Array;
  }[];
  const rows: OldRow[] = [];
  for (const p of packed) {
    const sums = unpackSums(p.sums);
    for (const metric of PACKED_METRICS)
      for (const arm of PACKED_ARMS) {
        const at = packedOffset(metric, arm)!;
        if (sums[at] === 0) continue;
        rows.push({
          change_id: p.change_id,
          arm,
          metric,
          n: sums[at]!,
          sum_x: sums[at + 1]!,
          sum_y: sums[at + 2]!,
          sum_x2: sums[at + 3]!,
          sum_y2: sums[at + 4]!,
          sum_xy: sums[at + 5]!,
        });
      }
  }
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT)
    await k
      .insertInto('arm_sums')
      .values(rows.slice(i, i + ROWS_PER_STATEMENT))
      .execute();
  await k.schema.dropTable('change_sums').execute();
}
