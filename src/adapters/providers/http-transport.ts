import type { Dispatcher } from 'undici';
import undiciRequest from 'undici/lib/api/api-request.js';
// Only the two parts of undici Ballast uses: its index loads every dispatcher, fetch, WebSocket,
// the mocks and the caches, which cost ≈ 80 ms of start-up for nothing (see undici-parts.d.ts).
import Agent from 'undici/lib/dispatcher/agent.js';
import { CallSlots, type ReleaseSlot, type Stoppable } from '../../core/async/call-slots.js';

export interface HttpTransportOptions {
  /** Calls in flight at once; further calls wait for a slot (time that is never counted as latency). */
  readonly maxConcurrency: number;
  /** How long an idle keep-alive socket stays open (default 10 s). */
  readonly keepAliveMs?: number;
  /** Longest wait for a TCP (and TLS) connection to open (default 10 s, undici's own default). */
  readonly connectTimeoutMs?: number;
}

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
