export type ParsedJson =
  | { readonly ok: true; readonly value: unknown; readonly fenced: boolean }
  | { readonly ok: false; readonly error: string };

/** A whole output wrapped in one Markdown code fence, as chat models often return JSON. */
const FENCE = /^```[A-Za-z0-9_-]*[ \t]*\r?\n([\s\S]*?)\r?\n?```$/;

/**
 * The output as JSON: the whole text, or the body of a single code fence that is the whole
 * text (```json … ```). JSON embedded in prose is not accepted: that is a different claim.
 */
export function parseJsonOutput(output: string): ParsedJson {
  const trimmed = output.trim();
  const fence = FENCE.exec(trimmed);
  const body = fence === null ? trimmed : fence[1]!;
  try {
    return { ok: true, value: JSON.parse(body), fenced: fence !== null };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/** Deep equality of JSON values: key order does not matter, array order does. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return (
    ka.length === kb.length &&
    ka.every(
      (k) =>
        Object.hasOwn(b, k) &&
        jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    )
  );
}
