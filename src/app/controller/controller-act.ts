import { BallastError } from '../../core/errors.js';
import type { ChangeSpec } from '../../core/spec/change-schema.js';
import type { Decision as LoggedDecision } from '../ports/decision-store.js';
import type { JsonValue } from '../ports/json-value.js';
import type { Rollout, RolloutPatch, RolloutStatus } from '../ports/rollout-store.js';
import type { Store } from '../ports/store.js';

export type HumanAction = 'start' | 'pause' | 'resume' | 'advance' | 'rollback' | 'promote';

export interface ActInput {
  readonly action: HumanAction;
  readonly changeId: string;
  readonly actor: string;
  readonly reason?: string;
  /** start only: bypass the offline gate (a reason is then required). */
  readonly skipGate?: boolean;
  /**
   * advance only: the stage (0-based) the caller saw; the advance is refused as a conflict when the
   * rollout is on another one — a second click, or a retry after a timeout, must not skip a stage.
   */
  readonly fromStage?: number;
}

export const LIVE: ReadonlySet<RolloutStatus> = new Set(['running', 'paused']);

/** What a person's action needs from the controller that runs it. */
export interface ActContext {
  readonly store: Store;
  readonly clock: { now(): number };
  readonly specOf: (changeId: string) => ChangeSpec;
  readonly latestRollout: (changeId: string) => Promise<Rollout | undefined>;
  readonly apply: (
    rollout: Rollout,
    patch: RolloutPatch,
    entry: { action: string; actor: string; reasons: readonly string[]; evidence: JsonValue },
  ) => Promise<LoggedDecision>;
  readonly refreshRouting: () => Promise<void>;
  readonly onDecision?: (decision: LoggedDecision) => void;
  readonly gatePassed?: (changeId: string, candidate: string) => Promise<{ ok: boolean; why: string }>;
}

/**
 * A person's action on a rollout (`ballast rollout …`, the admin API), recorded as a decision with
 * its actor and reason. `start` needs a passing stored `ballast eval` run unless the gate is
 * skipped with a reason; the others refuse what the rollout's status does not allow.
 */
export async function act(ctx: ActContext, input: ActInput): Promise<LoggedDecision> {
  const spec = ctx.specOf(input.changeId);
  const reasons = [input.reason ?? `${input.action} by ${input.actor}`];
  const current = await ctx.latestRollout(input.changeId);
  if (input.action === 'start') {
    if (current && LIVE.has(current.status))
      throw new BallastError(
        'BALLAST_ERR_CONFLICT',
        `change "${input.changeId}" already has a ${current.status} rollout`,
      );
    if (input.skipGate) {
      if (!input.reason)
        throw new BallastError(
          'BALLAST_ERR_USAGE',
          '--skip-gate needs --reason: say why the offline gate is skipped',
        );
      reasons.push('offline gate skipped');
    } else if (ctx.gatePassed) {
      const gate = await ctx.gatePassed(spec.id, spec.candidate);
      if (!gate.ok)
        throw new BallastError(
          'BALLAST_ERR_USAGE',
          `the offline gate has not passed: ${gate.why} (run \`ballast eval ${spec.id}\`, or start with --skip-gate --reason)`,
        );
      reasons.push(gate.why);
    }
    const at = ctx.clock.now();
    await ctx.store.changes.register({
      id: spec.id,
      route: spec.route,
      candidate: spec.candidate,
      spec: JSON.parse(JSON.stringify(spec)) as never,
      contentHash: `${spec.id}:${at}`,
      at,
    });
    const id = `ro_${spec.id}_${at.toString(36)}`;
    const exposure = spec.rollout.stages[0]!.percent;
    const logged = await ctx.store
      .transaction(async (tx) => {
        // Per-unit totals are kept per change: a new rollout of a change that ran before starts
        // from nothing, not from the units (and the failures) of the one that ended.
        await tx.unitTotals.deleteChange(spec.id);
        const rollout = await tx.rollouts.create({
          id,
          changeId: spec.id,
          status: 'running',
          stageIndex: 0,
          exposure,
          at,
        });
        return tx.decisions.append({
          rolloutId: rollout.id,
          changeId: spec.id,
          at,
          actor: input.actor,
          action: 'start',
          fromStatus: null,
          toStatus: 'running',
          fromStage: null,
          toStage: 0,
          exposure,
          reasons,
          evidence: { gate: input.skipGate ? 'skipped' : 'passed' },
        });
      })
      .catch((error: unknown) => {
        // The database allows one live rollout per change: a start through another gateway in the
        // same instant got there first.
        if (error instanceof BallastError && error.code === 'BALLAST_ERR_CONFLICT')
          throw new BallastError(
            'BALLAST_ERR_CONFLICT',
            `change "${input.changeId}" already has a live rollout (started elsewhere at the same time)`,
            { cause: error },
          );
        throw error;
      });
    ctx.onDecision?.(logged);
    await ctx.refreshRouting();
    return logged;
  }
  if (!current)
    throw new BallastError(
      'BALLAST_ERR_NOT_FOUND',
      `change "${input.changeId}" has no rollout; start one first`,
    );
  const entry = {
    action: input.action,
    actor: input.actor,
    reasons,
    evidence: { by: input.actor } as JsonValue,
  };
  const refuse = (why: string) =>
    new BallastError('BALLAST_ERR_CONFLICT', `cannot ${input.action} "${input.changeId}": ${why}`);
  switch (input.action) {
    case 'pause':
      if (current.status !== 'running') throw refuse(`the rollout is ${current.status}`);
      return ctx.apply(current, { status: 'paused' }, entry);
    case 'resume':
      if (current.status !== 'paused') throw refuse(`the rollout is ${current.status}`);
      return ctx.apply(current, { status: 'running' }, entry);
    case 'advance': {
      if (!LIVE.has(current.status)) throw refuse(`the rollout is ${current.status}`);
      if (input.fromStage !== undefined && input.fromStage !== current.stageIndex)
        throw refuse(`it is on stage ${current.stageIndex + 1} now, not ${input.fromStage + 1}`);
      const next = spec.rollout.stages[current.stageIndex + 1];
      if (!next) throw refuse('it is on its last stage; promote it instead');
      return ctx.apply(current, { stageIndex: current.stageIndex + 1, exposure: next.percent }, entry);
    }
    case 'rollback':
      if (!LIVE.has(current.status)) throw refuse(`the rollout is ${current.status}`);
      return ctx.apply(current, { status: 'rolled_back', exposure: 0 }, entry);
    case 'promote':
      if (!LIVE.has(current.status)) throw refuse(`the rollout is ${current.status}`);
      return ctx.apply(current, { status: 'promoted', exposure: 100 }, entry);
    default:
      throw new BallastError('BALLAST_ERR_USAGE', `unknown action ${String(input.action)}`);
  }
}
