import {
  exposureBp,
  type RouteRouting,
  type RoutingSnapshot,
  rolloutSalt,
} from '../../core/routing/assign.js';

/** A rollout that is serving traffic: what the controller (#6) or the store says is running. */
export interface ActiveRollout {
  readonly changeId: string;
  readonly route: string;
  readonly candidate: string;
  /** Percent of units the candidate serves, 0 … 100. */
  readonly exposure: number;
}

/** The routing snapshot for a project's routes and the rollouts running on them (one per route). */
export function buildSnapshot(
  routes: Readonly<Record<string, { readonly stable: string }>>,
  active: readonly ActiveRollout[],
  version: number,
): RoutingSnapshot {
  const byRoute = new Map(active.map((a) => [a.route, a]));
  const table = new Map<string, RouteRouting>();
  for (const [name, route] of Object.entries(routes)) {
    const a = byRoute.get(name);
    table.set(name, {
      stable: route.stable,
      rollout:
        a && exposureBp(a.exposure) > 0
          ? {
              changeId: a.changeId,
              candidate: a.candidate,
              exposureBp: exposureBp(a.exposure),
              salt: rolloutSalt(a.changeId),
            }
          : null,
    });
  }
  return { routes: table, version };
}

/**
 * Holds the snapshot the request path reads. `swap` replaces it as a whole — one reference
 * assignment, so a request sees either the old table or the new one, never a mix — and the
 * request path never waits on a database.
 */
export class RoutingTable {
  #snapshot: RoutingSnapshot;
  readonly #listeners = new Set<(s: RoutingSnapshot) => void>();

  constructor(initial: RoutingSnapshot) {
    this.#snapshot = initial;
  }

  get current(): RoutingSnapshot {
    return this.#snapshot;
  }

  swap(next: RoutingSnapshot): void {
    this.#snapshot = next;
    for (const l of this.#listeners) l(next);
  }

  onSwap(listener: (s: RoutingSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
