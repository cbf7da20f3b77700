import type { Insertable, Selectable } from 'kysely';
import type { Decision, DecisionStore } from '../../app/ports/decision-store.js';
import type { RolloutStatus } from '../../app/ports/rollout-store.js';
import { BallastError } from '../../core/errors.js';
import type { DecisionsTable } from './database.js';
import { atomically, fromJsonText, type SqlContext, toJsonText } from './sql-context.js';

function toDecision(row: Selectable<DecisionsTable>): Decision {
  return {
    rolloutId: row.rollout_id,
    seq: row.seq,
    changeId: row.change_id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    fromStatus: row.from_status as RolloutStatus | null,
    toStatus: row.to_status as RolloutStatus,
    fromStage: row.from_stage,
    toStage: row.to_stage,
    exposure: row.exposure,
    reasons: fromJsonText<string[]>(row.reasons),
    evidence: fromJsonText(row.evidence),
  };
}

/** Append-only by construction: this store issues INSERT and SELECT on decisions, nothing else. */
export function sqlDecisionStore(ctx: SqlContext): DecisionStore {
  const { db } = ctx;
  return {
    append: (input) =>
      atomically(ctx, async (trx) => {
        // The next seq comes from a counter on the rollout row, bumped in one UPDATE … RETURNING.
        // That statement row-locks the rollout on PostgreSQL (and SQLite holds its write lock), so
        // concurrent appends queue up and get distinct, gap-free numbers on both dialects, with no
        // MAX(seq)+1 race and no dialect-specific locking SQL. It rolls back with the transaction.
        const counter = await trx
          .updateTable('rollouts')
          .set((eb) => ({ decision_seq: eb('decision_seq', '+', 1) }))
          .where('id', '=', input.rolloutId)
          .returning(['decision_seq', 'change_id'])
          .executeTakeFirst();
        if (!counter) {
          throw new BallastError('BALLAST_ERR_NOT_FOUND', `Rollout ${input.rolloutId} does not exist`, {
            details: { rolloutId: input.rolloutId },
          });
        }
        if (counter.change_id !== input.changeId) {
          throw new BallastError(
            'BALLAST_ERR_STORE',
            `A decision for rollout ${input.rolloutId} names change ${input.changeId}, but the rollout belongs to ${counter.change_id}`,
            {
              details: {
                rolloutId: input.rolloutId,
                changeId: input.changeId,
                rolloutChangeId: counter.change_id,
              },
            },
          );
        }
        const row: Insertable<DecisionsTable> = {
          rollout_id: input.rolloutId,
          seq: counter.decision_seq,
          change_id: input.changeId,
          at: input.at,
          actor: input.actor,
          action: input.action,
          from_status: input.fromStatus,
          to_status: input.toStatus,
          from_stage: input.fromStage,
          to_stage: input.toStage,
          exposure: input.exposure,
          reasons: toJsonText(input.reasons),
          evidence: toJsonText(input.evidence),
        };
        const stored = await trx.insertInto('decisions').values(row).returningAll().executeTakeFirstOrThrow();
        return toDecision(stored);
      }),

    async list(filter = {}) {
      let query = db.selectFrom('decisions').selectAll();
      if (filter.rolloutId !== undefined) query = query.where('rollout_id', '=', filter.rolloutId);
      if (filter.changeId !== undefined) query = query.where('change_id', '=', filter.changeId);
      if (filter.afterSeq !== undefined) query = query.where('seq', '>', filter.afterSeq);
      // Within one rollout seq is the truth (clocks of several controllers may disagree); across
      // rollouts there is no shared sequence, so time orders them.
      // With a limit, the newest that many: read newest first, then turned back.
      const order = filter.limit !== undefined ? 'desc' : 'asc';
      query =
        filter.rolloutId !== undefined
          ? query.orderBy('seq', order)
          : query.orderBy('at', order).orderBy('rollout_id', order).orderBy('seq', order);
      if (filter.limit !== undefined) query = query.limit(filter.limit);
      const rows = await query.execute();
      if (filter.limit !== undefined) rows.reverse();
      return rows.map(toDecision);
    },
  };
}
