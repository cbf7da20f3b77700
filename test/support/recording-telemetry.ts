import type { FeedbackRecord, RequestRecord } from '../../src/app/ports/gateway-telemetry.js';
import type { TelemetryHandle } from '../../src/main/serve.js';

/** Telemetry that keeps what the gateway reports, for tests to read. */
export interface RecordingTelemetry extends TelemetryHandle {
  readonly requests: RequestRecord[];
  readonly feedback: FeedbackRecord[];
  /** Resolves once `n` requests have been recorded (streams record after their last byte). */
  waitFor(n: number): Promise<void>;
}

export function recordingTelemetry(): RecordingTelemetry {
  const requests: RequestRecord[] = [];
  const feedback: FeedbackRecord[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  return {
    requests,
    feedback,
    contentType: 'text/plain; version=0.0.4',
    record(r) {
      requests.push(r);
      for (const w of [...waiters])
        if (requests.length >= w.n) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
    },
    recordFeedback: (f) => {
      feedback.push(f);
    },
    waitFor: (n) =>
      requests.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
    metricsText: async () => `ballast_requests_total ${requests.length}\n`,
    stats: () => ({ recorded: requests.length }),
    close: async () => {},
  };
}
