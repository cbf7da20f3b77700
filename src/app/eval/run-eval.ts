import { CallSlots } from '../../core/async/call-slots.js';
import { summarisePair } from '../../core/eval/aggregate.js';
import { PairedColumns } from '../../core/eval/paired-columns.js';
import type {
  EvalCase,
  PairedCase,
  SampleResult,
  Score,
  ScorerSpec,
  VerdictResult,
} from '../../core/eval/types.js';
import { decide } from '../../core/eval/verdict.js';
import { applyVariant, type VariantShape } from '../../core/provider/apply-variant.js';
import type { ChatMessage } from '../../core/provider/chat.js';
import type { ChangeSpec } from '../../core/spec/change-schema.js';
import type { Clock } from '../ports/clock.js';
import type { CaseResultInput, EvalRunStore } from '../ports/eval-run-store.js';
import type { ModelProvider } from '../ports/model-provider.js';
import { caseMessages, caseVars, renderText } from './case-messages.js';
import { playConversation, type SimulatedUser } from './conversation.js';
import { fromRows, toRows } from './sample-rows.js';
import type { Scoring } from './scoring.js';

export interface EvalArm {
  readonly variant: string;
  readonly config: VariantShape;
  readonly provider: ModelProvider;
  readonly systemPrompt?: string;
}

export interface RunEvalInput {
  readonly runId: string;
  readonly change: ChangeSpec;
  readonly baseline: EvalArm;
  readonly candidate: EvalArm;
  readonly cases: readonly EvalCase[];
  readonly repeats: number;
  readonly concurrency: number;
  readonly seed: number;
  readonly scoring: Scoring;
  readonly store: EvalRunStore;
  readonly clock: Clock;
  /** Cases already finished in this run (resume): their rows are read back, not re-run. */
  readonly completed?: ReadonlySet<string>;
  /** Baseline samples reused from a stored run (`--baseline-run`): the baseline is not called. */
  readonly storedBaseline?: ReadonlyMap<string, readonly SampleResult[]>;
  /** Plays simulated users for cases that ask for one. */
  readonly simulatedUser?: (spec: {
    persona: string;
    goal: string;
    maxTurns: number;
    variant?: string;
  }) => SimulatedUser;
  readonly onCaseDone?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

export interface RunEvalResult {
  /** Both arms per case, in the order of the cases; samples are in the store, not kept here. */
  readonly paired: readonly PairedCase[];
  readonly verdict: VerdictResult;
  readonly wallMs: number;
}

/** Rows per store transaction. */
const WRITE_BATCH_ROWS = 200;

/**
 * Runs baseline and candidate on the same cases, paired: same messages, same sample indexes, same
 * simulated-user seeds. Every sample of a case is written in one batch when the case is done, so a
 * resumed run never finds half a case. Latency is the provider call itself (the providers start
 * their clocks when the concurrency slot is granted), never the time a task waited here.
 */
export async function runEval(input: RunEvalInput): Promise<RunEvalResult> {
  const started = input.clock.monotonic();
  const slots = new CallSlots(Math.max(1, input.concurrency));
  const completed = input.completed ?? new Set<string>();
  const stored = completed.size > 0 ? fromRows(await input.store.caseResults(input.runId)) : new Map();
  // Each case is summarised as it finishes; its samples go to the store and are not kept, and its
  // summary goes into typed columns (paired-columns.ts), so memory per case is a few numbers.
  const summaries = new PairedColumns(input.cases.length);
  let done = 0;

  // Finished cases are written in batches (one transaction per batch, each case whole): one
  // transaction per case made the store the bottleneck of a 10,000-case run.
  let pending: CaseResultInput[] = [];
  let writing: Promise<unknown> = Promise.resolve();
  const flush = () => {
    if (pending.length === 0) return writing;
    const batch = pending;
    pending = [];
    writing = writing.then(() => input.store.addCaseResults(input.runId, batch));
    return writing;
  };
  const persist = async (rows: CaseResultInput[]) => {
    pending.push(...rows);
    if (pending.length >= WRITE_BATCH_ROWS) await flush();
  };

  const runCase = async (c: EvalCase, index: number): Promise<void> => {
    let caseSamples: SampleResult[];
    if (completed.has(c.id) && stored.has(c.id)) {
      caseSamples = [...(stored.get(c.id) ?? [])];
    } else {
      const repeats = c.repeats ?? input.repeats;
      const reuse = input.storedBaseline?.get(c.id);
      caseSamples = (
        await Promise.all(
          Array.from({ length: repeats }, (_, sample) => runSample(input, c, sample, slots, reuse)),
        )
      ).flat();
      await persist(toRows(caseSamples));
    }
    const arms = summarisePair(
      caseSamples.filter((s) => s.arm === 'baseline'),
      caseSamples.filter((s) => s.arm === 'candidate'),
    );
    if (arms !== undefined) summaries.set(index, arms.baseline, arms.candidate);
    done++;
    input.onCaseDone?.(done, input.cases.length);
  };

  // Cases are started in order but a bounded number at a time, so memory does not grow with the
  // dataset while the provider limiter keeps the calls themselves at `concurrency`.
  // A fixed pool of workers pulls the next case: no promise or closure per case is created up front.
  let next = 0;
  const worker = async () => {
    // A stopped run (Ctrl-C) starts no further case; the cases in flight end as cancelled calls,
    // which do not count as finished, so --resume runs them again.
    while (next < input.cases.length && !input.signal?.aborted) {
      const index = next++;
      await runCase(input.cases[index] as EvalCase, index);
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.min(input.cases.length, Math.max(2, input.concurrency)) }, worker),
    );
  } finally {
    // Also on failure: the cases that did finish are kept for --resume.
    await flush();
  }
  input.signal?.throwIfAborted();

  // Callers pass unique ids (evaluateChange checks); were one repeated, its first case counts.
  const ids = new Set<string>();
  const paired: PairedCase[] = [];
  for (let index = 0; index < input.cases.length; index++) {
    const c = input.cases[index] as EvalCase;
    const arms = summaries.view(index);
    if (arms === undefined || ids.has(c.id)) continue;
    ids.add(c.id);
    paired.push({ id: c.id, tags: c.tags, ...arms });
  }
  const verdict = decide(paired, input.change.offline.criteria, {
    alpha: input.change.offline.alpha,
    minSlice: input.change.offline.min_slice,
    seed: input.seed,
  });
  return { paired, verdict, wallMs: input.clock.monotonic() - started };
}

