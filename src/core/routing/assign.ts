import { murmurHash3 } from '../hash/murmur3.js';

/**
 * Sticky, monotone assignment of units to a rollout's arms (STATS.md §3, issue #5).
 *
 * A unit's bucket in [0, 10 000) depends only on (change id, unit), never on the exposure. At
 * exposure c (in basis points) the candidate serves buckets [0, c) and the comparison arm —
 * units served by stable and analysed against the candidate — is [5 000, 5 000 + c): the layout
 * GrowthBook uses (treatment [0, c), control [0.5, 0.5 + c)), so raising c only adds buckets to
 * each arm and never moves a unit from one arm to the other or from an arm back to stable.
 * Every other unit gets stable and is not analysed.
 *
 * Above 50 % the two ranges would overlap, so there the candidate serves [0, c) and every other
 * unit is the comparison arm: widening still only moves units from stable to the candidate,
 * never back, but units of the comparison arm do move to the candidate (unavoidable once the
 * candidate serves the majority); docs/gateway.md says so.
 */
export const BUCKETS = 10_000;
export const COMPARISON_OFFSET = 5_000;

export type Arm = 'candidate' | 'comparison';

/** A route's rollout as the gateway sees it: what the controller (#6) publishes. */
export interface RolloutRouting {
  readonly changeId: string;
  readonly candidate: string;
  /** Share of units the candidate serves, in basis points (100 = 1 %), 0 … 10 000. */
  readonly exposureBp: number;
  /** murmurHash3(changeId): the salt of this rollout's buckets, computed once per snapshot. */
  readonly salt: number;
}

export interface RouteRouting {
  readonly stable: string;
  readonly rollout: RolloutRouting | null;
}

/** Everything routing needs, swapped as a whole (the controller replaces it atomically). */
export interface RoutingSnapshot {
  readonly routes: ReadonlyMap<string, RouteRouting>;
  /** Increases with every swap; reported on /readyz and in logs. */
  readonly version: number;
}

export interface Assignment {
  readonly variant: string;
  /** Null when the unit is outside the rollout's arms (or the route has no rollout). */
  readonly arm: Arm | null;
  /** Set when a rollout decided (the unit is in an arm). */
  readonly changeId: string | null;
}

/** The salt of a change's buckets. */
export function rolloutSalt(changeId: string): number {
  return murmurHash3(changeId);
}

/** The unit's bucket for a rollout salted with `salt`: MurmurHash3 x86_32 of the unit id, mod 10 000. */
export function bucketOf(salt: number, unit: string): number {
  return murmurHash3(unit, salt) % BUCKETS;
}

/** The arm a bucket falls in at an exposure, or null (stable, not analysed). */
export function armOf(bucket: number, exposureBp: number): Arm | null {
  if (bucket < exposureBp) return 'candidate';
  if (exposureBp > COMPARISON_OFFSET) return 'comparison';
  if (bucket >= COMPARISON_OFFSET && bucket < COMPARISON_OFFSET + exposureBp) return 'comparison';
  return null;
}

/** Which variant serves `unit` on a route. Evaluated once per request. */
export function assign(route: RouteRouting, unit: string): Assignment {
  const rollout = route.rollout;
  if (!rollout || rollout.exposureBp <= 0) return { variant: route.stable, arm: null, changeId: null };
  const arm = armOf(bucketOf(rollout.salt, unit), rollout.exposureBp);
  if (arm === null) return { variant: route.stable, arm: null, changeId: null };
  return {
    variant: arm === 'candidate' ? rollout.candidate : route.stable,
    arm,
    changeId: rollout.changeId,
  };
}

/** Percent (0 … 100) → basis points, clamped to [0, 10 000]. */
export function exposureBp(percent: number): number {
  if (!Number.isFinite(percent) || percent <= 0) return 0;
  return Math.min(BUCKETS, Math.round(percent * 100));
}
