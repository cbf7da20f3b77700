import type { EvalRun } from '../ports/eval-run-store.js';

/**
 * Whether a change's offline gate lets a rollout start: the latest completed `ballast eval` run of
 * the change with this candidate passed. An older pass does not count once a later run of the same
 * candidate failed or was inconclusive (the candidate's prompt or model changed since, say).
 * `runs` newest first.
 */
export function offlineGate(
  runs: readonly EvalRun[],
  changeId: string,
  candidate: string,
  /** candidateFingerprint of the candidate as configured now; runs that stored none are not compared. */
  fingerprint?: string | null,
): { ok: boolean; why: string } {
  const latest = runs.find((r) => r.status === 'completed' && r.candidateVariant === candidate);
  if (latest === undefined)
    return { ok: false, why: `no stored \`ballast eval\` run of "${changeId}" with candidate ${candidate}` };
  const evaluated = latest.config.candidateHash;
  if (latest.verdict === 'pass' && typeof evaluated === 'string' && fingerprint && evaluated !== fingerprint)
    return {
      ok: false,
      why: `eval run ${latest.id} passed, but candidate ${candidate} has changed since (its model, params or prompt): run \`ballast eval ${changeId}\` again`,
    };
  if (latest.verdict === 'pass') return { ok: true, why: `offline gate passed in eval run ${latest.id}` };
  return {
    ok: false,
    why: `the latest stored \`ballast eval\` run of "${changeId}" with candidate ${candidate}, ${latest.id}, ended ${latest.verdict ?? 'without a verdict'}`,
  };
}
