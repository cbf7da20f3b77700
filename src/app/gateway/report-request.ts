import { applyGuardrails, type GuardrailRule } from '../../core/guardrail/check-text.js';
import type { ChatResult } from '../../core/provider/chat.js';
import type { AttemptRecord, GatewayTelemetry, RequestOutcome } from '../ports/gateway-telemetry.js';
import type { GatewayError } from './gateway-errors.js';
import type { GatewayRequest, Served } from './plan-request.js';
import type { RecentRequests } from './recent-requests.js';

/** The variant a request for an unknown model is recorded under (docs/telemetry.md). */
export const UNKNOWN_MODEL = '(unknown)';

const PII_REDACT: readonly GuardrailRule[] = [{ check: 'pii', action: 'redact' }];

export interface ReporterDeps {
  readonly telemetry: GatewayTelemetry;
  readonly recent: RecentRequests;
  /** server.request_log.log_content: keep the messages and the output (PII redacted). */
  readonly logContent: boolean;
  readonly monotonic: () => number;
}

export type ReportFields = {
  served: Served | null;
  status: number;
  outcome: RequestOutcome;
  errorKind: GatewayError['kind'] | null;
  stream: boolean;
  ttftMs: number | null;
  result?: ChatResult | undefined;
  attempts: readonly AttemptRecord[];
  guardrailHits: number;
  output?: string;
};

/**
 * The gateway's one report per request: remembers a served request for feedback, and hands
 * telemetry its RequestRecord (latency from `startedAt` on the monotonic clock).
 */
export function createReporter(deps: ReporterDeps) {
  const { telemetry, recent, logContent, monotonic } = deps;
  return (request: GatewayRequest, at: number, startedAt: number, fields: ReportFields): void => {
    const served = fields.served;
    if (served && fields.outcome !== 'error')
      recent.add(request.requestId, {
        route: served.route,
        changeId: served.changeId,
        arm: served.arm,
        variant: served.variant,
        unit: request.unit,
        at,
      });
    const errorKind =
      fields.errorKind === 'not_found' || fields.errorKind === 'invalid_request' ? null : fields.errorKind;
    telemetry.record({
      requestId: request.requestId,
      at,
      route: served?.route ?? null,
      changeId: served?.changeId ?? null,
      arm: served?.arm ?? null,
      unit: request.unit,
      unitSource: request.unitSource,
      // A model name no route or variant has: one label for all of them, so what clients write
      // cannot add metric rows and Prometheus series without bound.
      assignedVariant: served?.assignedVariant ?? UNKNOWN_MODEL,
      servedVariant: served?.variant ?? UNKNOWN_MODEL,
      model: fields.result?.model ?? null,
      stream: fields.stream,
      status: fields.status,
      outcome: fields.outcome,
      errorKind,
      latencyMs: monotonic() - startedAt,
      ttftMs: fields.ttftMs,
      inputTokens: fields.result?.usage.inputTokens ?? 0,
      outputTokens: fields.result?.usage.outputTokens ?? 0,
      costUsd: fields.result?.costUsd ?? 0,
      guardrailHits: fields.guardrailHits,
      attempts: fields.attempts,
      ...(logContent && fields.output !== undefined
        ? {
            content: {
              messages: request.messages.map((m) =>
                typeof m.content === 'string'
                  ? { ...m, content: applyGuardrails(m.content, PII_REDACT).text }
                  : m,
              ),
              output: applyGuardrails(fields.output, PII_REDACT).text,
            },
          }
        : {}),
    });
  };
}
