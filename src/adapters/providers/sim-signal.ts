import { type CancelSignal, isCancelSignal } from '../../app/ports/model-provider.js';
import { AbortFanout, cancelledReason } from './abort-fanout.js';

const reasonOf = (caller: AbortSignal | CancelSignal | undefined): unknown =>
  caller === undefined || isCancelSignal(caller) ? cancelledReason() : caller.reason;

/**
 * The AbortSignals of a provider's calls. Each call gets its own signal that aborts when the
 * caller's signal does or when the provider is closed.
 *
 * Listeners are kept to one per distinct caller signal, however many calls share it (see
 * AbortFanout). Closing walks the set of live calls rather than having them listen on a shared
 * "closing" signal, for the same reason. Everything a call registered is removed when it ends.
 */
export interface CallSignal {
  readonly signal: AbortSignal;
  /** Ends the call's registration; call it once, when the call is over. */
  dispose(): void;
}

export interface CallSignals {
  start(caller: AbortSignal | CancelSignal | undefined): CallSignal;
  /** Aborts every live call with `reason`, and every call started afterwards. */
  closeAll(reason: unknown): void;
  /** Calls in flight. */
  readonly active: number;
}

export function createCallSignals(): CallSignals {
  const live = new Set<AbortController>();
  const callers = new AbortFanout<AbortController>((controller, caller) => controller.abort(caller.reason));
  let closed: { reason: unknown } | undefined;

  return {
    start(caller) {
      const controller = new AbortController();
      if (closed !== undefined || caller?.aborted) {
        const reason = closed !== undefined ? closed.reason : reasonOf(caller);
        controller.abort(reason);
        return { signal: controller.signal, dispose: () => {} };
      }
      live.add(controller);
      if (caller !== undefined && isCancelSignal(caller)) {
        const unsubscribe = caller.onAbort(() => controller.abort(cancelledReason()));
        return {
          signal: controller.signal,
          dispose: () => {
            live.delete(controller);
            unsubscribe();
          },
        };
      }
      if (caller !== undefined) callers.add(caller, controller);
      return {
        signal: controller.signal,
        dispose: () => {
          live.delete(controller);
          if (caller !== undefined) callers.delete(caller, controller);
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
