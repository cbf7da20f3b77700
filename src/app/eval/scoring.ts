import { BallastError } from '../../core/errors.js';
import { createScorer, isModelGraded } from '../../core/eval/scorers/create-scorer.js';
import {
  jsonSchemaSupportLoaded,
  loadJsonSchemaSupport,
  needsJsonSchemaSupport,
} from '../../core/eval/scorers/json-scorers.js';
import type { EvalCase, Score, ScoreInput, ScorerSpec } from '../../core/eval/types.js';
import type { ModelProvider } from '../ports/model-provider.js';
import type { CustomScorerFn, ScorerModules } from '../ports/scorer-modules.js';
import type { Played } from './conversation.js';
import { pairwiseScores, rubricScore } from './judges.js';

export interface Scoring {
  /** Scores both arms of one sample; `baseline` is absent when the baseline was reused from a stored run. */
  scorePair(
    c: EvalCase,
    vars: Readonly<Record<string, string>>,
    baseline: Played | undefined,
    candidate: Played,
    signal?: AbortSignal,
  ): Promise<{ baseline?: Score[]; candidate: Score[] }>;
}

type Single = (input: ScoreInput, signal?: AbortSignal) => Promise<Score>;

/**
 * The scorers of a change (and of each case's own `assert`), ready to run: deterministic and
 * safety scorers from core, model-graded ones through their judge variant, custom ones loaded
 * once from their module. A failed call scores 0 on every scorer, without asking anyone.
 */
export async function createScoring(options: {
  specs: readonly ScorerSpec[];
  caseSpecs?: (c: EvalCase) => readonly ScorerSpec[];
  judge: (variant: string) => ModelProvider;
  modules: ScorerModules;
}): Promise<Scoring> {
  // Modules load once each; the change's own are loaded up front so a broken one stops the run
  // before any model is called.
  const customs = new Map<string, Promise<CustomScorerFn>>();
  const load = (module: string) => {
    let loaded = customs.get(module);
    if (!loaded) {
      loaded = options.modules.load(module);
      customs.set(module, loaded);
    }
    return loaded;
  };
  for (const spec of options.specs) {
    if (spec.type.replace(/^not-/, '') === 'custom' && spec.module) await load(spec.module);
  }
  const singles = new Map<ScorerSpec, Single>();
  const single = (spec: ScorerSpec): Single => {
    const cached = singles.get(spec);
    if (cached) return cached;
    const made = makeSingle(spec, options.judge, load);
    singles.set(spec, made);
    return made;
  };

  // Built now, so a bad value fails before the first model call.
  if (options.specs.some(needsJsonSchemaSupport)) await loadJsonSchemaSupport();
  for (const spec of options.specs) single(spec);
  const changeSpecs = byName(options.specs);

  return {
    async scorePair(c, vars, baseline, candidate, signal) {
      const own = options.caseSpecs?.(c) ?? [];
      // A case's own assertion may be the first to need Ajv (loaded once, on demand).
      if (own.length > 0 && !jsonSchemaSupportLoaded() && own.some(needsJsonSchemaSupport))
        await loadJsonSchemaSupport();
      const specs = own.length === 0 ? changeSpecs : byName([...options.specs, ...own]);
      const question = typeof c.input === 'string' ? c.input : (vars.input ?? '');
      const scoreArm = async (played: Played, pairwise: Map<ScorerSpec, Score>): Promise<Score[]> =>
        Promise.all(
          specs.map(async (spec) => {
            const name = spec.name ?? spec.type;
            if (played.failure) {
              return {
                scorer: name,
                score: 0,
                pass: false,
                weight: spec.weight,
                reason: `the call failed: ${played.failure.kind}`,
              };
            }
            const fromPair = pairwise.get(spec);
            if (fromPair) return fromPair;
            return single(spec)(
              { case: c, output: played.output, latencyMs: played.latencyMs, costUsd: played.costUsd, vars },
              signal,
            );
          }),
        );
      const pairBase = new Map<ScorerSpec, Score>();
      const pairCand = new Map<ScorerSpec, Score>();
      for (const spec of specs.filter((s) => s.type.replace(/^not-/, '') === 'pairwise')) {
        if (!baseline || baseline.failure || candidate.failure) continue;
        const judged = await pairwiseScores(
          options.judge(spec.judge ?? ''),
          spec,
          question,
          baseline.output,
          candidate.output,
          signal,
        );
        pairBase.set(spec, negated(spec, judged.baseline));
        pairCand.set(spec, negated(spec, judged.candidate));
      }
      const [b, cand] = await Promise.all([
        baseline ? scoreArm(baseline, pairBase) : Promise.resolve(undefined),
        scoreArm(candidate, pairCand),
      ]);
      return b ? { baseline: b, candidate: cand } : { candidate: cand };
    },
  };
}

