import type { Selectable } from 'kysely';
import type { Feedback, FeedbackStore } from '../../app/ports/feedback-store.js';
import type { FeedbackTable } from './database.js';
import { fromJsonText, type SqlContext, toJsonText } from './sql-context.js';

function toFeedback(row: Selectable<FeedbackTable>): Feedback {
  return {
    id: row.id,
    requestId: row.request_id,
    route: row.route,
    changeId: row.change_id,
    variant: row.variant,
    value: row.value,
    comment: row.comment,
    tags: fromJsonText<string[]>(row.tags),
    at: row.at,
  };
}

export function sqlFeedbackStore(ctx: SqlContext): FeedbackStore {
  const { db } = ctx;
  return {
    async add(input) {
      const row = await db
        .insertInto('feedback')
        .values({
          id: input.id,
          request_id: input.requestId,
          route: input.route,
          change_id: input.changeId,
          variant: input.variant,
          value: input.value,
          comment: input.comment,
          tags: toJsonText(input.tags),
          at: input.at,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toFeedback(row);
    },

    async list(filter = {}) {
      let query = db.selectFrom('feedback').selectAll();
      if (filter.requestId !== undefined) query = query.where('request_id', '=', filter.requestId);
      if (filter.changeId !== undefined) query = query.where('change_id', '=', filter.changeId);
      query = query.orderBy('at', 'desc').orderBy('id', 'desc');
      if (filter.limit !== undefined) query = query.limit(filter.limit);
      return (await query.execute()).map(toFeedback);
    },
  };
}
