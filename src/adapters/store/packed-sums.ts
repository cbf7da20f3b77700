import type { ArmSums, UnitMetric, UnitSums } from '../../app/ports/unit-totals-store.js';

/**
 * The `change_sums.sums` column (migration 0006): every running per-arm sum of one change in one
 * little-endian float64 blob, so the controller's tick reads ONE value per rollout instead of a
 * row per arm × metric. Per-value row decoding was most of a tick: 1,000 rollouts × 5 metrics ×
 * 2 arms is 10,000 rows of 9 columns, 40–100 ms on this machine in the SQLite driver alone; the
 * same sums as 1,000 blobs decode in a few milliseconds (bench/results/controller.md).
 *
 * Layout: for each metric of PACKED_METRICS in order, the candidate arm then the comparison arm,
 * each as n, ΣX, ΣY, ΣX², ΣY², ΣXY. The list is append-only: a blob written before a metric was
 * appended is shorter and reads as zeros for it. Counts are exact as float64 up to 2^53.
 */
export const PACKED_METRICS: readonly UnitMetric[] = Object.freeze([
  'error_rate',
  'latency_ms',
  'slow_rate',
  'ttft_ms',
  'guardrail_violation_rate',
  'fallback_rate',
  'negative_feedback_rate',
  'positive_feedback_rate',
  'feedback_score',
  'output_tokens',
  'cost_usd',
] as const);

/** Arms in blob order. */
export const PACKED_ARMS = Object.freeze(['candidate', 'comparison'] as const);

const FIELDS = 6;
const PER_METRIC = PACKED_ARMS.length * FIELDS;
const INDEX: ReadonlyMap<string, number> = new Map(PACKED_METRICS.map((m, i) => [m, i]));

/** Where a metric's arm starts in the float array (undefined for a metric not in the layout). */
export function packedOffset(metric: string, arm: string): number | undefined {
  const m = INDEX.get(metric);
  const a = arm === 'candidate' ? 0 : arm === 'comparison' ? 1 : -1;
  return m === undefined || a < 0 ? undefined : m * PER_METRIC + a * FIELDS;
}

/** A zeroed array of every sum, in the layout. */
export function emptySums(): Float64Array {
  return new Float64Array(PACKED_METRICS.length * PER_METRIC);
}

/** The stored bytes as an array in the current layout (shorter blobs are zero-padded). */
export function unpackSums(bytes: Uint8Array | null | undefined): Float64Array {
  const out = emptySums();
  if (!bytes) return out;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Math.min(out.length, Math.floor(bytes.byteLength / 8));
  for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

export function packSums(sums: Float64Array): Buffer {
  const buf = Buffer.allocUnsafe(sums.length * 8);
  for (let i = 0; i < sums.length; i++) buf.writeDoubleLE(sums[i]!, i * 8);
  return buf;
}

/** Adds (n, ΣX, ΣY, ΣX², ΣY², ΣXY) to one metric's arm. */
export function addSums(
  into: Float64Array,
  metric: string,
  arm: string,
  d: readonly [number, number, number, number, number, number],
): void {
  const at = packedOffset(metric, arm);
  if (at === undefined) return;
  for (let i = 0; i < FIELDS; i++) into[at + i] = into[at + i]! + d[i]!;
}

function unitSums(sums: Float64Array, at: number): UnitSums {
  return {
    n: sums[at]!,
    sumX: sums[at + 1]!,
    sumY: sums[at + 2]!,
    sumX2: sums[at + 3]!,
    sumY2: sums[at + 4]!,
    sumXY: sums[at + 5]!,
  };
}

/** Bytes of one metric's sums (both arms): the slice `armSumsOfSlice` reads. */
export const METRIC_BYTES = PER_METRIC * 8;

/**
 * 1-based byte position of a metric's sums in the blob, for SQL's `substr(sums, start, METRIC_BYTES)`
 * (both SQLite and PostgreSQL slice a blob by bytes): a tick fetches only the metrics it tests.
 */
export function metricStart(metric: UnitMetric): number {
  return packedOffset(metric, 'candidate')! * 8 + 1;
}

/** Both arms' sums from a metric's slice (an empty or short slice, from an older layout, is zeros). */
export function armSumsOfSlice(bytes: Uint8Array | null | undefined): ArmSums {
  if (!bytes || bytes.byteLength < METRIC_BYTES) {
    const f = new Float64Array(PER_METRIC);
    if (bytes) for (let i = 0; i < Math.floor(bytes.byteLength / 8); i++) f[i] = readDouble(bytes, i);
    return { candidate: unitSums(f, 0), comparison: unitSums(f, FIELDS) };
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, METRIC_BYTES);
  return { candidate: sumsAt(v, 0), comparison: sumsAt(v, FIELDS * 8) };
}

function readDouble(bytes: Uint8Array, i: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset + i * 8, 8).getFloat64(0, true);
}

function sumsAt(v: DataView, at: number): UnitSums {
  return {
    n: v.getFloat64(at, true),
    sumX: v.getFloat64(at + 8, true),
    sumY: v.getFloat64(at + 16, true),
    sumX2: v.getFloat64(at + 24, true),
    sumY2: v.getFloat64(at + 32, true),
    sumXY: v.getFloat64(at + 40, true),
  };
}
