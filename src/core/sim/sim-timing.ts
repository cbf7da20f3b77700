import { integer, lognormalParams, normal, uniform } from '../hash/distributions.js';
import type { Random } from '../hash/random.js';
import type { SimProfile } from '../spec/sim-profile.js';

export interface SimChunk {
  readonly text: string;
  /** When the chunk is sent, in milliseconds after the request. */
  readonly atMs: number;
}

/** Inter-chunk gaps vary uniformly within ±20 % of chunk_ms, so streams do not tick like a metronome. */
export const CHUNK_JITTER = 0.2;

/** Times in the plan are rounded to 0.1 ms: finer than any timer, and easier on the eye in reports. */
function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/**
 * Correlation of log TTFT with log latency. A call that waits in a queue or lands on a busy
 * replica is slow to its first token and to its last, so the two move together; drawing them
 * independently would often put the TTFT after the end of the call. With ρ = 0.9 both keep
 * their configured log-normal marginals, and the defaults (TTFT 150/500 ms, latency 400/1200
 * ms) put the TTFT after the latency in well under 1 % of calls.
 */
export const TTFT_LATENCY_CORRELATION = 0.9;

export interface SimTimes {
  readonly latencyMs: number;
  /** The drawn time to first token, already capped at the latency. */
  readonly ttftMs: number;
}

/**
 * Latency and TTFT, each log-normal from its median and p95 (see lognormalParams), their logs
 * correlated by ρ: z_ttft = ρ·z_latency + √(1 − ρ²)·ε, the standard construction of a bivariate
 * normal from independent ones (Cholesky factor of [[1, ρ], [ρ, 1]]).
 */
export function drawTimes(
  profile: Pick<SimProfile, 'latency' | 'ttft'>,
  latencyRandom: Random,
  ttftRandom: Random,
): SimTimes {
  const rho = TTFT_LATENCY_CORRELATION;
  const zLatency = normal(latencyRandom);
  const zTtft = rho * zLatency + Math.sqrt(1 - rho * rho) * normal(ttftRandom);
  const latency = lognormalParams(profile.latency.median_ms, profile.latency.p95_ms);
  const ttft = lognormalParams(profile.ttft.median_ms, profile.ttft.p95_ms);
  const latencyMs = round(Math.exp(latency.mu + latency.sigma * zLatency));
  const ttftMs = Math.min(latencyMs, round(Math.exp(ttft.mu + ttft.sigma * zTtft)));
  return { latencyMs, ttftMs };
}

/**
 * Pieces of 1 to 3 words (each with the whitespace after it), as streaming APIs send a few
 * tokens at a time. Concatenated, the pieces are exactly the text.
 */
export function splitIntoChunks(text: string, random: Random): string[] {
  const words = text.match(/\s*\S+\s*/g);
  if (words === null) return text.length > 0 ? [text] : [];
  const chunks: string[] = [];
  for (let i = 0; i < words.length; ) {
    const size = integer(random, 1, 3);
    chunks.push(words.slice(i, i + size).join(''));
    i += size;
  }
  // Whitespace only matched by none of the words (a text of blanks) is kept as one chunk.
  return chunks.join('') === text ? chunks : [text];
}

/**
 * When each chunk goes out. The first at the TTFT, then one every chunk_ms (±20 % jitter); the
 * stream ends at the call's latency. The latency distribution is what the configuration promises
 * and what the statistics measure, so it wins over the cadence: when the chunks do not fit
 * between the drawn TTFT and the latency, the TTFT is moved earlier so that streaming keeps up to
 * half the latency, and the gaps shrink in proportion to fit what is left. A drawn TTFT above the
 * latency is therefore capped, and never exceeds it.
 */
export function planStream(
  pieces: readonly string[],
  chunkMs: number,
  drawnTtftMs: number,
  latencyMs: number,
  random: Random,
): { readonly ttftMs: number; readonly chunks: SimChunk[] } {
  const gaps: number[] = [];
  for (let i = 1; i < pieces.length; i++)
    gaps.push(chunkMs * uniform(random, 1 - CHUNK_JITTER, 1 + CHUNK_JITTER));
  const span = gaps.reduce((a, b) => a + b, 0);
  const fits = drawnTtftMs + span <= latencyMs;
  const ttftMs = fits
    ? drawnTtftMs
    : Math.max(0, Math.min(drawnTtftMs, round(latencyMs - Math.min(span, latencyMs / 2))));
  const room = Math.max(0, latencyMs - ttftMs);
  const scale = span > room ? room / span : 1;
  const chunks: SimChunk[] = [];
  let at = ttftMs;
  for (let i = 0; i < pieces.length; i++) {
    if (i > 0) at += gaps[i - 1]! * scale;
    chunks.push({ text: pieces[i]!, atMs: Math.min(latencyMs, round(at)) });
  }
  return { ttftMs, chunks };
}
