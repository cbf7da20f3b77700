import {
  type DecisionAction,
  type DecisionRules,
  decide,
  type Evidence,
  type MetricEvidence,
  type SuccessEvidence,
} from '../../core/decision/decide.js';
import { BallastError } from '../../core/errors.js';
import type { ChangeSpec } from '../../core/spec/change-schema.js';
import { type ActiveRollout, buildSnapshot, type RoutingTable } from '../gateway/routing-table.js';
import type { Clock } from '../ports/clock.js';
import type { Decision as LoggedDecision } from '../ports/decision-store.js';
import type { JsonValue } from '../ports/json-value.js';
import type { Rollout, RolloutPatch } from '../ports/rollout-store.js';
import type { Store, StoreSession } from '../ports/store.js';
import type { ArmSums, UnitMetric } from '../ports/unit-totals-store.js';

import { type ActInput, act as actOn, LIVE } from './controller-act.js';
import { buildEvidence, evidenceJson, flagsOf, holdSignature, metricsOf } from './controller-evidence.js';

export type { ActInput, HumanAction } from './controller-act.js';

/** GrowthBook's default tuning sample size for its sequential tests. */
export const DEFAULT_N_STAR = 5000;

export interface ControllerDeps {
  readonly store: Store;
  /** The project's change specs by id (ballast.yaml's changes folder, parsed). */
  readonly specs: ReadonlyMap<string, ChangeSpec>;
  readonly routes: Readonly<Record<string, { readonly stable: string }>>;
  readonly routing: RoutingTable;
  readonly clock: Clock;
  readonly nStar?: number;
  /** Told about every decision appended (for the server's log). */
  readonly onDecision?: (decision: LoggedDecision) => void;
  /** Whether a change has a passing stored `ballast eval` run (the gate of `start`). */
  readonly gatePassed?: (changeId: string, candidate: string) => Promise<{ ok: boolean; why: string }>;
}

export interface RolloutStatusView {
  readonly changeId: string;
  readonly rollout: Rollout | null;
  readonly stage: { readonly index: number; readonly of: number; readonly percent: number } | null;
  readonly units: { readonly candidate: number; readonly comparison: number };
  readonly metrics: readonly MetricEvidence[];
  /** The change's success metrics: reported, not acted on. */
  readonly success: readonly SuccessEvidence[];
  /** What the controller would do now (decide on the current evidence). */
  readonly next: {
    readonly action: DecisionAction;
    readonly reasons: readonly string[];
    readonly flags: readonly string[];
  };
  readonly decisions: readonly LoggedDecision[];
}

export interface Controller {
  /** One look at every running rollout: gather evidence, decide, apply. */
  tick(): Promise<readonly { changeId: string; action: DecisionAction }[]>;
  /** A person's action, recorded as a decision with actor and reason. */
  act(input: ActInput): Promise<LoggedDecision>;
  status(changeId: string): Promise<RolloutStatusView>;
  /** Rebuilds the routing snapshot from the store (on start, and after every applied decision). */
  refreshRouting(): Promise<void>;
  /** Ticks every `intervalMs` until stop(). */
  start(intervalMs: number): void;
  /**
   * Reads the rollouts every `intervalMs` until stop() and swaps the routing snapshot when they
   * changed: a decision another gateway (or the CLI) wrote reaches this one within that time —
   * a rollback, `restore_within`. A store that does not answer leaves the last snapshot serving.
   */
  watchRouting(intervalMs: number): void;
  stop(): Promise<void>;
}

/**
 * The rollout controller (issue #6): runs inside `ballast serve`. Each tick reads one SQL
 * aggregate per rollout (per-unit sums of every guardrail metric, per arm), runs the sequential
 * tests, calls the pure `decide`, and applies the result in one transaction — the rollout's
 * version column guards against a second controller applying it twice — then swaps the
 * gateway's routing snapshot in the same process, so a rollback reaches the next request.
 * Everything it knows lives in the store: a restart resumes the same state.
 */
