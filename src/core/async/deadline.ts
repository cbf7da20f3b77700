/** What a Deadline needs from the outside: a clock in milliseconds and one-shot timers. */
export interface TimerHost<H> {
  now(): number;
  set(fn: () => void, ms: number): H;
  clear(handle: H): void;
}

/**
 * A timeout that is moved far more often than it fires: the idle limit of a stream, pushed back
 * by every event. Moving it later costs a clock read and a field write — the pending timer stays,
 * and when it fires early it sets itself again for the time that is left; only moving it earlier
 * replaces the timer. (The re-arm of Node's own socket timeouts and undici's coarse timers work
 * on the same idea.) A streamed reply used to clear and set two timers per event, ≈ 0.5 µs each
 * and an object for the collector every time.
 *
 * Pure: the clock and the timers come from the host, so tests drive it with a fake one.
 */
export class Deadline<H = unknown> {
  /** When it should fire; Infinity while disarmed. */
  #due = Number.POSITIVE_INFINITY;
  /** The pending timer and when it fires. */
  #timer: H | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  readonly #check = () => this.#expired();

  constructor(
    private readonly host: TimerHost<H>,
    private readonly onFire: () => void,
  ) {}

  get armed(): boolean {
    return this.#due !== Number.POSITIVE_INFINITY;
  }

  /** Fires `ms` from now, replacing any earlier or later time. */
  arm(ms: number): void {
    const now = this.host.now();
    this.#due = now + ms;
    if (this.#timer !== undefined && this.#timerAt <= this.#due) return;
    if (this.#timer !== undefined) this.host.clear(this.#timer);
    this.#timerAt = this.#due;
    this.#timer = this.host.set(this.#check, ms);
  }

  /** Will not fire until armed again; the pending timer, if any, finds nothing to do. */
  disarm(): void {
    this.#due = Number.POSITIVE_INFINITY;
  }

  /** Disarms and clears the pending timer: call when done, so nothing stays scheduled. */
  cancel(): void {
    this.#due = Number.POSITIVE_INFINITY;
    if (this.#timer !== undefined) this.host.clear(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  #expired(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    if (this.#due === Number.POSITIVE_INFINITY) return;
    const left = this.#due - this.host.now();
    if (left > 0) {
      this.#timerAt = this.#due;
      this.#timer = this.host.set(this.#check, left);
      return;
    }
    this.#due = Number.POSITIVE_INFINITY;
    this.onFire();
  }
}
