import { describe, expect, it } from 'vitest';
import { PrometheusTelemetry } from '../../src/adapters/telemetry/prometheus.js';
import { feedbackRecord, requestRecord } from '../support/telemetry-records.js';

/** The value of one sample line, found by its exact name and label set as prom-client prints them. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('PrometheusTelemetry', () => {
  it('exports request, error, fallback, token, cost, guardrail, latency and ttft series', async () => {
    const prom = new PrometheusTelemetry();
    prom.record(requestRecord({ latencyMs: 300, guardrailHits: 1, costUsd: 0.25 }));
    prom.record(
      requestRecord({
        assignedVariant: 'cand',
        servedVariant: 'baseline',
        stream: true,
        ttftMs: 80,
        latencyMs: 1_500,
        inputTokens: 10,
        outputTokens: 5,
        costUsd: 0.5,
        attempts: [
          { variant: 'cand', ok: false, kind: 'timeout', latencyMs: 1_000 },
          { variant: 'baseline', ok: true, latencyMs: 400 },
        ],
      }),
    );
    prom.record(
      requestRecord({
        route: null,
        servedVariant: 'cand',
        outcome: 'error',
        status: 502,
        errorKind: 'upstream',
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
        attempts: [
          { variant: 'baseline', ok: false, kind: 'circuit_open', latencyMs: 0 },
          { variant: 'cand', ok: false, kind: 'upstream', latencyMs: 20 },
        ],
      }),
    );
    prom.record(requestRecord({ outcome: 'blocked', status: 400, errorKind: 'guardrail_blocked' }));
    prom.recordFeedback(feedbackRecord({ value: 1 }));
    prom.recordFeedback(feedbackRecord({ value: 0.2 }));
    prom.recordFeedback(feedbackRecord({ value: 0 }));
    prom.droppedRows(3);
    prom.flushFailure();

    const text = await prom.metricsText();
    const s = (series: string) => sample(text, series);
    expect(s('ballast_requests_total{route="support",variant="baseline",outcome="ok"}')).toBe(2);
    expect(s('ballast_requests_total{route="support",variant="baseline",outcome="blocked"}')).toBe(1);
    expect(s('ballast_requests_total{route="(direct)",variant="cand",outcome="error"}')).toBe(1);
    expect(s('ballast_request_errors_total{route="support",variant="cand",kind="timeout"}')).toBe(1);
    expect(s('ballast_request_errors_total{route="(direct)",variant="cand",kind="upstream"}')).toBe(1);
    expect(s('ballast_request_errors_total{route="(direct)",variant="baseline",kind="circuit_open"}')).toBe(
      1,
    );
    expect(text).not.toContain('kind="guardrail_blocked"');
    expect(s('ballast_fallbacks_total{route="support",variant="cand"}')).toBe(1);
    expect(s('ballast_fallbacks_total{route="(direct)",variant="baseline"}')).toBe(1);
    expect(s('ballast_tokens_total{route="support",variant="baseline",direction="input"}')).toBe(250);
    expect(s('ballast_tokens_total{route="support",variant="baseline",direction="output"}')).toBe(695);
    expect(s('ballast_cost_usd_total{route="support",variant="baseline"}')).toBeCloseTo(
      0.75 + 0.000_412_5,
      9,
    );
    expect(s('ballast_guardrail_hits_total{route="support",variant="baseline"}')).toBe(1);
    expect(s('ballast_request_duration_seconds_count{route="support",variant="baseline"}')).toBe(3);
    expect(s('ballast_request_duration_seconds_sum{route="support",variant="baseline"}')).toBeCloseTo(
      0.3 + 1.5 + 0.81225,
      9,
    );
    expect(s('ballast_request_duration_seconds_bucket{le="0.5",route="support",variant="baseline"}')).toBe(1);
    expect(s('ballast_ttft_seconds_count{route="support",variant="baseline"}')).toBe(1);
    expect(s('ballast_ttft_seconds_bucket{le="0.1",route="support",variant="baseline"}')).toBe(1);
    expect(s('ballast_feedback_total{route="support",variant="baseline",sentiment="positive"}')).toBe(1);
    expect(s('ballast_feedback_total{route="support",variant="baseline",sentiment="negative"}')).toBe(2);
    expect(s('ballast_telemetry_dropped_rows_total')).toBe(3);
    expect(s('ballast_telemetry_flush_failures_total')).toBe(1);
    // prom-client's default process metrics, on this registry.
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(prom.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('keeps each instance on its own registry', async () => {
    const a = new PrometheusTelemetry({ defaultMetrics: false });
    const b = new PrometheusTelemetry({ defaultMetrics: false });
    a.record(requestRecord());
    expect(
      sample(
        await a.metricsText(),
        'ballast_requests_total{route="support",variant="baseline",outcome="ok"}',
      ),
    ).toBe(1);
    expect(await b.metricsText()).not.toContain('outcome="ok"');
    expect(await b.metricsText()).not.toContain('process_cpu');
  });
});
