import type { Insertable, Kysely, Selectable } from 'kysely';
import type {
  CaseResult,
  EvalArm,
  EvalRun,
  EvalRunStatus,
  EvalRunStore,
  EvalVerdict,
} from '../../app/ports/eval-run-store.js';
import type { JsonObject } from '../../app/ports/json-value.js';
import { BallastError } from '../../core/errors.js';
import type { Database, EvalCaseResultsTable, EvalRunsTable } from './database.js';
import { atomically, fromJsonText, type SqlContext, toJsonText } from './sql-context.js';

// 10 bound parameters per row: 500 rows stay far below SQLite's 32766 and PostgreSQL's 65535 limits.
const CHUNK = 500;

function toEvalRun(row: Selectable<EvalRunsTable>): EvalRun {
  return {
    id: row.id,
    changeId: row.change_id,
    baselineVariant: row.baseline_variant,
    candidateVariant: row.candidate_variant,
    datasetHash: row.dataset_hash,
    config: fromJsonText<JsonObject>(row.config),
    status: row.status as EvalRunStatus,
    verdict: row.verdict as EvalVerdict | null,
    summary: row.summary === null ? null : fromJsonText<JsonObject>(row.summary),
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}

function toCaseResult(row: Selectable<EvalCaseResultsTable>): CaseResult {
  return {
    runId: row.run_id,
    caseId: row.case_id,
    arm: row.arm as EvalArm,
    sample: row.sample,
    output: row.output,
    scores: fromJsonText<JsonObject>(row.scores),
    pass: row.pass === null ? null : row.pass === 1,
    latencyMs: row.latency_ms,
    costUsd: row.cost_usd,
    error: row.error,
  };
}

function notFound(runId: string): BallastError {
  return new BallastError('BALLAST_ERR_NOT_FOUND', `Eval run ${runId} does not exist`, {
    details: { runId },
  });
}

async function findRun(db: Kysely<Database>, runId: string): Promise<EvalRun | undefined> {
  const row = await db.selectFrom('eval_runs').selectAll().where('id', '=', runId).executeTakeFirst();
  return row ? toEvalRun(row) : undefined;
}

export function sqlEvalRunStore(ctx: SqlContext): EvalRunStore {
  const { db } = ctx;
  return {
    async create(input) {
      const row = await db
        .insertInto('eval_runs')
        .values({
          id: input.id,
          change_id: input.changeId,
          baseline_variant: input.baselineVariant,
          candidate_variant: input.candidateVariant,
          dataset_hash: input.datasetHash,
          config: toJsonText(input.config),
          status: 'running',
          verdict: null,
          summary: null,
          created_at: input.at,
          finished_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toEvalRun(row);
    },

    addCaseResults: (runId, rows) =>
      atomically(ctx, async (trx) => {
        if (!(await findRun(trx, runId))) throw notFound(runId);
        let written = 0;
        for (let start = 0; start < rows.length; start += CHUNK) {
          const values: Insertable<EvalCaseResultsTable>[] = rows.slice(start, start + CHUNK).map((r) => ({
            run_id: runId,
            case_id: r.caseId,
            arm: r.arm,
            sample: r.sample,
            output: r.output,
            scores: toJsonText(r.scores),
            pass: r.pass === null ? null : r.pass ? 1 : 0,
            latency_ms: r.latencyMs,
            cost_usd: r.costUsd,
            error: r.error,
          }));
          // Last write wins per key: a retried batch is a no-op in effect, and a resumed run may
          // overwrite a sample that had failed.
          await trx
            .insertInto('eval_case_results')
            .values(values)
            .onConflict((oc) =>
              oc.columns(['run_id', 'case_id', 'arm', 'sample']).doUpdateSet((eb) => ({
                output: eb.ref('excluded.output'),
                scores: eb.ref('excluded.scores'),
                pass: eb.ref('excluded.pass'),
                latency_ms: eb.ref('excluded.latency_ms'),
                cost_usd: eb.ref('excluded.cost_usd'),
                error: eb.ref('excluded.error'),
              })),
            )
            .execute();
          written += values.length;
        }
        return written;
      }),

    async finish(runId, input) {
      const row = await db
        .updateTable('eval_runs')
        .set({
          status: input.status,
          verdict: input.verdict,
          summary: toJsonText(input.summary),
          finished_at: input.at,
        })
        .where('id', '=', runId)
        .where('status', '=', 'running')
        .returningAll()
        .executeTakeFirst();
      if (row) return toEvalRun(row);
      const current = await findRun(db, runId);
      if (!current) throw notFound(runId);
      throw new BallastError(
        'BALLAST_ERR_CONFLICT',
        `Eval run ${runId} already finished as ${current.status}`,
        {
          details: { runId, status: current.status },
        },
      );
    },

    get: (runId) => findRun(db, runId),

    async list(filter = {}) {
      let query = db.selectFrom('eval_runs').selectAll();
      if (filter.changeId !== undefined) query = query.where('change_id', '=', filter.changeId);
      query = query.orderBy('created_at', 'desc').orderBy('id', 'desc');
      if (filter.limit !== undefined) query = query.limit(filter.limit);
      return (await query.execute()).map(toEvalRun);
    },

    async caseResults(runId, caseIds) {
      const query = (ids?: readonly string[]) =>
        db
          .selectFrom('eval_case_results')
          .selectAll()
          .where('run_id', '=', runId)
          .$if(ids !== undefined, (q) => q.where('case_id', 'in', ids as string[]))
          .orderBy('case_id')
          .orderBy('arm')
          .orderBy('sample')
          .execute();
      if (caseIds === undefined) return (await query()).map(toCaseResult);
      // A bounded number of ids per statement, whatever the caller passes; chunks keep the order.
      const sorted = [...new Set(caseIds)].sort();
      const rows = [];
      for (let start = 0; start < sorted.length; start += CHUNK)
        rows.push(...(await query(sorted.slice(start, start + CHUNK))));
      return rows.map(toCaseResult);
    },

    async completedCaseIds(runId) {
      const rows = await db
        .selectFrom('eval_case_results')
        .select('case_id')
        .where('run_id', '=', runId)
        .groupBy('case_id')
        // Both arms present, and count(error) counts only non-null errors.
        .having((eb) => eb.fn.count('arm').distinct(), '=', 2)
        .having((eb) => eb.fn.count('error'), '=', 0)
        .orderBy('case_id')
        .execute();
      return rows.map((r) => r.case_id);
    },
  };
}
