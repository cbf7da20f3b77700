import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** `30s`, `10m`, `2h`, `7d`, `250ms` → milliseconds; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return undefined;
  const value = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return Number.isFinite(value) ? Math.round(value) : undefined;
}

/** Milliseconds → the shortest exact spelling (`90000` → `90s`, `7200000` → `2h`). */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

/** A duration written as text in YAML; parsed to milliseconds. */
export const durationSchema = z
  .string()
  .regex(DURATION_RE, 'expected a duration such as 30s, 10m, 2h or 7d')
  .transform((text) => parseDuration(text) as number)
  .meta({ description: 'A duration: a number followed by ms, s, m, h or d (30s, 10m, 2h, 7d)' });
