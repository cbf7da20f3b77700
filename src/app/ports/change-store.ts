import type { JsonObject } from './json-value.js';

/** A change spec as registered: the parsed spec is kept whole, keyed by its id. */
export interface Change {
  readonly id: string;
  readonly route: string;
  /** Name of the candidate variant the change introduces. */
  readonly candidate: string;
  readonly spec: JsonObject;
  /** Hash of the spec's content, computed by the caller; decides created/updated/unchanged. */
  readonly contentHash: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface RegisterChangeInput {
  readonly id: string;
  readonly route: string;
  readonly candidate: string;
  readonly spec: JsonObject;
  readonly contentHash: string;
  /** Epoch milliseconds; the store never reads a clock. */
  readonly at: number;
}

export type RegisterOutcome = 'created' | 'updated' | 'unchanged';

export interface RegisterChangeResult {
  readonly outcome: RegisterOutcome;
  /** The change as stored after the call. */
  readonly change: Change;
}

export interface ChangeStore {
  /**
   * Upsert by id. Same content hash → 'unchanged' and nothing is written (updatedAt stays);
   * a different hash replaces route, candidate, spec and hash and keeps createdAt.
   */
  register(input: RegisterChangeInput): Promise<RegisterChangeResult>;
  get(id: string): Promise<Change | undefined>;
  /** Ordered by createdAt, then id. */
  list(): Promise<Change[]>;
}
