/**
 * The AbortSignals of a provider's calls. Each call gets its own signal that aborts when the
 * caller's signal does or when the provider is closed.
 *
 * Listeners are kept to one per distinct caller signal, however many calls share it: an eval
 * run typically passes one signal (Ctrl-C) to thousands of concurrent calls, and one listener
 * per call would trip Node's MaxListeners warning past 10 and make each removal O(n). Closing
 * walks the set of live calls rather than having them listen on a shared "closing" signal, for
 * the same reason. Everything a call registered is removed when it ends.
 */
export interface CallSignal {
  readonly signal: AbortSignal;
  /** Ends the call's registration; call it once, when the call is over. */
  dispose(): void;
}

export interface CallSignals {
  start(caller: AbortSignal | undefined): CallSignal;
  /** Aborts every live call with `reason`, and every call started afterwards. */
  closeAll(reason: unknown): void;
  /** Calls in flight. */
  readonly active: number;
}

interface Subscription {
  readonly calls: Set<AbortController>;
  readonly onAbort: () => void;
}

export function createCallSignals(): CallSignals {
  const live = new Set<AbortController>();
  const byCaller = new Map<AbortSignal, Subscription>();
  let closed: { reason: unknown } | undefined;

  const subscribe = (caller: AbortSignal, controller: AbortController): Subscription => {
    let subscription = byCaller.get(caller);
    if (subscription === undefined) {
      const calls = new Set<AbortController>();
      const onAbort = () => {
        for (const call of calls) call.abort(caller.reason);
      };
      subscription = { calls, onAbort };
      caller.addEventListener('abort', onAbort, { once: true });
      byCaller.set(caller, subscription);
    }
    subscription.calls.add(controller);
    return subscription;
  };

  return {
    start(caller) {
      const controller = new AbortController();
      if (closed !== undefined || caller?.aborted) {
        controller.abort(closed !== undefined ? closed.reason : caller?.reason);
        return { signal: controller.signal, dispose: () => {} };
      }
      live.add(controller);
      const subscription = caller === undefined ? undefined : subscribe(caller, controller);
      return {
        signal: controller.signal,
        dispose: () => {
          live.delete(controller);
          if (caller === undefined || subscription === undefined) return;
          subscription.calls.delete(controller);
          if (subscription.calls.size === 0 && byCaller.get(caller) === subscription) {
            caller.removeEventListener('abort', subscription.onAbort);
            byCaller.delete(caller);
          }
        },
      };
    },
    closeAll(reason) {
      closed ??= { reason };
      for (const controller of live) controller.abort(reason);
    },
    get active() {
      return live.size;
    },
  };
}
