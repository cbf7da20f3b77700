import type { EvalCase, ScorerSpec } from '../../core/eval/types.js';

export interface LoadedDataset {
  readonly file: string;
  /** Hash of the file's content: a run records it, and `--baseline-run` refuses a different one. */
  readonly hash: string;
  readonly cases: readonly EvalCase[];
  /** Scorers that apply to every case of this dataset (promptfoo's `defaultTest.assert`). */
  readonly scorers?: readonly ScorerSpec[];
  /** Problems that do not stop the run (unsupported promptfoo assertion types, …). */
  readonly warnings?: readonly string[];
}

export interface DatasetReadOptions {
  /** The variant that grades promptfoo `llm-rubric` assertions; without it they are skipped with a warning. */
  readonly judge?: string;
}

/** Reads a dataset file: JSONL, CSV, YAML, or a promptfooconfig.yaml's tests. */
export interface DatasetSource {
  read(path: string, options?: DatasetReadOptions): Promise<LoadedDataset>;
}
