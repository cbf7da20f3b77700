import { BallastError } from '../../core/errors.js';
import { isPerturbationKind, PERTURBATION_KINDS, perturbCase } from '../../core/eval/perturb.js';
import type { EvalCase } from '../../core/eval/types.js';

/** One perturbed copy of every case per kind, tagged `perturb:<kind>`; both arms see the same copy. */
export function perturbCases(cases: readonly EvalCase[], kinds: readonly string[], seed: number): EvalCase[] {
  for (const kind of kinds) {
    if (!isPerturbationKind(kind)) {
      throw new BallastError(
        'BALLAST_ERR_USAGE',
        `unknown perturbation "${kind}"; known: ${PERTURBATION_KINDS.join(', ')}`,
      );
    }
  }
  return kinds.flatMap((kind) =>
    cases.map((c) => perturbCase(c, kind as (typeof PERTURBATION_KINDS)[number], seed)),
  );
}
