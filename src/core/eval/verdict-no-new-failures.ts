/**
 * no_new_failures: among the cases tagged `tag`, no case that passes on the baseline may fail
 * on the candidate (issue #4). It is a rule about individual cases — a single regression on a
 * critical case fails the gate whatever the averages say — so it uses no statistics and takes
 * no part in the Holm family. Pass/fail per case follows the arm's majority rule
 * (pairPasses); `measure` is not used, since the rule is about passing by definition.
 */

import type { CriterionResult, CriterionSpec, PairedCase } from './types.js';
import { criterionName, pairPasses } from './verdict-measure.js';
import { listIds } from './verdict-reason.js';

export function checkNoNewFailures(cases: readonly PairedCase[], criterion: CriterionSpec): CriterionResult {
  const { tag, scorer } = criterion;
  const base = {
    name: criterionName(criterion),
    rule: criterion.rule,
    measure: criterion.measure,
    ...(scorer === undefined ? {} : { scorer }),
  };
  const regressions: string[] = [];
  let tagged = 0;
  let n = 0;
  let baselinePasses = 0;
  let candidatePasses = 0;
  for (const c of cases) {
    if (!c.tags.includes(tag)) continue;
    tagged++;
    const both = pairPasses(c, scorer);
    // A case the scorer scored on neither arm cannot be judged either way.
    if (both === undefined) continue;
    const [before, after] = both;
    n++;
    if (before) baselinePasses++;
    if (after) candidatePasses++;
    if (before && !after) regressions.push(c.id);
  }
  // Opens like the statistical reasons: what is judged, then what was found.
  const who = `${scorer ?? 'all scorers'}: `;
  if (n === 0) {
    return {
      ...base,
      status: 'pass',
      n: 0,
      regressions: [],
      reason:
        tagged === 0
          ? `${who}no case is tagged ${tag}, so none can regress; pass`
          : `${who}none of the ${tagged} cases tagged ${tag} was scored on both arms, so none can regress; pass`,
    };
  }
  const means = { baselineMean: baselinePasses / n, candidateMean: candidatePasses / n };
  if (regressions.length > 0) {
    return {
      ...base,
      ...means,
      status: 'fail',
      n,
      regressions,
      reason: `${who}${regressions.length} of ${n} cases tagged ${tag} pass on the baseline and fail on the candidate (${listIds(regressions)}); fail`,
    };
  }
  return {
    ...base,
    ...means,
    status: 'pass',
    n,
    regressions: [],
    reason: `${who}none of the ${n} case${n === 1 ? '' : 's'} tagged ${tag} passes on the baseline and fails on the candidate; pass`,
  };
}
