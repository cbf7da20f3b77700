import type { Kysely } from 'kysely';
import type { TelemetryBatch } from '../../app/ports/metric-store.js';
import type { Database } from './database.js';

/**
 * Claims a telemetry batch's id inside the transaction that applies it (migration 0008): true when
 * the batch is new and its rows are to be added, false when it was applied before (a retry of a
 * write whose acknowledgement was lost). No batch: always true. On PostgreSQL a retry that arrives
 * while the first attempt's transaction is still open waits on the id's row, then sees the outcome.
 */
export async function claimBatch(trx: Kysely<Database>, batch: TelemetryBatch | undefined): Promise<boolean> {
  if (batch === undefined) return true;
  const result = await trx
    .insertInto('telemetry_batches')
    .values({ id: batch.id, applied_at: batch.at })
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Deletes up to `limit` batch ids first used before `before`, oldest first; returns how many. */
export async function forgetBatchesBefore(
  db: Kysely<Database>,
  before: number,
  limit: number,
): Promise<number> {
  const n = Math.max(0, Math.floor(limit));
  if (n === 0) return 0;
  const result = await db
    .deleteFrom('telemetry_batches')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('telemetry_batches')
        .select('id')
        .where('applied_at', '<', before)
        .orderBy('applied_at')
        .limit(n),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
