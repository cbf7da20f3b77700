import { BallastError } from '../errors.js';
import { type ActionedFinding, DETECTORS, type GuardrailRule } from './check-text.js';
import { type Finding, redact, redactionMarker, sortFindings } from './finding.js';

export interface StreamScannerOptions {
  /**
   * Characters kept back at the end of what has arrived, so a match split across chunks is
   * seen whole before any of it is released. 128 covers every pattern here but the long token
   * shapes, which the trailing-token rule covers.
   */
  readonly holdback?: number;
  /**
   * A trailing run of non-space characters up to this long is also kept back whole: keys and
   * tokens (an OpenAI project key is ≈ 160 characters) arrive split over many chunks.
   */
  readonly maxToken?: number;
}

export interface StreamStep {
  /** Text safe to forward now, with the findings of `redact` checks replaced. */
  readonly text: string;
  /** Findings settled in this step, offsets in the raw stream. */
  readonly findings: readonly ActionedFinding[];
  /** A `block` check hit: forward nothing more (`text` stops where the finding starts). */
  readonly blocked: boolean;
}

export interface StreamScanner {
  /** Takes the next chunk; returns what may be forwarded now. */
  push(chunk: string): StreamStep;
  /** The stream ended: settles and releases everything held back. */
  end(): StreamStep;
  /** Every finding so far. */
  readonly findings: readonly ActionedFinding[];
}

/** What a push releases while everything is still held back. */
const NOTHING_YET: StreamStep = Object.freeze({ text: '', findings: Object.freeze([]), blocked: false });

/**
 * Released text kept in front of the next scan, so lookbehinds (`(?<!\d)`) and a match's leading
 * part see what came before: the longest is the generic secret's name and separator
 * (`client_secret_prod_backup_01 = "`, up to 62 characters; detect-secrets.ts), which must still
 * be in view when its value, held back as a trailing token, is judged.
 */
const CONTEXT = 64;
/**
 * Of an unbroken run of non-space characters already released (one longer than `maxToken`), this
 * much is kept in front of the next scans: a shape that only becomes whole later (a JWT's header
 * and payload, up to 6,000 characters, before its signature arrives) is still seen, and what is
 * not yet sent of it is redacted or blocked.
 */
const RUN_CONTEXT = 8192;
/** Characters past the holdback that arrive before the next scan (see `holding`). */
const MIN_BATCH = 16;

/**
 * Runs a policy's checks over a text as it streams, for the gateway (issue #5). Each push scans
 * only what is held back plus the new chunk, so the work per chunk is bounded by the holdback
 * and the chunk, and the total stays linear in the stream.
 *
 * What is held back: the last `holdback` characters, a trailing token of up to `maxToken`, and
 * any finding that reaches into those (it might still grow: `jane@example.co` + `m`). A match
 * no longer than the holdback is therefore always seen whole before any of it is released.
 * Known limit: a PEM private key is reported by its header; its body is only redacted when the
 * END line arrives within the held-back text, so use `block` for secrets on streams.
 */