async function runSample(
  input: RunEvalInput,
  c: EvalCase,
  sample: number,
  slots: CallSlots,
  reuse: readonly SampleResult[] | undefined,
): Promise<SampleResult[]> {
  const vars = caseVars(c);
  const opening = caseMessages(c, vars);
  const play = async (arm: EvalArm) => {
    const release = await slots.acquire();
    try {
      return await playArm(input, arm, c, sample, opening, vars);
    } finally {
      release();
    }
  };
  const reused = reuse?.find((s) => s.sample === sample);
  const [baseline, candidate] = await Promise.all([
    reused ? Promise.resolve(undefined) : play(input.baseline),
    play(input.candidate),
  ]);
  // Scoring (and the case's summary and store write after it) waits until the event loop has
  // handled the responses that are already in: each of those frees a slot whose next call is
  // sent at once, where scoring first made every call in a burst of answers wait behind the
  // scoring of the answers before it. 10,000 cases at concurrency 100: 5.83 → 5.68 s (medians
  // of 10 interleaved runs, docs/eval.md "Speed and memory").
  await new Promise<void>((resolve) => setImmediate(resolve));
  const scored = await input.scoring.scorePair(c, vars, baseline, candidate, input.signal);
  const candidateResult = sampleResult(c.id, 'candidate', sample, candidate, scored.candidate);
  const baselineResult = reused ?? sampleResult(c.id, 'baseline', sample, baseline!, scored.baseline!);
  return [baselineResult, candidateResult];
}

function sampleResult(
  caseId: string,
  arm: 'baseline' | 'candidate',
  sample: number,
  played: Awaited<ReturnType<typeof playConversation>>,
  scores: readonly Score[],
): SampleResult {
  const failed = played.failure !== undefined;
  const totalWeight = scores.reduce((a, s) => a + s.weight, 0);
  const score =
    failed || totalWeight === 0
      ? failed
        ? 0
        : 1
      : scores.reduce((a, s) => a + s.score * s.weight, 0) / totalWeight;
  return {
    caseId,
    arm,
    sample,
    output: played.output,
    scores,
    score,
    pass: !failed && scores.every((s) => s.pass),
    latencyMs: played.latencyMs,
    costUsd: played.costUsd,
    ...(played.failure ? { failure: played.failure } : {}),
  };
}

function playArm(
  input: RunEvalInput,
  arm: EvalArm,
  c: EvalCase,
  sample: number,
  opening: readonly ChatMessage[],
  vars: Readonly<Record<string, string>>,
) {
  const system = arm.systemPrompt === undefined ? undefined : renderText(arm.systemPrompt, vars);
  const meta = (c.metadata ?? {}) as { turns?: unknown; simulated_user?: unknown };
  const turns = Array.isArray(meta.turns) ? meta.turns.map(String) : undefined;
  const userSpec = meta.simulated_user as
    | { persona?: string; goal?: string; max_turns?: number; variant?: string }
    | undefined;
  const user =
    userSpec && input.simulatedUser
      ? input.simulatedUser({
          persona: userSpec.persona ?? 'a customer',
          goal: userSpec.goal ?? 'get an answer',
          maxTurns: userSpec.max_turns ?? 4,
          ...(userSpec.variant ? { variant: userSpec.variant } : {}),
        })
      : undefined;
  return playConversation(
    (messages, turn) =>
      arm.provider.complete(
        applyVariant(
          arm.config,
          system,
          messages,
          {},
          {
            sampleIndex: sample,
            ...(turn === 0 && c.reference !== undefined ? { reference: c.reference } : {}),
          },
        ),
        input.signal ? { signal: input.signal } : {},
      ),
    opening,
    {
      ...(turns ? { turns } : {}),
      ...(user ? { user } : {}),
      // Both arms meet the same simulated user: its draws depend on the case, sample and turn only.
      userRequest: (turn) => ({ sampleIndex: sample * 1000 + turn }),
    },
  );
}

export type { ScorerSpec };
