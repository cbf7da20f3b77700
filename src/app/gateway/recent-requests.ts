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
 * database read on the request path. Memory is bounded by the capacity and kept small per entry,
 * because the gateway holds 100,000 of them by default and a bigger live heap makes V8 let the whole
 * heap grow further between collections: a ring of slots in plain arrays (the time unboxed, who
 * served it as an index into the few distinct route × change × arm × variant tuples), and one Map
 * from id to slot. An object per entry made this ≈ 35 MB of a gateway's ≈ 52 MB live heap under
 * load (bench/gateway soak). The oldest slot is overwritten when the ring is full.
 */
export class RecentRequests {
  readonly #slotOf = new Map<string, number>();
  readonly #ids: string[] = [];
  readonly #units: (string | undefined)[] = [];
  readonly #at: number[] = [];
  readonly #who: number[] = [];
  readonly #tuples: Omit<RequestSummary, 'unit' | 'at'>[] = [];
  readonly #tupleIndex = new Map<string, number>();
  #next = 0;

  constructor(readonly capacity: number) {}

  add(requestId: string, summary: RequestSummary): void {
    if (this.capacity <= 0) return;
    let slot = this.#slotOf.get(requestId);
    if (slot === undefined) {
      slot = this.#next;
      this.#next = (this.#next + 1) % this.capacity;
      const evicted = this.#ids[slot];
      if (evicted !== undefined) this.#slotOf.delete(evicted);
      this.#ids[slot] = requestId;
      this.#slotOf.set(requestId, slot);
    }
    this.#units[slot] = summary.unit;
    this.#at[slot] = summary.at;
    this.#who[slot] = this.#tuple(summary);
  }

  get(requestId: string): RequestSummary | undefined {
    const slot = this.#slotOf.get(requestId);
    if (slot === undefined) return undefined;
    const unit = this.#units[slot];
    return {
      ...this.#tuples[this.#who[slot]!]!,
      at: this.#at[slot]!,
      ...(unit !== undefined ? { unit } : {}),
    };
  }

  get size(): number {
    return this.#slotOf.size;
  }

  #tuple(s: RequestSummary): number {
    // JSON, so a route named "null" and no route are different tuples.
    const key = JSON.stringify([s.route, s.changeId, s.arm, s.variant]);
    let index = this.#tupleIndex.get(key);
    if (index === undefined) {
      index = this.#tuples.length;
      this.#tuples.push({ route: s.route, changeId: s.changeId, arm: s.arm, variant: s.variant });
      this.#tupleIndex.set(key, index);
    }
    return index;
  }
}
