import type { RequestRecord } from './gateway-telemetry.js';

export interface ListRequestLogFilter {
  readonly route?: string;
  readonly changeId?: string;
  /** Matches the served variant (the one that produced the answer, or was tried last). */
  readonly variant?: string;
  /** Inclusive lower bound on `at` (epoch ms). */
  readonly from?: number;
  /** Exclusive upper bound on `at` (epoch ms). */
  readonly to?: number;
  readonly limit?: number;
}

/** The sampled log of gateway requests (`server.request_log`), one row per request. */
export interface RequestLogStore {
  /**
   * Appends the rows atomically (one transaction). A request id already stored, or repeated in the
   * batch, is ignored: a flush retried after an unclear failure never duplicates nor fails.
   */
  appendBatch(rows: readonly RequestRecord[]): Promise<void>;
  get(requestId: string): Promise<RequestRecord | undefined>;
  /** Newest first (by at, then request id). */
  list(filter?: ListRequestLogFilter): Promise<RequestRecord[]>;
  /**
   * Deletes at most `limit` rows with `at` before `before` (epoch ms), oldest first, and says how
   * many it deleted: retention (`server.request_log.retention_days`) in short transactions.
   */
  deleteBefore(before: number, limit: number): Promise<number>;
}
