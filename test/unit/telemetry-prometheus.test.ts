import fc from 'fast-check';
import { Counter, Histogram, Registry } from 'prom-client';
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

  it("prints what prom-client's own Counter and Histogram print for the same requests", async () => {
    // The adapter adds up between scrapes and hands prom-client the sums (and keeps its own
    // histogram buckets); the exposition must not tell the difference, bucket bounds included.
    const onBound = fc.constantFrom(25, 50, 100, 250, 500, 1_000, 2_500, 60_000, 120_000);
    const record = fc.record({
      route: fc.constantFrom('support', null),
      served: fc.constantFrom('baseline', 'cand'),
      stream: fc.boolean(),
      latencyMs: fc.oneof(onBound, fc.double({ min: 0, max: 200_000, noNaN: true })),
      ttftMs: fc.option(fc.oneof(onBound, fc.double({ min: 0, max: 20_000, noNaN: true }))),
      outputTokens: fc.nat(2_000),
      costUsd: fc.constantFrom(0, 0.25, 0.001, 1e-7),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(record, { maxLength: 40 }), fc.nat(40), async (records, scrapeAt) => {
        const prom = new PrometheusTelemetry({ defaultMetrics: false });
        const registry = new Registry();
        const rv = ['route', 'variant'];
        const histogram = (name: string, help: string, buckets: number[]) =>
          new Histogram({ name, help, labelNames: rv, buckets, registers: [registry] });
        const duration = histogram(
          'ballast_request_duration_seconds',
          'Arrival to last byte, by served variant',
          [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120],
        );
        const ttft = histogram(
          'ballast_ttft_seconds',
          'Arrival to first content byte of streamed requests, by served variant',
          [0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2.5, 5, 10],
        );
        const tokens = new Counter({ name: 't', help: 't', labelNames: [...rv, 'direction'], registers: [] });
        const cost = new Counter({ name: 'c', help: 'c', labelNames: rv, registers: [] });
        for (const [i, r] of records.entries()) {
          // A scrape half-way: what was summed so far is handed over once, never twice.
          if (i === scrapeAt) await prom.metricsText();
          const route = r.route ?? '(direct)';
          prom.record(
            requestRecord({
              route: r.route,
              servedVariant: r.served,
              stream: r.stream,
              latencyMs: r.latencyMs,
              ttftMs: r.ttftMs,
              outputTokens: r.outputTokens,
              inputTokens: 0,
              costUsd: r.costUsd,
            }),
          );
          duration.observe({ route, variant: r.served }, r.latencyMs / 1000);
          if (r.stream && r.ttftMs !== null) ttft.observe({ route, variant: r.served }, r.ttftMs / 1000);
          if (r.outputTokens > 0)
            tokens.inc({ route, variant: r.served, direction: 'output' }, r.outputTokens);
          if (r.costUsd > 0) cost.inc({ route, variant: r.served }, r.costUsd);
        }
        const expectedText = await registry.metrics();
        const text = await prom.metricsText();
        const lines = (t: string, prefix: string) =>
          t
            .split('\n')
            .filter((l) => l.startsWith(prefix))
            .sort();
        for (const name of ['ballast_request_duration_seconds', 'ballast_ttft_seconds'])
          expect(lines(text, name)).toEqual(lines(expectedText, name));
        for (const { values } of [await tokens.get(), await cost.get()])
          for (const v of values) {
            const name = 'direction' in v.labels ? 'ballast_tokens_total' : 'ballast_cost_usd_total';
            const labels = Object.entries(v.labels)
              .map(([k, x]) => `${k}="${x}"`)
              .join(',');
            expect(sample(text, `${name}{${labels}}`)).toBeCloseTo(v.value, 9);
          }
      }),
      { numRuns: 150 },
    );
  });
});
