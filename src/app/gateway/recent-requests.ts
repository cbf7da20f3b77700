import type { Arm } from '../../core/routing/assign.js';

/** What feedback needs to know about a request it names. */
export interface RequestSummary {
  readonly route: string | null;
  readonly changeId: string | null;
  readonly arm: Arm | null;
  readonly variant: string;
  /** The unit the request was routed for (per-unit rollout metrics need it for feedback). */
  readonly unit?: string;
  readonly at: number;
}

/**
 * The last `capacity` request ids, for linking feedback sent with a key to its variant without a
 * database read on the request path. A Map keeps insertion order, so evicting the oldest is
 * deleting its first key: O(1), memory bounded by the capacity.
 */
export class RecentRequests {
  readonly #items = new Map<string, RequestSummary>();
  constructor(readonly capacity: number) {}

  add(requestId: string, summary: RequestSummary): void {
    if (this.capacity <= 0) return;
    this.#items.set(requestId, summary);
    if (this.#items.size > this.capacity) {
      const oldest = this.#items.keys().next();
      if (!oldest.done) this.#items.delete(oldest.value);
    }
  }

  get(requestId: string): RequestSummary | undefined {
    return this.#items.get(requestId);
  }

  get size(): number {
    return this.#items.size;
  }
}
