/**
 * Work that has started and not yet finished — the gateway's requests — and a way to wait until
 * none is left. A stop uses it so that what a request reports on its way out (cut by the stop, it
 * reports after its connection closed) reaches telemetry before telemetry's last flush.
 */
export class InFlight {
  #count = 0;
  #waiters: (() => void)[] = [];

  get count(): number {
    return this.#count;
  }

  enter(): void {
    this.#count += 1;
  }

  leave(): void {
    if (this.#count === 0) return;
    this.#count -= 1;
    if (this.#count > 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const fn of waiters) fn();
  }

  /** Runs `work` counted as in flight until it settles. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.enter();
    try {
      return await work();
    } finally {
      this.leave();
    }
  }

  /** Resolves once nothing is in flight (at once when nothing is). */
  drained(): Promise<void> {
    if (this.#count === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
