import type { Score, ScoreInput } from '../../core/eval/types.js';

/** What a custom scorer module returns: a number 0..1, a boolean, or a partial Score. */
export type CustomScoreValue = number | boolean | { score?: number; pass?: boolean; reason?: string };

export type CustomScorerFn = (input: ScoreInput) => CustomScoreValue | Promise<CustomScoreValue>;

/** Loads `custom` scorers: a JS or TS module (relative to the project) exporting a scorer function. */
export interface ScorerModules {
  load(modulePath: string): Promise<CustomScorerFn>;
}

export type { Score, ScoreInput };
