import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { DatasetSource, LoadedDataset } from '../../app/ports/dataset-source.js';
import { BallastError } from '../../core/errors.js';
import type { EvalCase, ScorerSpec } from '../../core/eval/types.js';
import { scorerSchema } from '../../core/spec/change-schema.js';
import { readDataset } from './read-dataset.js';

/** A promptfoo config is recognised by name, or by a YAML file with `tests:` beside prompts/providers. */
/**
 * Whether a dataset file is promptfoo's: a config (by its name, or a top-level `tests:` beside
 * `prompts:` or `providers:`), or a file of promptfoo tests on its own — a YAML list of tests with
 * `vars`/`assert` and no Ballast `input`, or a CSV with promptfoo's `__expected` columns.
 */
async function isPromptfooFile(path: string): Promise<boolean> {
  if (/^promptfooconfig\.ya?ml$/i.test(basename(path))) return true;
  const yaml = /\.ya?ml$/i.test(path);
  if (!yaml && !/\.csv$/i.test(path)) return false;
  const text = await readFile(path, 'utf8').catch(() => '');
  if (!yaml) return /^\uFEFF?[^\n]*(^|,)"?__expected/.test(text);
  if (/^tests:/m.test(text) && /^(prompts|providers):/m.test(text)) return true;
  // A Ballast case has `input` at its own level (`- input:` or `  input:`); a promptfoo var named
  // input sits deeper, under vars.
  return /^- +(vars|assert):/m.test(text) && !/^(- +| {2})input:/m.test(text);
}

/** Each case's own `assert` entries, checked with the same schema as a change's scorers. */
function validateAsserts(file: string, cases: readonly EvalCase[]): EvalCase[] {
  const problems: string[] = [];
  const out = cases.map((c) => {
    if (!c.assert || c.assert.length === 0) return c;
    const specs: ScorerSpec[] = [];
    c.assert.forEach((raw, i) => {
      const parsed = scorerSchema.safeParse(raw);
      if (parsed.success) specs.push(parsed.data);
      else
        for (const issue of parsed.error.issues)
          problems.push(
            `${file}:${c.line}: case ${c.id}: assert[${i}]${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`,
          );
    });
    return { ...c, assert: specs };
  });
  if (problems.length > 0)
    throw new BallastError(
      'BALLAST_ERR_DATASET',
      `dataset ${file} has invalid assertions:\n${problems.join('\n')}`,
    );
  return out;
}

/** Datasets of a project: paths relative to its folder; JSONL, CSV, YAML or a promptfoo config. */
export function projectDatasets(rootDir: string): DatasetSource {
  return {
    async read(relative, options = {}): Promise<LoadedDataset> {
      const path = resolve(rootDir, relative);
      if (await isPromptfooFile(path)) {
        const { readPromptfooDataset } = await import('./promptfoo-dataset.js');
        return readPromptfooDataset(path, options.judge !== undefined ? { judge: options.judge } : {});
      }
      const dataset = await readDataset(path);
      return { file: relative, hash: dataset.hash, cases: validateAsserts(relative, dataset.cases) };
    },
  };
}
