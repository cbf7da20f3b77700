import type { Insertable, Selectable } from 'kysely';
import type { AttemptRecord, RequestRecord } from '../../app/ports/gateway-telemetry.js';
import type { RequestLogStore } from '../../app/ports/request-log-store.js';
import type { ChatMessage } from '../../core/provider/chat.js';
import type { RequestLogTable } from './database.js';
import { atomically, type SqlContext } from './sql-context.js';

/**
 * Rows per INSERT. A row binds 23 parameters; SQLite allows 32,766 per statement and PostgreSQL
 * 65,535, so 500 rows (11,500 parameters) stay well inside both.
 */
const ROWS_PER_STATEMENT = 500;

function toRow(record: RequestRecord): Insertable<RequestLogTable> {
  return {
    request_id: record.requestId,
    at: record.at,
    route: record.route,
    change_id: record.changeId,
    arm: record.arm,
    unit: record.unit,
    unit_source: record.unitSource,
    assigned_variant: record.assignedVariant,
    served_variant: record.servedVariant,
    model: record.model,
    stream: record.stream ? 1 : 0,
    status: record.status,
    outcome: record.outcome,
    error_kind: record.errorKind,
    latency_ms: record.latencyMs,
    ttft_ms: record.ttftMs,
    input_tokens: record.inputTokens,
    output_tokens: record.outputTokens,
    cost_usd: record.costUsd,
    guardrail_hits: record.guardrailHits,
    attempts: JSON.stringify(record.attempts),
    messages: record.content ? JSON.stringify(record.content.messages) : null,
    output: record.content ? record.content.output : null,
  };
}

function toRecord(row: Selectable<RequestLogTable>): RequestRecord {
  const record: RequestRecord = {
    requestId: row.request_id,
    at: row.at,
    route: row.route,
    changeId: row.change_id,
    arm: row.arm as RequestRecord['arm'],
    unit: row.unit,
    unitSource: row.unit_source as RequestRecord['unitSource'],
    assignedVariant: row.assigned_variant,
    servedVariant: row.served_variant,
    model: row.model,
    stream: Boolean(row.stream),
    status: row.status,
    outcome: row.outcome as RequestRecord['outcome'],
    errorKind: row.error_kind as RequestRecord['errorKind'],
    latencyMs: row.latency_ms,
    ttftMs: row.ttft_ms,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    costUsd: row.cost_usd,
    guardrailHits: row.guardrail_hits,
    attempts: JSON.parse(row.attempts) as AttemptRecord[],
  };
  if (row.messages === null) return record;
  return {
    ...record,
    content: { messages: JSON.parse(row.messages) as ChatMessage[], output: row.output ?? '' },
  };
}

export function sqlRequestLogStore(ctx: SqlContext): RequestLogStore {
  const { db } = ctx;
  return {
    async appendBatch(records) {
      if (records.length === 0) return;
      const rows = records.map(toRow);
      await atomically(ctx, async (trx) => {
        for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
          await trx
            .insertInto('request_log')
            .values(rows.slice(i, i + ROWS_PER_STATEMENT))
            .onConflict((oc) => oc.column('request_id').doNothing())
            .execute();
        }
      });
    },

    async get(requestId) {
      const row = await db
        .selectFrom('request_log')
        .selectAll()
        .where('request_id', '=', requestId)
        .executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },

    async list(filter = {}) {
      let query = db.selectFrom('request_log').selectAll();
      if (filter.route !== undefined) query = query.where('route', '=', filter.route);
      if (filter.changeId !== undefined) query = query.where('change_id', '=', filter.changeId);
      if (filter.variant !== undefined) query = query.where('served_variant', '=', filter.variant);
      if (filter.from !== undefined) query = query.where('at', '>=', filter.from);
      if (filter.to !== undefined) query = query.where('at', '<', filter.to);
      query = query.orderBy('at', 'desc').orderBy('request_id', 'desc');
      if (filter.limit !== undefined) query = query.limit(filter.limit);
      return (await query.execute()).map(toRecord);
    },

    async deleteBefore(before, limit) {
      // By primary key through a bounded subquery (the same SQL on both dialects; neither has a
      // portable DELETE … LIMIT): each call is one short statement on the `at` index.
      const result = await db
        .deleteFrom('request_log')
        .where('request_id', 'in', (eb) =>
          eb
            .selectFrom('request_log')
            .select('request_id')
            .where('at', '<', before)
            .orderBy('at')
            .limit(Math.max(0, Math.floor(limit))),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
