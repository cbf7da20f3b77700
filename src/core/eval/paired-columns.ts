/**
 * The per-case summaries of a run in progress, kept in typed columns (one row per case index)
 * instead of two `ArmSummary` objects with two records each per case.
 *
 * Why: a run keeps every finished case's summary until the verdict. As objects that is ≈ 730 bytes
 * of JavaScript heap per case, and V8 lets the old generation grow to a multiple of what is live
 * before it collects, so each retained byte costs several bytes of peak memory. In columns a case
 * costs ≈ 40 bytes per arm plus 16 per scorer, outside the JavaScript heap (typed arrays), and the
 * summaries are rebuilt as objects once, when the run is over.
 *
 * Round trip: `get(i)` returns an `ArmSummary` equal to the one `set` was given — numbers are stored
 * as float64 (exact), counts as uint32, flags as bits. Scorer keys come back in the order the run
 * first met each scorer.
 */
import type { ArmSummary } from './types.js';

const PASS = 1;
const FLAKY = 2;

interface ScorerColumns {
  /** NaN: the arm had no score from this scorer on this case. */
  readonly score: Float64Array;
  readonly passRate: Float64Array;
}

class ArmColumns {
  readonly samples: Uint32Array;
  readonly errors: Uint32Array;
  readonly flags: Uint8Array;
  readonly score: Float64Array;
  readonly passRate: Float64Array;
  readonly latencyMs: Float64Array;
  readonly costUsd: Float64Array;
  readonly scorers = new Map<string, ScorerColumns>();

  constructor(private readonly rows: number) {
    this.samples = new Uint32Array(rows);
    this.errors = new Uint32Array(rows);
    this.flags = new Uint8Array(rows);
    this.score = new Float64Array(rows);
    this.passRate = new Float64Array(rows);
    this.latencyMs = new Float64Array(rows);
    this.costUsd = new Float64Array(rows);
  }

  set(row: number, s: ArmSummary): void {
    this.samples[row] = s.samples;
    this.errors[row] = s.errors;
    this.flags[row] = (s.pass ? PASS : 0) | (s.flaky ? FLAKY : 0);
    this.score[row] = s.score;
    this.passRate[row] = s.passRate;
    this.latencyMs[row] = s.latencyMs;
    this.costUsd[row] = s.costUsd;
    // A scorer seen before but absent here must read as absent: the row may be written again
    // (a case re-summarised), so clear every known scorer first.
    for (const columns of this.scorers.values()) {
      columns.score[row] = Number.NaN;
      columns.passRate[row] = Number.NaN;
    }
    for (const name of Object.keys(s.scorerScores)) {
      const columns = this.scorer(name);
      columns.score[row] = s.scorerScores[name] as number;
      columns.passRate[row] = s.scorerPassRates[name] ?? Number.NaN;
    }
  }

  get(row: number): ArmSummary {
    const flags = this.flags[row] as number;
    return {
      samples: this.samples[row] as number,
      score: this.score[row] as number,
      scorerScores: this.scorerScores(row),
      passRate: this.passRate[row] as number,
      scorerPassRates: this.scorerPassRates(row),
      pass: (flags & PASS) !== 0,
      latencyMs: this.latencyMs[row] as number,
      costUsd: this.costUsd[row] as number,
      errors: this.errors[row] as number,
      flaky: (flags & FLAKY) !== 0,
    };
  }

  /** The row's per-scorer means, in the order the run first met each scorer. */
  scorerScores(row: number): Record<string, number> {
    const scores: Record<string, number> = {};
    for (const [name, columns] of this.scorers) {
      const score = columns.score[row] as number;
      if (!Number.isNaN(score)) scores[name] = score;
    }
    return scores;
  }

  /** The row's per-scorer pass rates (a scorer with a score always has one; see set). */
  scorerPassRates(row: number): Record<string, number> {
    const rates: Record<string, number> = {};
    for (const [name, columns] of this.scorers) {
      if (Number.isNaN(columns.score[row] as number)) continue;
      const passRate = columns.passRate[row] as number;
      if (!Number.isNaN(passRate)) rates[name] = passRate;
    }
    return rates;
  }

  private scorer(name: string): ScorerColumns {
    let columns = this.scorers.get(name);
    if (columns === undefined) {
      columns = {
        score: new Float64Array(this.rows).fill(Number.NaN),
        passRate: new Float64Array(this.rows).fill(Number.NaN),
      };
      this.scorers.set(name, columns);
    }
    return columns;
  }
}

/** Both arms' summaries for a fixed number of cases, addressed by case index. */
export class PairedColumns {
  private readonly present: Uint8Array;
  private readonly baseline: ArmColumns;
  private readonly candidate: ArmColumns;

  constructor(readonly rows: number) {
    this.present = new Uint8Array(rows);
    this.baseline = new ArmColumns(rows);
    this.candidate = new ArmColumns(rows);
  }

  set(row: number, baseline: ArmSummary, candidate: ArmSummary): void {
    if (!Number.isInteger(row) || row < 0 || row >= this.rows)
      throw new RangeError(`row ${row} is outside 0..${this.rows - 1}`);
    this.baseline.set(row, baseline);
    this.candidate.set(row, candidate);
    this.present[row] = 1;
  }

  has(row: number): boolean {
    return this.present[row] === 1;
  }

  /** Both arms of a row that was set, as plain objects; undefined for a row never set. */
  get(row: number): { baseline: ArmSummary; candidate: ArmSummary } | undefined {
    if (!this.has(row)) return undefined;
    return { baseline: this.baseline.get(row), candidate: this.candidate.get(row) };
  }

  /**
   * Both arms of a row that was set, as views that read the columns on each access: what a
   * finished run hands to the verdict and the report. Two small objects per case instead of the
   * ≈ 600 bytes of `get`'s objects and records, so the end of a run does not build a second copy
   * of every case (peak RSS of 30,000 cases: see docs/eval.md, "Speed and memory"). The per-scorer
   * records are built on each access; they are read a few times per case by the verdict.
   * A view has no own properties: spread or serialise `get(row)` instead.
   */
  view(row: number): { baseline: ArmSummary; candidate: ArmSummary } | undefined {
    if (!this.has(row)) return undefined;
    return { baseline: new ArmView(this.baseline, row), candidate: new ArmView(this.candidate, row) };
  }
}

/** One arm of one row, read from the columns (see PairedColumns.view). */
class ArmView implements ArmSummary {
  constructor(
    private readonly columns: ArmColumns,
    private readonly row: number,
  ) {}
  get samples(): number {
    return this.columns.samples[this.row] as number;
  }
  get score(): number {
    return this.columns.score[this.row] as number;
  }
  get scorerScores(): Readonly<Record<string, number>> {
    return this.columns.scorerScores(this.row);
  }
  get passRate(): number {
    return this.columns.passRate[this.row] as number;
  }
  get scorerPassRates(): Readonly<Record<string, number>> {
    return this.columns.scorerPassRates(this.row);
  }
  get pass(): boolean {
    return ((this.columns.flags[this.row] as number) & PASS) !== 0;
  }
  get latencyMs(): number {
    return this.columns.latencyMs[this.row] as number;
  }
  get costUsd(): number {
    return this.columns.costUsd[this.row] as number;
  }
  get errors(): number {
    return this.columns.errors[this.row] as number;
  }
  get flaky(): boolean {
    return ((this.columns.flags[this.row] as number) & FLAKY) !== 0;
  }
}