export function createController(deps: ControllerDeps): Controller {
  const nStar = deps.nStar ?? DEFAULT_N_STAR;
  let version = deps.routing.current.version;
  let timer: ReturnType<typeof setInterval> | undefined;
  let watcher: ReturnType<typeof setInterval> | undefined;
  /** What the routing snapshot was last built from, so an unchanged store does not swap it. */
  let routedFrom = '';
  let running: Promise<unknown> = Promise.resolve();
  /** Last hold written per rollout, so a hold is logged when its reason changes, not every tick. */
  const lastHold = new Map<string, string>();

  const specOf = (changeId: string): ChangeSpec => {
    const spec = deps.specs.get(changeId);
    if (!spec)
      throw new BallastError(
        'BALLAST_ERR_NOT_FOUND',
        `no change "${changeId}" in the project's changes folder`,
      );
    return spec;
  };

  const latestRollout = async (changeId: string) => deps.store.rollouts.getByChange(changeId);

  /** When each rollout's current stage began, by `rolloutId:stage` (read from the log once). */
  const stageStarts = new Map<string, number>();
  const stageStartedAt = async (rollout: Rollout): Promise<number> => {
    const key = `${rollout.id}:${rollout.stageIndex}`;
    const known = stageStarts.get(key);
    if (known !== undefined) return known;
    const log = await deps.store.decisions.list({ rolloutId: rollout.id });
    let at = rollout.createdAt;
    for (let i = log.length - 1; i >= 0; i--) {
      const d = log[i]!;
      if (d.toStage === rollout.stageIndex && (d.fromStage !== d.toStage || d.action === 'start')) {
        at = d.at;
        break;
      }
    }
    stageStarts.set(key, at);
    return at;
  };

  const evidenceFor = async (
    spec: ChangeSpec,
    exposure: number,
    prefetched?: Readonly<Record<string, ArmSums>>,
  ): Promise<Evidence> => {
    const sums = prefetched ?? (await deps.store.unitTotals.armSumsAll(spec.id, metricsOf(spec).metrics));
    return buildEvidence(spec, sums as Readonly<Record<UnitMetric, ArmSums>>, exposure, nStar);
  };

  /** Applies a status/stage change and appends its decision in one transaction. */
  const apply = async (
    rollout: Rollout,
    patch: RolloutPatch,
    entry: { action: string; actor: string; reasons: readonly string[]; evidence: JsonValue },
  ): Promise<LoggedDecision> => {
    const at = deps.clock.now();
    const logged = await deps.store.transaction(async (tx: StoreSession) => {
      const updated = await tx.rollouts.update(rollout.id, rollout.version, patch, at);
      return tx.decisions.append({
        rolloutId: rollout.id,
        changeId: rollout.changeId,
        at,
        actor: entry.actor,
        action: entry.action,
        fromStatus: rollout.status,
        toStatus: updated.status,
        fromStage: rollout.stageIndex,
        toStage: updated.stageIndex,
        exposure: updated.exposure,
        reasons: entry.reasons,
        evidence: entry.evidence,
      });
    });
    lastHold.delete(rollout.id);
    deps.onDecision?.(logged);
    await refreshRouting();
    return logged;
  };

  const refreshRouting = async (onlyIfChanged = false): Promise<void> => {
    // Each change's live rollout if it has one (clocks of several gateways may disagree on which
    // was created last), else its latest.
    const current = await deps.store.rollouts.currentPerChange();
    const active: ActiveRollout[] = [];
    const routes: Record<string, { stable: string }> = {};
    for (const [name, route] of Object.entries(deps.routes)) routes[name] = { stable: route.stable };
    for (const r of current) {
      const spec = deps.specs.get(r.changeId);
      if (!spec) continue;
      if (LIVE.has(r.status))
        active.push({
          changeId: r.changeId,
          route: spec.route,
          candidate: spec.candidate,
          exposure: r.exposure,
        });
      // A promoted candidate serves its route until ballast.yaml is updated to say so.
      if (r.status === 'promoted' && routes[spec.route]) routes[spec.route] = { stable: spec.candidate };
    }
    const from = JSON.stringify([routes, active]);
    if (onlyIfChanged && from === routedFrom) return;
    routedFrom = from;
    version += 1;
    deps.routing.swap(buildSnapshot(routes, active, version));
  };

  const tickOne = async (
    rollout: Rollout,
    prefetched?: Readonly<Record<string, ArmSums>>,
  ): Promise<DecisionAction> => {
    const spec = specOf(rollout.changeId);
    const evidence = await evidenceFor(spec, rollout.exposure, prefetched);
    const view = {
      status: rollout.status,
      stageIndex: rollout.stageIndex,
      stageStartedAt: await stageStartedAt(rollout),
    };
    const decision = decide(view, evidence, spec.rollout as DecisionRules, deps.clock.now());
    // The evidence JSON is built only when a decision is written: most ticks hold and log nothing.
    const entry = () => ({
      actor: 'controller',
      reasons: decision.reasons,
      evidence: evidenceJson(evidence),
    });
    switch (decision.action) {
      case 'rollback':
        await apply(rollout, { status: 'rolled_back', exposure: 0 }, { ...entry(), action: 'rollback' });
        break;
      case 'pause':
        await apply(rollout, { status: 'paused' }, { ...entry(), action: 'pause' });
        break;
      case 'promote':
        await apply(rollout, { status: 'promoted', exposure: 100 }, { ...entry(), action: 'promote' });
        break;
      case 'advance':
        await apply(
          rollout,
          { stageIndex: decision.stageIndex!, exposure: decision.exposure! },
          { ...entry(), action: 'advance' },
        );
        break;
      case 'hold': {
        const signature = holdSignature(decision.flags, decision.reasons);
        if (lastHold.get(rollout.id) !== signature) {
          // The log's last decision says what was last written: after a restart, or by another
          // gateway's controller looking at the same evidence (each gateway runs one).
          const last = (await deps.store.decisions.list({ rolloutId: rollout.id, limit: 1 })).at(-1);
          if (last?.action === 'hold')
            lastHold.set(rollout.id, holdSignature(flagsOf(last.evidence), last.reasons));
        }
        if (lastHold.get(rollout.id) !== signature) {
          const at = deps.clock.now();
          const logged = await deps.store.decisions.append({
            rolloutId: rollout.id,
            changeId: rollout.changeId,
            at,
            actor: 'controller',
            action: 'hold',
            fromStatus: rollout.status,
            toStatus: rollout.status,
            fromStage: rollout.stageIndex,
            toStage: rollout.stageIndex,
            exposure: rollout.exposure,
            reasons: decision.reasons,
            evidence: {
              ...(evidenceJson(evidence) as Record<string, JsonValue>),
              flags: [...decision.flags],
            },
          });
          lastHold.set(rollout.id, signature);
          deps.onDecision?.(logged);
        }
        break;
      }
      default:
        break;
    }
    return decision.action;
  };

  const tick = async () => {
    const outcomes: { changeId: string; action: DecisionAction }[] = [];
    const running = (await deps.store.rollouts.list({ status: 'running' })).filter((r) =>
      deps.specs.has(r.changeId),
    );
    // One aggregate query for every running rollout's metrics.
    const metrics = [...new Set(running.flatMap((r) => metricsOf(specOf(r.changeId)).metrics))];
    const sums = await deps.store.unitTotals.armSumsMany(
      running.map((r) => r.changeId),
      metrics,
    );
    for (const rollout of running) {
      try {
        outcomes.push({
          changeId: rollout.changeId,
          action: await tickOne(rollout, sums.get(rollout.changeId)),
        });
      } catch (error) {
        // Another controller applied a decision first (version conflict): its decision stands.
        if (error instanceof BallastError && error.code === 'BALLAST_ERR_CONFLICT') continue;
        throw error;
      }
    }
    return outcomes;
  };

  const act = (input: ActInput): Promise<LoggedDecision> =>
    actOn(
      {
        store: deps.store,
        clock: deps.clock,
        specOf,
        latestRollout,
        apply,
        refreshRouting,
        ...(deps.onDecision ? { onDecision: deps.onDecision } : {}),
        ...(deps.gatePassed ? { gatePassed: deps.gatePassed } : {}),
      },
      input,
    );

  const status = async (changeId: string): Promise<RolloutStatusView> => {
    const spec = specOf(changeId);
    const rollout = (await latestRollout(changeId)) ?? null;
    const evidence = await evidenceFor(spec, rollout?.exposure ?? 0);
    const decisions = rollout ? await deps.store.decisions.list({ rolloutId: rollout.id }) : [];
    const next = rollout
      ? decide(
          {
            status: rollout.status,
            stageIndex: rollout.stageIndex,
            stageStartedAt: await stageStartedAt(rollout),
          },
          evidence,
          spec.rollout as DecisionRules,
          deps.clock.now(),
        )
      : { action: 'none' as const, reasons: ['no rollout yet: `ballast rollout start`'], flags: [] };
    const stage = rollout ? spec.rollout.stages[rollout.stageIndex] : undefined;
    return {
      changeId,
      rollout,
      stage:
        rollout && stage
          ? { index: rollout.stageIndex, of: spec.rollout.stages.length, percent: stage.percent }
          : null,
      units: evidence.units,
      metrics: evidence.metrics,
      success: evidence.success ?? [],
      next: { action: next.action, reasons: next.reasons, flags: next.flags },
      decisions,
    };
  };

  return {
    tick: () => {
      const t = running.then(tick, tick);
      running = t.catch(() => undefined);
      return t;
    },
    act: (input) => {
      const t = running.then(
        () => act(input),
        () => act(input),
      );
      running = t.catch(() => undefined);
      return t;
    },
    status,
    refreshRouting: () => refreshRouting(),
    watchRouting(intervalMs) {
      let inFlight = false;
      watcher ??= setInterval(() => {
        if (inFlight) return;
        inFlight = true;
        refreshRouting(true)
          .catch(() => undefined)
          .finally(() => {
            inFlight = false;
          });
      }, intervalMs);
      watcher.unref?.();
    },
    start(intervalMs) {
      timer ??= setInterval(() => {
        const t = running.then(tick, tick);
        running = t.catch(() => undefined);
      }, intervalMs);
      timer.unref?.();
    },
    async stop() {
      if (timer) clearInterval(timer);
      if (watcher) clearInterval(watcher);
      timer = undefined;
      watcher = undefined;
      await running;
    },
  };
}
