/**
 * The statuses a rollout moves through. The transitions between them belong to the rollout state
 * machine in core; the store only records them.
 */
export const ROLLOUT_STATUSES = [
  'pending',
  'running',
  'paused',
  'rolled_back',
  'promoted',
  'aborted',
] as const;

export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];

/** The statuses a rollout never leaves: it was promoted, rolled back or aborted. */
export const ENDED_STATUSES: ReadonlySet<RolloutStatus> = new Set(['rolled_back', 'promoted', 'aborted']);

export interface Rollout {
  readonly id: string;
  readonly changeId: string;
  readonly status: RolloutStatus;
  /** Index into the change spec's rollout stages. */
  readonly stageIndex: number;
  /** Percentage of the route's traffic sent to the candidate, 0..100. */
  readonly exposure: number;
  /** Starts at 1 and grows by one on every update; the optimistic-concurrency token. */
  readonly version: number;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface CreateRolloutInput {
  readonly id: string;
  /** Must name a registered change, otherwise BALLAST_ERR_NOT_FOUND. */
  readonly changeId: string;
  readonly status: RolloutStatus;
  readonly stageIndex: number;
  readonly exposure: number;
  readonly at: number;
}

export interface RolloutPatch {
  readonly status?: RolloutStatus;
  readonly stageIndex?: number;
  readonly exposure?: number;
}

export interface ListRolloutsFilter {
  readonly status?: RolloutStatus;
  readonly changeId?: string;
}

export interface RolloutStore {
  /** A duplicate id throws BALLAST_ERR_CONFLICT. */
  create(input: CreateRolloutInput): Promise<Rollout>;
  get(id: string): Promise<Rollout | undefined>;
  /** The most recently created rollout of the change (ties broken by the greater id). */
  getByChange(changeId: string): Promise<Rollout | undefined>;
  /**
   * Each change's rollout as getByChange picks it (the live one if there is one, else the latest),
   * one per change, for every change that has one: what the gateways route by, in one query that
   * skips the older rollouts a change gathers over restarts.
   */
  currentPerChange(): Promise<Rollout[]>;
  /** Ordered by createdAt, then id. */
  list(filter?: ListRolloutsFilter): Promise<Rollout[]>;
  /**
   * Applies the patch only if the stored version still equals expectedVersion, and bumps the version.
   * A stale version throws BALLAST_ERR_CONFLICT (details carry the current version); an unknown id
   * throws BALLAST_ERR_NOT_FOUND.
   */
  update(id: string, expectedVersion: number, patch: RolloutPatch, at: number): Promise<Rollout>;
}