export function createStreamScanner(
  rules: readonly GuardrailRule[],
  options: StreamScannerOptions = {},
): StreamScanner {
  const holdback = options.holdback ?? 128;
  const maxToken = options.maxToken ?? 512;
  const patternRules = rules.filter((r) => r.check !== 'length');
  const lengthRule = rules.find((r) => r.check === 'length');
  if (lengthRule !== undefined && lengthRule.max_chars === undefined) {
    throw new BallastError('BALLAST_ERR_CONFIG', 'guardrail check "length" needs max_chars');
  }
  const all: ActionedFinding[] = [];
  let context = '';
  let pending = '';
  /** Offset in the raw stream of `pending[0]`. */
  let base = 0;
  let blocked = false;
  /** Absolute offset where the length rule's finding starts, once the stream is too long. */
  let lengthStart: number | undefined;
  /** The length rule redacts by cutting: nothing past max_chars is forwarded after the marker. */
  let truncated = false;

  const step = (final: boolean): StreamStep => {
    const scan = context + pending;
    const found: ActionedFinding[] = [];
    for (const rule of patternRules) {
      for (const f of DETECTORS[rule.check as keyof typeof DETECTORS](scan)) {
        // A finding that ends in the context was judged when that text was held back. One that
        // starts there and runs on into what is held began in text already sent (a token longer
        // than `maxToken`): its start is negative here, and what is not yet sent of it is judged.
        if (f.end > context.length)
          found.push({
            ...f,
            start: f.start - context.length,
            end: f.end - context.length,
            action: rule.action,
          });
      }
    }
    const cut = final ? pending.length : releasePoint(pending, found, holdback, maxToken);
    const overLength = lengthOverflow();
    const settled = sortFindings([
      ...found.filter((f) => f.end <= cut),
      ...(overLength === undefined ? [] : [overLength]),
    ]);

    let release = cut;
    const firstBlock = settled.find((f) => f.action === 'block');
    if (firstBlock !== undefined) release = Math.max(0, Math.min(release, firstBlock.start));
    const cutAt = lengthRule?.action === 'redact' ? lengthStart : undefined;
    if (cutAt !== undefined) release = Math.max(0, Math.min(release, cutAt - base));

    const redactions = settled
      .filter((f) => f.action === 'redact' && f.check !== 'length' && f.start < release)
      .map((f) => (f.start < 0 ? { ...f, start: 0 } : f));
    let text = redact(pending.slice(0, release), redactions);
    if (cutAt !== undefined && base + release >= cutAt && firstBlock === undefined) {
      // Everything up to max_chars is out: one marker stands for the rest, and nothing follows.
      text += redactionMarker('length');
      truncated = true;
    }
    const absolute = settled.map((f) => ({ ...f, start: f.start + base, end: f.end + base }));
    all.push(...absolute);
    blocked = firstBlock !== undefined;
    context = keptContext(context + pending.slice(0, cut));
    pending = pending.slice(cut);
    base += cut;
    return { text, findings: absolute, blocked };
  };

  /**
   * The length finding, once, at the step where the stream passes max_chars; offsets relative
   * to `pending` like the others. It starts at max_chars, one earlier rather than split a
   * surrogate pair, and ends at what has arrived so far.
   */
  function lengthOverflow(): ActionedFinding | undefined {
    if (lengthRule === undefined || lengthStart !== undefined) return undefined;
    const max = lengthRule.max_chars!;
    if (base + pending.length <= max) return undefined;
    const high = max - 1 >= base ? pending.charCodeAt(max - 1 - base) : 0;
    lengthStart = high >= 0xd800 && high <= 0xdbff ? max - 1 : max;
    return {
      check: 'length',
      label: 'length',
      start: lengthStart - base,
      end: pending.length,
      action: lengthRule.action,
    };
  }

  /**
   * Nothing is released yet: every character still arriving is inside the holdback plus a small
   * batch, and the length limit is not passed. Skipping the scan only delays text, never lets
   * unscanned text out: a short streamed answer is scanned once, at its end, and a long one once
   * per batch rather than once per token (a scan runs every detector over the held text). After
   * a long unbroken run was released, its kept context makes each scan longer, and the batch
   * grows with it (up to `maxToken` held), so the work stays linear in the stream.
   */
  const holding = (): boolean =>
    pending.length <=
      holdback + Math.min(maxToken - holdback, Math.max(MIN_BATCH, context.length - CONTEXT)) &&
    (lengthRule === undefined || base + pending.length <= lengthRule.max_chars!);

  return {
    push(chunk) {
      if (blocked || truncated) return { text: '', findings: [], blocked };
      pending += chunk;
      return holding() ? NOTHING_YET : step(false);
    },
    end() {
      if (blocked || truncated) return { text: '', findings: [], blocked };
      return step(true);
    },
    // The same array, filled as findings settle (a getter would put this object literal on V8's
    // slow path, and a scanner is made per streamed request).
    findings: all,
  };
}

/**
 * How much of `pending` can be released: everything before the holdback zone and the trailing
 * token, moved back to the start of any finding that reaches into what is held (repeated until
 * no finding straddles the point, since moving it can make another one straddle).
 */
/**
 * What of the released text is kept for the next scan: the last `CONTEXT` characters, or the
 * unbroken run they end in, up to `RUN_CONTEXT`.
 */
function keptContext(released: string): string {
  let i = released.length;
  const floor = Math.max(0, released.length - RUN_CONTEXT);
  while (i > floor && !/\s/.test(released[i - 1]!)) i--;
  return released.slice(Math.min(i, Math.max(0, released.length - CONTEXT)));
}

function releasePoint(
  pending: string,
  findings: readonly Finding[],
  holdback: number,
  maxToken: number,
): number {
  let cut = Math.max(0, pending.length - holdback);
  const token = trailingTokenStart(pending, maxToken);
  if (token !== undefined) cut = Math.min(cut, token);
  for (let moved = true; moved; ) {
    moved = false;
    for (const f of findings) {
      if (f.start < cut && f.end > cut) {
        cut = Math.max(0, f.start);
        moved = true;
      }
    }
  }
  return cut;
}

/** Start of the run of non-whitespace characters at the end, when it is at most `max` long. */
function trailingTokenStart(text: string, max: number): number | undefined {
  let i = text.length;
  while (i > 0 && text.length - i <= max && !/\s/.test(text[i - 1]!)) i--;
  if (text.length - i > max) return undefined;
  return i;
}
