import { type CancelSignal, isCancelSignal } from '../../app/ports/model-provider.js';

/**
 * Calls that stop when a caller's AbortSignal aborts, with one 'abort' listener per distinct
 * caller signal however many calls share it. An eval run passes one signal (Ctrl-C) to thousands
 * of calls, a hundred or more in flight: a listener per call tripped Node's MaxListeners warning
 * past 10, and each add and remove walked the signal's list of listeners (`addEventListener` was
 * 1.9 % of a 10,000-case run's CPU in `perf`). A member is removed in O(1), and the listener with
 * the last member.
 */
export class AbortFanout<T> {
  readonly #byCaller = new Map<AbortSignal, { readonly members: Set<T>; readonly onAbort: () => void }>();

  /** `stop` is told of each member whose caller aborted. */
  constructor(private readonly stop: (member: T, caller: AbortSignal) => void) {}

  /** Stops `member` when `caller` aborts (at once if it has). */
  add(caller: AbortSignal, member: T): void {
    if (caller.aborted) {
      this.stop(member, caller);
      return;
    }
    let entry = this.#byCaller.get(caller);
    if (entry === undefined) {
      const members = new Set<T>();
      const onAbort = (): void => {
        this.#byCaller.delete(caller);
        // A copy: stopping a member may remove it (or others) from the set.
        for (const member of [...members]) this.stop(member, caller);
      };
      entry = { members, onAbort };
      this.#byCaller.set(caller, entry);
      caller.addEventListener('abort', onAbort, { once: true });
    }
    entry.members.add(member);
  }

  /** Forgets `member`; the caller's listener goes with its last member. */
  delete(caller: AbortSignal, member: T): void {
    const entry = this.#byCaller.get(caller);
    if (entry === undefined || !entry.members.delete(member) || entry.members.size > 0) return;
    this.#byCaller.delete(caller);
    caller.removeEventListener('abort', entry.onAbort);
  }
}

/** What a CancelSignal's call is aborted with: what `AbortController.abort()` gives by default. */
export function cancelledReason(): DOMException {
  return new DOMException('The caller cancelled the call', 'AbortError');
}

const NOTHING = () => {};

/**
 * An AbortSignal for a call's signal, for code that needs a real one (a sleep): the signal itself
 * when it is an AbortSignal; for a CancelSignal, one that aborts with it. `dispose` when the call
 * is over.
 */
export function abortSignalOf(signal: AbortSignal | CancelSignal | undefined): {
  readonly signal: AbortSignal | undefined;
  dispose(): void;
} {
  if (signal === undefined || !isCancelSignal(signal)) return { signal, dispose: NOTHING };
  const controller = new AbortController();
  const dispose = signal.onAbort(() => controller.abort(cancelledReason()));
  return { signal: controller.signal, dispose };
}
