import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/adapters/store/open-store.js';
import { MetricAggregator } from '../../../src/adapters/telemetry/metric-aggregator.js';
import { UnitTotalsAggregator } from '../../../src/adapters/telemetry/unit-totals-aggregator.js';
import { submitFeedback } from '../../../src/app/gateway/submit-feedback.js';
import type { FeedbackRecord } from '../../../src/app/ports/gateway-telemetry.js';
import { KeyedSerial } from '../../../src/core/async/keyed-serial.js';

const T = 1_760_000_000_000;

describe('submitFeedback', () => {
  it('votes in one millisecond, or under a clock that stepped back, replace each other in order', async () => {
    const store = await openStore('sqlite::memory:');
    try {
      const buckets = new MetricAggregator({ maxRows: 100 });
      const units = new UnitTotalsAggregator({ maxRows: 100 });
      // Ids that sort against the order of arrival; times: a double click, then a clock step back.
      const ids = ['fb_c', 'fb_b', 'fb_a'];
      const times = [T, T, T - 5_000];
      let i = 0;
      const deps = {
        feedback: store.feedback,
        telemetry: {
          record() {},
          recordFeedback: (f: FeedbackRecord) => {
            buckets.addFeedback(f);
            units.addFeedback(f);
          },
        },
        lookup: async () => ({
          route: 'chat',
          changeId: 'ch1',
          arm: 'candidate' as const,
          variant: 'cand',
          unit: 'alice',
          at: T,
        }),
        now: () => times[i]!,
        newId: () => ids[i]!,
        serial: new KeyedSerial(),
      };
      const replaced: (string | null)[] = [];
      for (const value of ['up', 'down', 'up'] as const) {
        const out = await submitFeedback(deps, { requestId: 'r1', value });
        if (out.ok) replaced.push(out.replaces);
        i++;
      }
      expect(replaced).toEqual([null, 'fb_c', 'fb_b']);
      const total = buckets.drain().reduce(
        (sum, r) => ({
          n: sum.n + r.feedbackCount,
          up: sum.up + r.feedbackPositive,
          down: sum.down + r.feedbackNegative,
        }),
        { n: 0, up: 0, down: 0 },
      );
      expect(total).toEqual({ n: 1, up: 1, down: 0 });
      expect(units.drain(T)[0]).toMatchObject({ feedbackCount: 1, feedbackPositive: 1, feedbackNegative: 0 });
      expect((await store.feedback.list({ requestId: 'r1' })).map((f) => f.id)).toEqual([
        'fb_a',
        'fb_b',
        'fb_c',
      ]);
    } finally {
      await store.close();
    }
  });
});
