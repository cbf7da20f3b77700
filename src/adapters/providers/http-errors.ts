import { parseRetryAfter } from '../../core/provider/backoff.js';
import type { FailureKind } from '../../core/provider/chat.js';

/** How one attempt failed, before the retry loop adds attempts and latency. */
export interface AttemptFailure {
  readonly kind: FailureKind;
  readonly message: string;
  readonly status?: number;
  readonly retryAfterMs?: number;
}

/** Thrown by wire decoders for a failure the server reported in a 200 body or in-band in a stream. */
export class WireFailure extends Error {
  readonly failure: AttemptFailure;
  constructor(failure: AttemptFailure) {
    super(failure.message);
    this.name = 'WireFailure';
    this.failure = failure;
  }
}

export type ResponseHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : (value as string | undefined);
}

/**
 * `retry-after-ms` (OpenAI and Azure send it, in milliseconds) is more precise than Retry-After
 * (RFC 9110 §10.2.3: seconds or an HTTP date), so it wins when both are present.
 */
export function retryAfterFromHeaders(headers: ResponseHeaders, now: number): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms')?.trim();
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms)) return Math.round(Number(ms));
  return parseRetryAfter(headerValue(headers, 'retry-after'), now);
}

/** The error object of OpenAI (`{error:{message,type,code}}`), Azure, Anthropic (`{type:'error',error:{type,message}}`) and Ollama (`{error:"…"}`). */
export interface WireError {
  readonly type?: string;
  readonly code?: string;
  readonly status?: number;
  readonly message?: string;
  readonly innerCode?: string;
}

export function readWireError(value: unknown): WireError | undefined {
  if (!isRecord(value)) return undefined;
  const error = value.error;
  if (typeof error === 'string') return { message: error };
  if (!isRecord(error)) return undefined;
  const inner = isRecord(error.innererror) ? error.innererror : {};
  return {
    ...(typeof error.type === 'string' ? { type: error.type } : {}),
    ...(typeof error.code === 'string' ? { code: error.code } : {}),
    ...(typeof error.code === 'number' ? { status: error.code } : {}),
    ...(typeof error.message === 'string' ? { message: error.message } : {}),
    ...(typeof inner.code === 'string' ? { innerCode: inner.code } : {}),
  };
}

export function parseErrorBody(text: string): WireError {
  try {
    const found = readWireError(JSON.parse(text));
    if (found) return found;
  } catch {
    // Not JSON (a proxy's HTML page, plain text): the text itself is the best message.
  }
  return text.trim() === '' ? {} : { message: text.trim().slice(0, 500) };
}

const CONTENT_FILTER_CODES = new Set([
  'content_filter',
  'content_policy_violation',
  'ResponsibleAIPolicyViolation',
]);
// Azure: "…triggering Azure OpenAI's content management policy"; Anthropic: "Output blocked by content filtering policy".
const CONTENT_FILTER_MESSAGE = /content[ _-]?(filter|management polic|polic)/i;

export function isContentFilter(error: WireError): boolean {
  if ([error.code, error.type, error.innerCode].some((v) => v !== undefined && CONTENT_FILTER_CODES.has(v))) {
    return true;
  }
  return error.message !== undefined && CONTENT_FILTER_MESSAGE.test(error.message);
}

export function kindFromStatus(status: number, error: WireError = {}): FailureKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 408) return 'timeout';
  if (status === 429) return 'rate_limit';
  // The model or the path does not exist there: the variant's configuration, not the request, is
  // wrong — the server's side, so a rollout falls back to stable and counts it against the variant.
  if (status === 404) return 'upstream';
  // 5xx, including Anthropic's 529 overloaded_error.
  if (status >= 500) return 'upstream';
  if (status >= 400) return isContentFilter(error) ? 'content_filter' : 'bad_request';
  return 'upstream';
}

/** For errors reported without a usable HTTP status: in a 200 body or as an in-band stream event. */
export function kindFromWireError(error: WireError): FailureKind {
  if (isContentFilter(error)) return 'content_filter';
  if (error.status !== undefined && error.status >= 400) return kindFromStatus(error.status, error);
  const label = `${error.type ?? ''} ${error.code ?? ''}`.toLowerCase();
  if (/rate_limit|too_many|quota/.test(label)) return 'rate_limit';
  if (/authentication|permission|invalid_api_key|unauthori/.test(label)) return 'auth';
  if (/not_found/.test(label)) return 'upstream';
  if (/invalid_request|request_too_large|context_length/.test(label)) return 'bad_request';
  if (/timeout/.test(label)) return 'timeout';
  // overloaded_error, api_error, server_error and anything unknown: the server's fault.
  return 'upstream';
}

export function failureFromStatus(
  status: number,
  headers: ResponseHeaders,
  body: string,
  now: number,
): AttemptFailure {
  const error = parseErrorBody(body);
  const retryAfterMs = retryAfterFromHeaders(headers, now);
  const detail = error.message ?? error.type ?? error.code ?? 'no details';
  return {
    kind: kindFromStatus(status, error),
    message: `HTTP ${status}: ${detail}`,
    status,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}

export function failureFromWireError(error: WireError, context: string): AttemptFailure {
  const detail = error.message ?? error.type ?? error.code ?? 'no details';
  // A not-found error event is the in-band HTTP 404: not retried, like the status.
  const notFound = error.status === undefined && /not_found/i.test(`${error.type ?? ''} ${error.code ?? ''}`);
  return {
    kind: kindFromWireError(error),
    message: `${context}: ${detail}`,
    ...(notFound ? { status: 404 } : {}),
  };
}

// undici's own timeouts (disabled by http-transport, kept for dispatchers passed in) and the OS's.
const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

/**
 * A thrown I/O error, once the caller's signal and our own timers are ruled out: socket resets,
 * refused connections, DNS failures, sockets closed mid-response and unparseable HTTP all mean
 * the network (or what stands in for it) failed, which is worth a retry.
 */
export function failureFromThrown(error: unknown): AttemptFailure {
  if (error instanceof WireFailure) return error.failure;
  const codes: string[] = [];
  let message = error instanceof Error ? error.message : String(error);
  for (let cause: unknown = error, depth = 0; isRecord(cause) && depth < 5; cause = cause.cause, depth += 1) {
    if (typeof cause.code === 'string') codes.push(cause.code);
    if (depth > 0 && typeof cause.message === 'string') message += `: ${cause.message}`;
  }
  const code = codes[0];
  const described = code === undefined ? message : `${code}: ${message}`;
  if (codes.some((c) => TIMEOUT_CODES.has(c))) return { kind: 'timeout', message: described };
  return { kind: 'network', message: described };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A response body that closed before its end, as Node's streams report it (a network failure). */
export function prematureClose(): Error {
  return Object.assign(new Error('the response body closed before its end'), {
    code: 'ERR_STREAM_PREMATURE_CLOSE',
  });
}
