import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { FeedbackRecord, RequestOutcome, RequestRecord } from '../../app/ports/gateway-telemetry.js';
import { DIRECT_ROUTE } from './metric-aggregator.js';

/**
 * Seconds. LLM calls run from tens of milliseconds (cache hits, small models) to minutes (long
 * generations), so the buckets are roughly geometric over that range.
 */
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120];
const TTFT_BUCKETS = [0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2.5, 5, 10];

type CounterChild = Counter.Internal;
type HistogramChild = Histogram.Internal<string>;

/** The labelled children of one route × variant, resolved once and reused for every request. */
interface Children {
  readonly duration: HistogramChild;
  readonly ttft: HistogramChild;
  readonly inputTokens: CounterChild;
  readonly outputTokens: CounterChild;
  readonly cost: CounterChild;
  readonly guardrailHits: CounterChild;
  readonly fallbacks: CounterChild;
  readonly outcomes: Map<string, CounterChild>;
  readonly errors: Map<string, CounterChild>;
  readonly feedback: Map<string, CounterChild>;
}

export interface PrometheusTelemetryOptions {
  /** Also export prom-client's process and Node.js metrics (default true). */
  readonly defaultMetrics?: boolean;
}

/**
 * The gateway's Prometheus series on a registry of its own (never prom-client's global one, so two
 * gateways in one process, or tests, never share counters). Label values are route and variant
 * names from ballast.yaml plus small fixed sets (outcome, failure kind, direction, sentiment), so
 * the number of series stays bounded whatever the traffic.
 */
export class PrometheusTelemetry {
  readonly registry = new Registry();
  private readonly children = new Map<string, Children>();
  private readonly requests: Counter<'route' | 'variant' | 'outcome'>;
  private readonly errors: Counter<'route' | 'variant' | 'kind'>;
  private readonly duration: Histogram<'route' | 'variant'>;
  private readonly ttft: Histogram<'route' | 'variant'>;
  private readonly tokens: Counter<'route' | 'variant' | 'direction'>;
  private readonly cost: Counter<'route' | 'variant'>;
  private readonly guardrailHits: Counter<'route' | 'variant'>;
  private readonly fallbacks: Counter<'route' | 'variant'>;
  private readonly feedback: Counter<'route' | 'variant' | 'sentiment'>;
  private readonly dropped: Counter;
  private readonly flushFailures: Counter;

  constructor(options: PrometheusTelemetryOptions = {}) {
    const registers = [this.registry];
    const rv = ['route', 'variant'] as const;
    this.requests = new Counter({
      name: 'ballast_requests_total',
      help: 'Requests answered by the gateway, by the variant that served them and how they ended',
      labelNames: [...rv, 'outcome'],
      registers,
    });
    this.errors = new Counter({
      name: 'ballast_request_errors_total',
      help: 'Failed calls per variant: each attempt that fell back, and each request that ended in an error',
      labelNames: [...rv, 'kind'],
      registers,
    });
    this.duration = new Histogram({
      name: 'ballast_request_duration_seconds',
      help: 'Arrival to last byte, by served variant',
      labelNames: rv,
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.ttft = new Histogram({
      name: 'ballast_ttft_seconds',
      help: 'Arrival to first content byte of streamed requests, by served variant',
      labelNames: rv,
      buckets: TTFT_BUCKETS,
      registers,
    });
    this.tokens = new Counter({
      name: 'ballast_tokens_total',
      help: 'Tokens billed, by direction (input or output)',
      labelNames: [...rv, 'direction'],
      registers,
    });
    this.cost = new Counter({
      name: 'ballast_cost_usd_total',
      help: 'Estimated cost in US dollars',
      labelNames: rv,
      registers,
    });
    this.guardrailHits = new Counter({
      name: 'ballast_guardrail_hits_total',
      help: 'Guardrail findings acted on (block, redact or flag)',
      labelNames: rv,
      registers,
    });
    this.fallbacks = new Counter({
      name: 'ballast_fallbacks_total',
      help: 'Fallbacks away from a variant (it failed, or its circuit was open)',
      labelNames: rv,
      registers,
    });
    this.feedback = new Counter({
      name: 'ballast_feedback_total',
      help: 'User feedback, negative when the value is below 0.5',
      labelNames: [...rv, 'sentiment'],
      registers,
    });
    this.dropped = new Counter({
      name: 'ballast_telemetry_dropped_rows_total',
      help: 'Telemetry rows dropped because server.max_pending_rows were waiting for the store',
      registers,
    });
    this.flushFailures = new Counter({
      name: 'ballast_telemetry_flush_failures_total',
      help: 'Telemetry writes to the store that failed (their rows are retried)',
      registers,
    });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  record(r: RequestRecord): void {
    const route = r.route ?? DIRECT_ROUTE;
    const { attempts } = r;
    for (let i = 0; i < attempts.length - 1; i++) {
      const attempt = attempts[i] as (typeof attempts)[number];
      const c = this.childrenOf(route, attempt.variant);
      c.fallbacks.inc();
      labelled(c.errors, attempt.kind ?? 'unknown', () =>
        this.errors.labels(route, attempt.variant, attempt.kind ?? 'unknown'),
      ).inc();
    }
    const variant = r.servedVariant;
    const c = this.childrenOf(route, variant);
    labelled(c.outcomes, r.outcome, () => this.requests.labels(route, variant, r.outcome)).inc();
    if (isError(r.outcome)) {
      const kind = r.errorKind ?? r.outcome;
      labelled(c.errors, kind, () => this.errors.labels(route, variant, kind)).inc();
    }
    c.duration.observe(r.latencyMs / 1000);
    if (r.stream && r.ttftMs !== null) c.ttft.observe(r.ttftMs / 1000);
    if (r.inputTokens > 0) c.inputTokens.inc(r.inputTokens);
    if (r.outputTokens > 0) c.outputTokens.inc(r.outputTokens);
    if (r.costUsd > 0) c.cost.inc(r.costUsd);
    if (r.guardrailHits > 0) c.guardrailHits.inc(r.guardrailHits);
  }

  recordFeedback(f: FeedbackRecord): void {
    const route = f.route ?? DIRECT_ROUTE;
    const sentiment = f.value < 0.5 ? 'negative' : 'positive';
    const c = this.childrenOf(route, f.variant);
    labelled(c.feedback, sentiment, () => this.feedback.labels(route, f.variant, sentiment)).inc();
  }

  droppedRows(rows: number): void {
    this.dropped.inc(rows);
  }

  flushFailure(): void {
    this.flushFailures.inc();
  }

  metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  private childrenOf(route: string, variant: string): Children {
    const key = `${route}\0${variant}`;
    let c = this.children.get(key);
    if (!c) {
      c = {
        duration: this.duration.labels(route, variant),
        ttft: this.ttft.labels(route, variant),
        inputTokens: this.tokens.labels(route, variant, 'input'),
        outputTokens: this.tokens.labels(route, variant, 'output'),
        cost: this.cost.labels(route, variant),
        guardrailHits: this.guardrailHits.labels(route, variant),
        fallbacks: this.fallbacks.labels(route, variant),
        outcomes: new Map(),
        errors: new Map(),
        feedback: new Map(),
      };
      this.children.set(key, c);
    }
    return c;
  }
}

function isError(outcome: RequestOutcome): boolean {
  return outcome === 'error' || outcome === 'stream_interrupted';
}

function labelled(cache: Map<string, CounterChild>, key: string, create: () => CounterChild): CounterChild {
  let child = cache.get(key);
  if (!child) {
    child = create();
    cache.set(key, child);
  }
  return child;
}
