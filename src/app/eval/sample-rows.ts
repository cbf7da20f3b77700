import type { SampleResult, Score } from '../../core/eval/types.js';
import type { FailureKind } from '../../core/provider/chat.js';
import type { CaseResult, CaseResultInput } from '../ports/eval-run-store.js';
import type { JsonObject } from '../ports/json-value.js';

/** Stored rows of a sample: scores, the weighted score and a failure's kind go in the JSON column. */
export function toRows(samples: readonly SampleResult[]): CaseResultInput[] {
  return samples.map((s) => ({
    caseId: s.caseId,
    arm: s.arm,
    sample: s.sample,
    output: s.output,
    scores: {
      score: s.score,
      scores: s.scores.map((x) => ({ ...x })),
      ...(s.failure ? { failure: { kind: s.failure.kind, message: s.failure.message } } : {}),
    } as unknown as JsonObject,
    pass: s.pass,
    latencyMs: s.latencyMs,
    costUsd: s.costUsd,
    error: s.failure ? `${s.failure.kind}: ${s.failure.message}` : null,
  }));
}

/** Rows of a stored run back into samples, by case id (resume, --baseline-run). */
export function fromRows(rows: readonly CaseResult[]): Map<string, SampleResult[]> {
  const byCase = new Map<string, SampleResult[]>();
  for (const row of rows) {
    const json = row.scores as unknown as {
      score?: number;
      scores?: Score[];
      failure?: { kind: FailureKind; message: string };
    };
    const sample: SampleResult = {
      caseId: row.caseId,
      arm: row.arm,
      sample: row.sample,
      output: row.output ?? '',
      scores: json.scores ?? [],
      score: json.score ?? 0,
      pass: row.pass ?? false,
      latencyMs: row.latencyMs ?? 0,
      costUsd: row.costUsd ?? 0,
      ...(json.failure
        ? {
            failure: {
              kind: json.failure.kind,
              message: json.failure.message,
              attempts: 1,
              latencyMs: row.latencyMs ?? 0,
            },
          }
        : {}),
    };
    const list = byCase.get(row.caseId) ?? [];
    list.push(sample);
    byCase.set(row.caseId, list);
  }
  return byCase;
}
