import type { Dispatcher } from 'undici';
import undiciRequest from 'undici/lib/api/api-request.js';
// Only the two parts of undici Ballast uses: its index loads every dispatcher, fetch, WebSocket,
// the mocks and the caches, which cost ≈ 80 ms of start-up for nothing (see undici-parts.d.ts).
import Agent from 'undici/lib/dispatcher/agent.js';
import Queue from 'yocto-queue';
import type { Stoppable } from './http-deadline.js';

export interface HttpTransportOptions {
  /** Calls in flight at once; further calls wait for a slot (time that is never counted as latency). */
  readonly maxConcurrency: number;
  /** How long an idle keep-alive socket stays open (default 10 s). */
  readonly keepAliveMs?: number;
  /** Longest wait for a TCP (and TLS) connection to open (default 10 s, undici's own default). */
  readonly connectTimeoutMs?: number;
}

/** Gives a call slot back; calling it twice is harmless. */
export type ReleaseSlot = () => void;

/**
 * What the variants of one provider share: one keep-alive connection pool and one concurrency
 * limit. Sharing matters because `maxConcurrency` is a property of the provider account (its rate
 * limits), not of each variant, and because a warm pool saves a TCP + TLS handshake per call.
 */
export interface HttpTransport {
  /** Sends one request on the pool (undici's `Dispatcher.request`). */
  readonly request: (options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
  /** Waits for a call slot; resolves undefined (holding nothing) when the call stops first. */
  acquire(call: Stoppable): Promise<ReleaseSlot | undefined>;
  /** Calls holding a slot, and calls waiting for one. */
  load(): { readonly active: number; readonly pending: number };
  /** Destroys the pool: open sockets are closed at once. */
  close(): Promise<void>;
}

export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  const keepAliveMs = options.keepAliveMs ?? 10_000;
  const agent = new Agent({
    // No undici-level queue: the limiter below already keeps calls ≤ maxConcurrency.
    connections: options.maxConcurrency,
    keepAliveTimeout: keepAliveMs,
    keepAliveMaxTimeout: keepAliveMs,
    // The providers run their own total and idle timers (so that a timeout maps to its kind and
    // never outlives the call); undici's would only add a second, less precise set.
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: { timeout: options.connectTimeoutMs ?? 10_000 },
  });
  const slots = new CallSlots(options.maxConcurrency);
  let closed: Promise<void> | undefined;
  return {
    request: (requestOptions) => undiciRequest.call(agent, requestOptions),
    acquire: (call) => slots.acquire(call),
    load: () => ({ active: slots.active, pending: slots.pending }),
    close() {
      closed ??= agent.destroy();
      return closed;
    },
  };
}

/** A call waiting for a slot; `grant` is cleared once it got one or stopped waiting. */
interface Waiter {
  grant: ((release: ReleaseSlot) => void) | undefined;
}

/**
 * A counting semaphore for call slots: at most `max` held, the others wait first in, first out.
 * A free slot is granted at once (no microtask hop); a call that stops while it waits leaves the
 * queue in effect (it is skipped when its turn comes) and resolves undefined. p-limit did this job
 * before, through a task wrapper per call: ≈ 6 µs and 1.7 KB per call here against ≈ 1.5 µs,
 * and it could not drop a stopped waiter.
 */
export class CallSlots {
  active = 0;
  pending = 0;
  private readonly queue = new Queue<Waiter>();

  constructor(private readonly max: number) {}

  acquire(call: Stoppable): Promise<ReleaseSlot | undefined> {
    if (call.stopped) return Promise.resolve(undefined);
    if (this.active < this.max) {
      this.active += 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => {
      const waiter: Waiter = { grant: undefined };
      const unsubscribe = call.onStop(() => {
        if (waiter.grant === undefined) return;
        waiter.grant = undefined;
        this.pending -= 1;
        resolve(undefined);
      });
      waiter.grant = (release) => {
        unsubscribe();
        resolve(release);
      };
      this.pending += 1;
      this.queue.enqueue(waiter);
    });
  }

  /** The release of one held slot: hands it to the next waiter, or frees it. Idempotent. */
  private releaser(): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (let waiter = this.queue.dequeue(); waiter !== undefined; waiter = this.queue.dequeue()) {
        const grant = waiter.grant;
        if (grant === undefined) continue; // stopped while it waited
        waiter.grant = undefined;
        this.pending -= 1;
        grant(this.releaser());
        return;
      }
      this.active -= 1;
    };
  }
}

/**
 * Transports by provider name, for the composition root: every variant of provider `name` leases
 * the same pool and limit; the pool is destroyed when the last lease is closed.
 */
export interface HttpTransportRegistry {
  lease(name: string, options: HttpTransportOptions): HttpTransport;
  closeAll(): Promise<void>;
}

export function createHttpTransportRegistry(): HttpTransportRegistry {
  const entries = new Map<string, { transport: HttpTransport; leases: number }>();
  return {
    lease(name, options) {
      let entry = entries.get(name);
      if (!entry) {
        entry = { transport: createHttpTransport(options), leases: 0 };
        entries.set(name, entry);
      }
      const held = entry;
      held.leases += 1;
      let released = false;
      return {
        request: held.transport.request,
        acquire: (call) => held.transport.acquire(call),
        load: () => held.transport.load(),
        async close() {
          if (released) return;
          released = true;
          held.leases -= 1;
          if (held.leases > 0) return;
          if (entries.get(name) === held) entries.delete(name);
          await held.transport.close();
        },
      };
    },
    async closeAll() {
      const all = [...entries.values()];
      entries.clear();
      await Promise.all(all.map((entry) => entry.transport.close()));
    },
  };
}
