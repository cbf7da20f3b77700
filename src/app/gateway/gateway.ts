import { applyGuardrails, type GuardrailRule } from '../../core/guardrail/check-text.js';
import { checkToolCalls } from '../../core/guardrail/check-tool-calls.js';
import { applyVariant } from '../../core/provider/apply-variant.js';
import type {
  ChatMessage,
  ChatParams,
  ChatRequest,
  ChatResult,
  StreamEvent,
} from '../../core/provider/chat.js';
import type { ProjectConfig, VariantConfig } from '../../core/spec/project-schema.js';
import type { Clock } from '../ports/clock.js';
import type { AttemptRecord, GatewayTelemetry, RequestOutcome } from '../ports/gateway-telemetry.js';
import type { ModelRegistry } from '../ports/model-registry.js';
import { CallScope, type ClientSignal } from './call-scope.js';
import { chainOutcome, failedAttempt } from './chain-attempts.js';
import { type BreakerPermit, type CircuitBreaker, createCircuitBreaker } from './circuit-breaker.js';
import { type GatewayError, guardrailBlocked } from './gateway-errors.js';
import { guardedResult } from './guarded-result.js';
import { type GatewayRequest, planRequest, type Served } from './plan-request.js';
import { RecentRequests, type RequestSummary } from './recent-requests.js';
import { createReporter } from './report-request.js';
import type { RoutingTable } from './routing-table.js';
import { type GatewayStreamEvent, streamRest } from './stream-rest.js';

export { CancelSource, type ClientSignal, signalOf } from './call-scope.js';
export type { GatewayRequest, Served } from './plan-request.js';
export type { GatewayStreamEvent } from './stream-rest.js';

export type CompleteOutcome =
  | { readonly ok: true; readonly served: Served; readonly result: ChatResult }
  | { readonly ok: false; readonly served: Served | null; readonly error: GatewayError };

export type StreamOpen =
  | {
      readonly ok: true;
      readonly served: Served;
      /** The model that is answering, as the provider named it (or the variant's model until it says). */
      readonly model: string;
      /** The rest of the answer; the first event is the first content. Ends with `done` or `error`. */
      readonly events: AsyncGenerator<GatewayStreamEvent, void, undefined>;
    }
  | { readonly ok: false; readonly served: Served | null; readonly error: GatewayError };

export interface GatewayDeps {
  readonly project: ProjectConfig;
  /** Each variant's system prompt text (files already read). */
  readonly systemPrompts: Readonly<Record<string, string | undefined>>;
  readonly models: ModelRegistry;
  readonly routing: RoutingTable;
  readonly telemetry: GatewayTelemetry;
  readonly clock: Clock;
}

export interface Gateway {
  complete(request: GatewayRequest, client: ClientSignal): Promise<CompleteOutcome>;
  openStream(request: GatewayRequest, client: ClientSignal): Promise<StreamOpen>;
  /** A request served lately (for feedback sent with an API key). */
  recent(requestId: string): RequestSummary | undefined;
  /** Circuit state per variant, for /readyz and status. */
  circuits(): Record<string, string>;
}

/**
 * The gateway's use case (issue #5): picks the variant for a request from the routing snapshot,
 * runs the input guardrails, calls the variant's model with its time limits and circuit
 * breaker, falls back invisibly while nothing has been sent, checks the output (as it streams),
 * and reports one RequestRecord per request to telemetry.
 */