function makeSingle(
  spec: ScorerSpec,
  judge: (variant: string) => ModelProvider,
  load: (module: string) => Promise<CustomScorerFn>,
): Single {
  const type = spec.type.replace(/^not-/, '');
  const name = spec.name ?? spec.type;
  if (type === 'llm-rubric') {
    return async (input, signal) =>
      negated(
        spec,
        await rubricScore(
          judge(spec.judge ?? ''),
          spec,
          String(input.vars.input ?? ''),
          input.output,
          signal,
        ),
      );
  }
  if (type === 'pairwise') {
    // Scored per pair above; alone (a reused baseline) it has nothing to compare with.
    return async () => ({
      scorer: name,
      score: 0.5,
      pass: 0.5 >= spec.threshold,
      weight: spec.weight,
      reason: 'no pair to compare',
    });
  }
  if (type === 'custom') {
    if (!spec.module) throw new BallastError('BALLAST_ERR_USAGE', `custom scorer ${name} names no module`);
    const fn = load(spec.module);
    return async (input) => {
      try {
        return customScore(spec, await (await fn)(input));
      } catch (error) {
        return {
          scorer: name,
          score: 0,
          pass: false,
          weight: spec.weight,
          reason: `custom scorer threw: ${(error as Error).message}`,
        };
      }
    };
  }
  if (isModelGraded(type))
    throw new BallastError('BALLAST_ERR_USAGE', `scorer type ${type} is not supported here`);
  const scorer = createScorer(spec);
  return async (input) => scorer(input);
}

/** A custom scorer's number, boolean or partial Score, made whole; `not-` applies as everywhere. */
function customScore(spec: ScorerSpec, value: unknown): Score {
  const name = spec.name ?? spec.type;
  const v = value as { score?: unknown; pass?: unknown; reason?: unknown };
  let score =
    typeof value === 'number'
      ? value
      : typeof value === 'boolean'
        ? value
          ? 1
          : 0
        : Number(v?.score ?? (v?.pass ? 1 : 0));
  if (!Number.isFinite(score)) score = 0;
  score = Math.min(1, Math.max(0, score));
  let pass = typeof v?.pass === 'boolean' ? v.pass : score >= spec.threshold;
  let reason = typeof v?.reason === 'string' ? v.reason : `custom score ${score}`;
  if (spec.type.startsWith('not-')) {
    score = 1 - score;
    pass = !pass;
    reason = `not (${reason})`;
  }
  return { scorer: name, score, pass, weight: spec.weight, reason };
}

/**
 * One scorer per name: a case's own assertion replaces a dataset's or the change's of the same
 * name (later wins), so a name is never counted twice in a case's scores.
 */
function byName(specs: readonly ScorerSpec[]): ScorerSpec[] {
  const named = new Map<string, ScorerSpec>();
  for (const spec of specs) named.set(spec.name ?? spec.type, spec);
  return [...named.values()];
}

/** `not-` on a model-graded scorer: the judge's score turned around, as for every other type. */
function negated(spec: ScorerSpec, score: Score): Score {
  if (!spec.type.startsWith('not-')) return score;
  return {
    ...score,
    score: 1 - score.score,
    pass: 1 - score.score >= spec.threshold,
    reason: `not (${score.reason})`,
  };
}
