import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src/core/hash/random.js';
import {
  CHUNK_JITTER,
  drawTimes,
  planStream,
  splitIntoChunks,
  TTFT_LATENCY_CORRELATION,
} from '../../../src/core/sim/sim-timing.js';

const TEXT =
  'Settings > Security > Two-factor authentication, then scan the QR code with an authenticator app.';

describe('splitIntoChunks', () => {
  it('cuts a text into pieces of 1 to 3 words that concatenate back to it', () => {
    for (const text of [TEXT, '  leading and trailing  ', 'one', '   ', '', 'a\n\nb\tc']) {
      const pieces = splitIntoChunks(text, seededRandom('split', text));
      expect(pieces.join('')).toBe(text);
      for (const piece of pieces) expect(piece.trim().split(/\s+/).length).toBeLessThanOrEqual(3);
    }
    expect(splitIntoChunks('', seededRandom('x'))).toEqual([]);
  });
});

describe('planStream', () => {
  const pieces = splitIntoChunks(TEXT, seededRandom('pieces'));

  it('sends the first chunk at the TTFT, then one every chunk_ms within the jitter', () => {
    const { ttftMs, chunks } = planStream(pieces, 20, 100, 5000, seededRandom('cadence'));
    expect(ttftMs).toBe(100);
    expect(chunks[0]?.atMs).toBe(100);
    const gaps = chunks.slice(1).map((c, i) => c.atMs - chunks[i]!.atMs);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(20 * (1 - CHUNK_JITTER) - 0.1);
      expect(gap).toBeLessThanOrEqual(20 * (1 + CHUNK_JITTER) + 0.1);
    }
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(Math.abs(mean - 20)).toBeLessThan(20 * CHUNK_JITTER);
  });

  it('keeps the stream inside the latency: earlier TTFT and shorter gaps when it would not fit', () => {
    const { ttftMs, chunks } = planStream(pieces, 100, 300, 400, seededRandom('squeeze'));
    expect(ttftMs).toBeLessThan(300);
    expect(ttftMs).toBeGreaterThanOrEqual(200);
    expect(chunks.at(-1)!.atMs).toBeLessThanOrEqual(400);
    expect(chunks.at(-1)!.atMs).toBeGreaterThan(399);
  });

  it('caps a TTFT drawn above the latency', () => {
    const { ttftMs, chunks } = planStream(['only'], 15, 900, 500, seededRandom('cap'));
    expect(ttftMs).toBe(500);
    expect(chunks).toEqual([{ text: 'only', atMs: 500 }]);
  });
});

describe('drawTimes', () => {
  it('keeps TTFT at or below latency, their logs correlated by about ρ', () => {
    const profile = { latency: { median_ms: 400, p95_ms: 1200 }, ttft: { median_ms: 150, p95_ms: 500 } };
    const pairs = Array.from({ length: 5000 }, (_, i) =>
      drawTimes(profile, seededRandom('l', i), seededRandom('t', i)),
    );
    for (const { latencyMs, ttftMs } of pairs) expect(ttftMs).toBeLessThanOrEqual(latencyMs);
    const xs = pairs.map((p) => Math.log(p.latencyMs));
    const ys = pairs.map((p) => Math.log(p.ttftMs));
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const mx = mean(xs);
    const my = mean(ys);
    const cov = mean(xs.map((x, i) => (x - mx) * (ys[i]! - my)));
    const r = cov / Math.sqrt(mean(xs.map((x) => (x - mx) ** 2)) * mean(ys.map((y) => (y - my) ** 2)));
    expect(Math.abs(r - TTFT_LATENCY_CORRELATION)).toBeLessThan(0.02);
  });
});