export function createGateway(deps: GatewayDeps): Gateway {
  const { project, clock, telemetry } = deps;
  const breakers = new Map<string, CircuitBreaker>();
  const recent = new RecentRequests(project.server.recent_requests);
  const logContent = project.server.request_log.log_content;
  const monotonic = () => clock.monotonic();

  const variantOf = (name: string): VariantConfig => project.variants[name] as VariantConfig;
  const breakerOf = (name: string): CircuitBreaker => {
    let b = breakers.get(name);
    if (!b) {
      b = createCircuitBreaker(variantOf(name).circuit_breaker, monotonic);
      breakers.set(name, b);
    }
    return b;
  };
  const rulesOf = (variant: string, side: 'input' | 'output'): readonly GuardrailRule[] => {
    const policy = variantOf(variant).guardrails;
    return policy ? ((project.guardrails[policy]?.[side] ?? []) as readonly GuardrailRule[]) : [];
  };

  const plan = (request: GatewayRequest) =>
    planRequest(request, { project, routing: deps.routing, variantOf, rulesOf });

  const chatRequest = (variant: string, messages: readonly ChatMessage[], params: ChatParams, id: string) =>
    applyVariant(variantOf(variant), deps.systemPrompts[variant], messages, params, {
      labels: { request_id: id, variant },
    }) as ChatRequest;

  const report = createReporter({ telemetry, recent, logContent, monotonic });

  /** Reports a request that ends without an answer and returns its outcome for the HTTP layer. */
  const fail = (
    request: GatewayRequest,
    at: number,
    startedAt: number,
    stream: boolean,
    served: Served | null,
    error: GatewayError,
    attempts: readonly AttemptRecord[],
    guardrailHits: number,
    outcome: RequestOutcome = error.kind === 'guardrail_blocked' ? 'blocked' : 'error',
    /** The variant the answer names (`x-ballast-variant`), when it is not the one reported. */
    answeredAs: Served | null = served,
  ): { ok: false; served: Served | null; error: GatewayError } => {
    report(request, at, startedAt, {
      served,
      status: error.status,
      outcome,
      errorKind: error.kind,
      stream,
      ttftMs: null,
      attempts,
      guardrailHits,
    });
    return { ok: false, served: answeredAs, error };
  };

  /**
   * Reports a request whose every attempt failed (or was skipped by its breaker): telemetry charges
   * it to the chain's last attempt (`served`), the answer names the variant chainOutcome picks.
   */
  const failChain = (
    request: GatewayRequest,
    at: number,
    startedAt: number,
    stream: boolean,
    chain: {
      served: Served;
      assigned: Served;
      failures: readonly GatewayError[];
      failedAs: readonly Served[];
      skipped: readonly string[];
      attempts: readonly AttemptRecord[];
      inputHits: number;
    },
  ) => {
    const chained = chainOutcome(chain.failures, chain.failedAs, chain.skipped, chain.assigned);
    return fail(
      request,
      at,
      startedAt,
      stream,
      chain.served,
      chained.error,
      chain.attempts,
      chain.inputHits,
      undefined,
      chained.served,
    );
  };

  /**
   * The variant's breaker's permit for a call, through which the call reports how it ended; a
   * variant its breaker skips is recorded as circuit_open.
   */
  const admitted = (
    variant: string,
    attempts: AttemptRecord[],
    skipped: string[],
  ): BreakerPermit | undefined => {
    const permit = breakerOf(variant).allow();
    if (permit) return permit;
    attempts.push({ variant, ok: false, kind: 'circuit_open', latencyMs: 0 });
    skipped.push(variant);
    return undefined;
  };

  return {
    recent: (id) => recent.get(id),
    circuits: () => Object.fromEntries([...breakers].map(([name, b]) => [name, b.state()])),

    async complete(request, client) {
      const at = clock.now();
      const startedAt = monotonic();
      const planned = plan(request);
      if (!planned.ok) {
        const { served, inputHits } = planned;
        return fail(request, at, startedAt, false, served, planned.error, [], inputHits);
      }
      const { chain, messages, inputHits } = planned.plan;
      let served = planned.plan.served;
      const attempts: AttemptRecord[] = [];
      const failures: GatewayError[] = [];
      const failedAs: Served[] = [];
      const skipped: string[] = [];
      for (const variant of chain) {
        // Telemetry charges a request's end to its last attempt, a skipped one included.
        served = { ...served, variant };
        const breaker = admitted(variant, attempts, skipped);
        if (!breaker) continue;
        const limits = variantOf(variant).timeouts;
        // Not streaming, the first content is the whole answer: one timer, the tighter of the
        // first-token and total limits.
        const firstIsTighter = limits.first_token_ms <= limits.total_ms;
        const scope = new CallScope(client, firstIsTighter ? undefined : limits.total_ms);
        if (firstIsTighter) scope.phase('first_token', limits.first_token_ms);
        const t0 = monotonic();
        const outcome = await deps.models
          .forVariant(variant)
          .complete(chatRequest(variant, messages, request.params, request.requestId), {
            signal: scope.signal,
          });
        scope.dispose();
        const latencyMs = monotonic() - t0;
        if (outcome.ok) {
          breaker.success();
          attempts.push({ variant, ok: true, latencyMs });
          const rules = rulesOf(variant, 'output');
          const checked = rules.length > 0 ? applyGuardrails(outcome.result.text, rules) : undefined;
          const calls = outcome.result.toolCalls;
          const tools = checked && calls && calls.length > 0 ? checkToolCalls(calls, rules) : undefined;
          const findings = [...(checked?.findings ?? []), ...(tools?.findings ?? [])];
          const hits = inputHits + findings.length;
          if (checked?.blocked || tools?.blocked) {
            const error = guardrailBlocked('output', [
              ...new Set(findings.filter((f) => f.action === 'block').map((f) => f.check)),
            ]);
            report(request, at, startedAt, {
              served,
              status: error.status,
              outcome: 'blocked',
              errorKind: error.kind,
              stream: false,
              ttftMs: null,
              result: outcome.result,
              attempts,
              guardrailHits: hits,
            });
            return { ok: false, served, error };
          }
          const result = checked ? guardedResult(outcome.result, checked, tools) : outcome.result;
          report(request, at, startedAt, {
            served,
            status: 200,
            outcome: 'ok',
            errorKind: null,
            stream: false,
            ttftMs: null,
            result,
            attempts,
            guardrailHits: hits,
            output: result.text,
          });
          return { ok: true, served, result };
        }
        const failed = failedAttempt(
          { client, scope, attempts, variant, breaker },
          latencyMs,
          outcome.failure,
        );
        if (failed.cancelled)
          return fail(request, at, startedAt, false, served, failed.error, attempts, inputHits, 'cancelled');
        failures.push(failed.error);
        failedAs.push(served);
        if (!failed.fallsBack) break;
      }
      return failChain(request, at, startedAt, false, {
        served,
        assigned: planned.plan.served,
        failures,
        failedAs,
        skipped,
        attempts,
        inputHits,
      });
    },

    async openStream(request, client) {
      const at = clock.now();
      const startedAt = monotonic();
      const planned = plan(request);
      if (!planned.ok) {
        const { served, inputHits } = planned;
        return fail(request, at, startedAt, true, served, planned.error, [], inputHits);
      }
      const { chain, messages, inputHits } = planned.plan;
      let served = planned.plan.served;
      const attempts: AttemptRecord[] = [];
      const failures: GatewayError[] = [];
      const failedAs: Served[] = [];
      const skipped: string[] = [];
      for (const variant of chain) {
        // Telemetry charges a request's end to its last attempt, a skipped one included.
        served = { ...served, variant };
        const breaker = admitted(variant, attempts, skipped);
        if (!breaker) continue;
        const limits = variantOf(variant).timeouts;
        const scope = new CallScope(client, limits.total_ms);
        scope.phase('first_token', limits.first_token_ms);
        const t0 = monotonic();
        const iterator = deps.models
          .forVariant(variant)
          .stream(chatRequest(variant, messages, request.params, request.requestId), {
            signal: scope.signal,
            // Any bytes from the upstream after content started (a ping, reasoning, the usage
            // chunk) end a silence, not only the content the client is sent.
            onActivity: () => scope.activity(limits.idle_ms),
          })
          [Symbol.asyncIterator]();
        // Before the first content nothing has reached the client: a failure here falls back.
        let first: StreamEvent | undefined;
        for (;;) {
          const next = await iterator.next();
          if (next.done) break;
          if (next.value.type === 'delta' && next.value.text === '') continue;
          first = next.value;
          break;
        }
        const latencyMs = monotonic() - t0;
        if (first === undefined || first.type === 'error') {
          scope.dispose();
          await iterator.return?.(undefined);
          const failed = failedAttempt(
            { client, scope, attempts, variant, breaker },
            latencyMs,
            first?.type === 'error'
              ? first.failure
              : { kind: 'upstream', message: 'the stream ended without an answer' },
          );
          if (failed.cancelled)
            return fail(request, at, startedAt, true, served, failed.error, attempts, inputHits, 'cancelled');
          failures.push(failed.error);
          failedAs.push(served);
          if (!failed.fallsBack) break;
          continue;
        }
        // Content (or a complete empty answer) arrived: this variant serves the request. Its time
        // to first token is when the first piece goes to the client (after the output checks'
        // hold-back); an answer that sends none has none.
        let ttftMs: number | null = null;
        const servedNow = served;
        // The model the upstream named, when it did before its first piece: every chunk says it.
        const model = (first.type === 'done' ? first.result.model : first.model) || variantOf(variant).model;
        const events = streamRest({
          first,
          iterator,
          scope,
          onFirstContent: () => {
            ttftMs = monotonic() - startedAt;
          },
          idleMs: limits.idle_ms,
          rules: rulesOf(variant, 'output'),
          model,
          finish: (outcome, fields) => {
            const ok = outcome === 'ok';
            if (ok) breaker.success();
            else if (outcome === 'stream_interrupted') breaker.failure();
            else breaker.release();
            attempts.push({
              variant,
              ok: ok || outcome === 'blocked',
              ...(outcome === 'stream_interrupted' ? { kind: fields.kind ?? 'upstream' } : {}),
              ...(outcome === 'cancelled' ? { kind: 'cancelled' as const } : {}),
              latencyMs: monotonic() - t0,
            });
            report(request, at, startedAt, {
              served: servedNow,
              status: 200,
              outcome,
              errorKind:
                outcome === 'blocked'
                  ? 'guardrail_blocked'
                  : outcome === 'ok'
                    ? null
                    : (fields.kind ?? (outcome === 'cancelled' ? 'cancelled' : 'upstream')),
              stream: true,
              ttftMs,
              result: fields.result,
              attempts,
              guardrailHits: inputHits + fields.hits,
              ...(fields.output !== undefined ? { output: fields.output } : {}),
            });
          },
        });
        return { ok: true, served: servedNow, model, events };
      }
      return failChain(request, at, startedAt, true, {
        served,
        assigned: planned.plan.served,
        failures,
        failedAs,
        skipped,
        attempts,
        inputHits,
      });
    },
  };
}
