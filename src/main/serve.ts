import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type Controller, createController } from '../app/controller/controller.js';
import { offlineGate } from '../app/controller/offline-gate.js';
import { createGateway, type Gateway } from '../app/gateway/gateway.js';
import { randomUnitFor } from '../app/gateway/recent-requests.js';
import { type ActiveRollout, buildSnapshot, RoutingTable } from '../app/gateway/routing-table.js';
import type { GatewayTelemetry } from '../app/ports/gateway-telemetry.js';
import type { Store } from '../app/ports/store.js';
import type { LoadedProject } from '../config/load-project.js';
import { InFlight } from '../core/async/in-flight.js';
import { KeyedSerial } from '../core/async/keyed-serial.js';
import { BallastError } from '../core/errors.js';
import { candidateFingerprint } from '../core/eval/candidate-fingerprint.js';
import type { ChangeSpec } from '../core/spec/change-schema.js';
import type { ProjectConfig } from '../core/spec/project-schema.js';
import { KeyRing } from '../http/auth.js';
import { FeedbackTokens } from '../http/feedback-token.js';
import { createGatewayServer } from '../http/gateway-server.js';

/** What the gateway's telemetry offers besides recording: /metrics, stats, a final flush. */
export interface TelemetryHandle extends GatewayTelemetry {
  metricsText(): Promise<string>;
  readonly contentType: string;
  stats(): Readonly<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface ServeOptions {
  readonly storeUrl: string;
  /** Overrides ballast.yaml's server.host / server.port (port 0 picks a free one). */
  readonly host?: string;
  readonly port?: number;
  /** Multiplies the sim's waits (tests use 0). */
  readonly simTimeScale?: number;
  /** Replaces the telemetry (tests); default: aggregates flushed to the store, Prometheus, OTLP. */
  readonly telemetry?: (store: Store, project: ProjectConfig) => TelemetryHandle | Promise<TelemetryHandle>;
  /**
   * How long a stop lets requests in flight finish before their connections are cut (default
   * 10 s; tests use less).
   */
  readonly shutdownGraceMs?: number;
  /** Where the server reports unexpected errors; default stderr. */
  readonly logError?: (message: string) => void;
  /** Where each rollout decision is reported as one line; default stderr. */
  readonly logDecision?: (line: string) => void;
}

export interface RunningGateway {
  readonly url: string;
  /** True when no API keys are configured (the server then binds to 127.0.0.1 only). */
  readonly open: boolean;
  /** The host asked for, when it was replaced by 127.0.0.1 because no keys are configured. */
  readonly refusedHost?: string;
  readonly gateway: Gateway;
  readonly routing: RoutingTable;
  readonly store: Store;
  readonly telemetry: TelemetryHandle;
  readonly controller: Controller;
  /** Stops accepting, finishes in-flight requests, flushes telemetry, closes models and store. */
  close(): Promise<void>;
}

/** How long a stop waits for requests in flight before cutting their connections. */
const SHUTDOWN_GRACE_MS = 10_000;
/** After the server closed, how long requests it cut may take to report before telemetry closes. */
const SHUTDOWN_DRAIN_MS = 5_000;
/** While stopping, how often connections that went idle are closed. */
const SHUTDOWN_IDLE_CHECK_MS = 50;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** How often routing rereads the rollouts: the tightest `restore_within`, within 100 ms … 60 s. */
function routingWatchMs(specs: readonly ChangeSpec[]): number {
  const tightest = specs.length === 0 ? 1_000 : Math.min(...specs.map((s) => s.rollout.restore_within));
  return Math.min(60_000, Math.max(100, tightest));
}

/** Running rollouts with their change's route and candidate: what routing starts from. */
export async function activeRollouts(store: Store): Promise<ActiveRollout[]> {
  const running = await store.rollouts.list({ status: 'running' });
  const active: ActiveRollout[] = [];
  for (const r of running) {
    const change = await store.changes.get(r.changeId);
    if (change)
      active.push({
        changeId: change.id,
        route: change.route,
        candidate: change.candidate,
        exposure: r.exposure,
      });
  }
  return active;
}

/**
 * The composition root of `ballast serve`: store, models, telemetry, routing, the gateway use
 * case and its HTTP server, wired once. Resolves when the server is listening.
 */
export async function startGateway(loaded: LoadedProject, options: ServeOptions): Promise<RunningGateway> {
  const project = loaded.project!;
  const [{ openStore }, { createModelRegistry }, { systemClock }] = await Promise.all([
    import('../adapters/store/open-store.js'),
    import('../adapters/providers/model-registry.js'),
    import('../adapters/system-clock.js'),
  ]);
  const store = await openStore(options.storeUrl);
  const closers: (() => Promise<void>)[] = [() => store.close()];
  // Last opened, first closed; one run however many callers ask (a second stop while the first
  // waits on the server must not close the store before telemetry is flushed).
  let closing: Promise<void> | undefined;
  const closeAll = (): Promise<void> => {
    closing ??= (async () => {
      for (const close of [...closers].reverse()) await close().catch(() => undefined);
    })();
    return closing;
  };
  try {
    const models = await createModelRegistry({
      project,
      rootDir: loaded.rootDir,
      clock: systemClock,
      ...(options.simTimeScale === undefined ? {} : { simTimeScale: options.simTimeScale }),
    });
    closers.push(() => models.close());
    const logError = options.logError ?? ((m: string) => process.stderr.write(`ballast serve: ${m}\n`));
    const slowThresholds = new Map<string, number>();
    for (const c of loaded.changes)
      for (const g of c.spec.metrics.guardrails)
        if (g.metric === 'slow_rate' && g.threshold_ms !== undefined)
          slowThresholds.set(c.spec.id, g.threshold_ms);
    const telemetry = options.telemetry
      ? await options.telemetry(store, project)
      : await defaultTelemetry(store, project, systemClock, logError, (id) => slowThresholds.get(id));
    closers.push(() => telemetry.close());
    const secret =
      project.server.feedback_secret ??
      (await store.settings.setIfAbsent('feedback_secret', randomBytes(32).toString('hex')));
    const routing = new RoutingTable(buildSnapshot(project.routes, await activeRollouts(store), 1));
    const specs = new Map(loaded.changes.map((c) => [c.spec.id, c.spec]));
    const controller = createController({
      store,
      specs,
      routes: project.routes,
      routing,
      clock: systemClock,
      nStar: project.server.controller.n_star,
      onDecision: (d) =>
        (options.logDecision ?? ((line: string) => process.stderr.write(`${line}\n`)))(
          `decision ${d.changeId} #${d.seq}: ${d.action} by ${d.actor} (${d.fromStatus ?? '-'} → ${d.toStatus}, ${d.exposure} %): ${d.reasons[0] ?? ''}`,
        ),
      gatePassed: async (changeId, candidate) =>
        offlineGate(
          await store.evalRuns.list({ changeId, limit: 50 }),
          changeId,
          candidate,
          candidateFingerprint(project, loaded.systemPrompts, candidate),
        ),
    });
    await controller.refreshRouting();
    if (project.server.controller.enabled) controller.start(project.server.controller.interval_ms);
    // Decisions written elsewhere (another gateway's controller, the CLI) reach this gateway's
    // routing within the tightest `restore_within` of the project's changes (default 1 s).
    controller.watchRouting(routingWatchMs([...specs.values()]));
    closers.push(() => controller.stop());
    const gateway = createGateway({
      project,
      systemPrompts: loaded.systemPrompts,
      models,
      routing,
      telemetry,
      clock: systemClock,
    });
    const keys = new KeyRing(project.auth.keys);
    const inFlight = new InFlight();
    const server = createGatewayServer({
      inFlight,
      gateway,
      keys,
      tokens: new FeedbackTokens(secret),
      feedback: {
        feedback: store.feedback,
        telemetry,
        lookup: async (id) => {
          const recent = gateway.recent(id);
          if (recent) return recent;
          const logged = await store.requestLog.get(id);
          return logged
            ? {
                route: logged.route,
                changeId: logged.changeId,
                arm: logged.arm,
                variant: logged.servedVariant,
                unit: logged.unit,
                at: logged.at,
              }
            : undefined;
        },
        now: () => systemClock.now(),
        newId: () => `fb_${randomUUID()}`,
        serial: new KeyedSerial(),
      },
      metrics: { text: () => telemetry.metricsText(), contentType: telemetry.contentType },
      ready: async () => {
        const checks: Record<string, unknown> = {
          routing_version: routing.current.version,
          circuits: gateway.circuits(),
          telemetry: telemetry.stats(),
        };
        try {
          await store.changes.list();
          checks.store = 'ok';
          return { ready: true, checks };
        } catch (error) {
          checks.store = `unreachable: ${(error as Error).message}`;
          // Serving does not need the store (routing is in memory, telemetry buffers): still ready.
          return { ready: true, checks };
        }
      },
      models: () => Object.keys(project.routes),
      bodyLimit: project.server.body_limit_bytes,
      feedbackCorsOrigins: project.server.feedback_cors_origins,
      newRequestId: () => randomUUID(),
      // Derived from the request id, so the recent-request ring stores a mark instead of a string.
      randomUnit: randomUnitFor,
      now: () => systemClock.now(),
      logError,
      admin: {
        act: (input) => controller.act(input),
        status: (changeId) => controller.status(changeId),
        decisions: (filter) => store.decisions.list(filter),
      },
    });
    const requestedHost = options.host ?? project.server.host;
    const host = keys.open && !LOOPBACK.has(requestedHost) ? '127.0.0.1' : requestedHost;
    const port = options.port ?? project.server.port;
    await server.listen({ host, port }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE' && error.code !== 'EACCES') throw error;
      throw new BallastError(
        'BALLAST_ERR_IO',
        error.code === 'EADDRINUSE'
          ? `port ${port} on ${host} is in use (another ballast serve?); --port 0 picks a free one`
          : `not allowed to listen on port ${port} on ${host} (ports below 1024 need privileges); choose another --port`,
        { cause: error },
      );
    });
    closers.push(async () => {
      // Requests in flight get a grace period to finish; then any connection still open (a client
      // that stopped reading a stream, say) is cut, so a stop never hangs.
      const force = setTimeout(
        () => server.server.closeAllConnections(),
        options.shutdownGraceMs ?? SHUTDOWN_GRACE_MS,
      );
      force.unref();
      // A keep-alive connection whose last response ends after the stop began would otherwise stay
      // open, idle, until the grace period ends: close those as they go idle.
      const idle = setInterval(() => server.server.closeIdleConnections(), SHUTDOWN_IDLE_CHECK_MS);
      idle.unref();
      await server.close();
      clearTimeout(force);
      clearInterval(idle);
      // A request whose connection was cut reports once its upstream call has stopped, after the
      // server closed: wait for those reports (briefly) so telemetry's last flush holds them.
      let late: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        inFlight.drained(),
        new Promise<void>((resolve) => {
          late = setTimeout(resolve, SHUTDOWN_DRAIN_MS);
          late.unref();
        }),
      ]);
      clearTimeout(late);
    });
    const address = server.server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return {
      url: `http://${shownHost}:${address.port}`,
      open: keys.open,
      ...(host !== requestedHost ? { refusedHost: requestedHost } : {}),
      gateway,
      routing,
      store,
      telemetry,
      controller,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function defaultTelemetry(
  store: Store,
  project: ProjectConfig,
  clock: { now(): number },
  logError: (message: string) => void,
  slowThresholdMs: (changeId: string) => number | undefined,
): Promise<TelemetryHandle> {
  const { createGatewayTelemetry } = await import('../adapters/telemetry/create-gateway-telemetry.js');
  const handle = createGatewayTelemetry({
    store,
    server: project.server,
    clock,
    variantModel: (variant) => project.variants[variant]?.model,
    slowThresholdMs,
    onError: (error) => logError(`telemetry: ${(error as Error)?.message ?? String(error)}`),
  });
  return {
    record: (r) => handle.record(r),
    recordFeedback: (f) => handle.recordFeedback(f),
    metricsText: () => handle.metricsText(),
    contentType: handle.contentType,
    stats: () => ({ ...handle.stats() }),
    close: () => handle.close(),
  };
}
