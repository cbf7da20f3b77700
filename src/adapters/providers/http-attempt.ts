import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { ChatRequest, FinishReason, ToolCallDelta, Usage } from '../../core/provider/chat.js';
import { type AttemptScope, stopFailure } from './http-deadline.js';
import {
  type AttemptFailure,
  failureFromStatus,
  failureFromThrown,
  headerValue,
  prematureClose,
  WireFailure,
} from './http-errors.js';
import { type EventSourceMessage, readSse } from './http-sse.js';
import type { HttpTransport } from './http-transport.js';

/** The HTTP request one wire format makes of a chat request. */
export interface WireHttpRequest {
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What a response said, in Ballast's terms; missing fields were not sent. */
export interface WireSummary {
  readonly finishReason?: FinishReason;
  readonly usage?: Usage;
  readonly model?: string;
  readonly toolCalls?: readonly unknown[];
  readonly logprobs?: Readonly<Record<string, unknown>>;
  /** The model's refusal (OpenAI's `message.refusal`; streamed, its `delta.refusal` pieces joined). */
  readonly refusal?: string;
}

export interface WireCompletion extends WireSummary {
  readonly text: string;
}

export interface StreamStep {
  readonly deltas: readonly string[];
  /** Tool-call fragments the event carried, in order. */
  readonly tools?: readonly ToolCallDelta[];
  /** The event could not be read and was skipped. */
  readonly malformed?: boolean;
}

/** Reads one stream's events in order. `push` throws a WireFailure for an in-band error event. */
export interface WireStreamDecoder {
  push(message: EventSourceMessage): StreamStep;
  /** The end marker arrived (`[DONE]`, `message_stop`). */
  readonly terminated: boolean;
  summary(): WireSummary;
}

/** One provider API's shapes: everything that differs between OpenAI and Anthropic. */
export interface WireFormat {
  request(request: ChatRequest, model: string, stream: boolean): WireHttpRequest;
  /** Reads a 200 JSON body; throws a WireFailure when it holds an error instead of an answer. */
  parseCompletion(body: unknown): WireCompletion;
  streamDecoder(): WireStreamDecoder;
}

export type AttemptOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly failure: AttemptFailure };

export interface AttemptContext {
  readonly request: HttpTransport['request'];
  readonly attempt: AttemptScope;
  readonly timeoutMs: number;
  readonly now: () => number;
}

// A chat completion body is a few KB; 32 MiB only stops a runaway server from exhausting memory.
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export async function completeAttempt(
  ctx: AttemptContext,
  wire: WireFormat,
  request: WireHttpRequest,
): Promise<AttemptOutcome<WireCompletion>> {
  let response: Dispatcher.ResponseData | undefined;
  try {
    response = await send(ctx, request);
    // Waiting for headers is the model thinking; only silence once the body started is "idle".
    ctx.attempt.touch();
    if (response.statusCode < 200 || response.statusCode > 299) return await statusOutcome(ctx, response);
    return await readCompletion(ctx, wire, response);
  } catch (error) {
    return { ok: false, failure: thrownFailure(ctx, error) };
  } finally {
    if (response !== undefined) abandonBody(response.body);
  }
}

/**
 * One streamed attempt: yields text deltas (strings) and tool-call fragments as they arrive, and
 * returns how it ended. A stream
 * that ends (cleanly or not) after the model's finish reason is a complete answer even without
 * the end marker; one that ends before it, with neither, was cut.
 */
export async function* streamAttempt(
  ctx: AttemptContext,
  wire: WireFormat,
  request: WireHttpRequest,
  onMalformed: () => void,
  /** The caller's, to read what the stream has said so far (its model); a new one by default. */
  decoder: WireStreamDecoder = wire.streamDecoder(),
): AsyncGenerator<string | ToolCallDelta, AttemptOutcome<WireSummary>, void> {
  let response: Dispatcher.ResponseData | undefined;
  try {
    ctx.attempt.touch();
    response = await send(ctx, request);
    if (response.statusCode < 200 || response.statusCode > 299) return await statusOutcome(ctx, response);
    if (headerValue(response.headers, 'content-type')?.includes('application/json')) {
      // A server that ignores `stream: true` (or a buffering proxy) sent the whole answer at once.
      const whole = await readCompletion(ctx, wire, response);
      ctx.attempt.pauseIdle();
      if (whole.ok && whole.value.text !== '') yield whole.value.text;
      return whole;
    }
    // Not destroyed when the loop below stops at the end marker: the rest of the body is left to
    // arrive (see releaseBody), so the connection can go back to the pool. (`Readable.iterator` is
    // marked experimental in Node 20 and 22, unchanged since it came in 16.3.)
    const chunks = response.body.iterator({ destroyOnReturn: false });
    for await (const messages of readSse(chunks, ctx.attempt)) {
      const { pieces, error } = decodeRead(decoder, messages, onMalformed);
      for (const piece of pieces) {
        ctx.attempt.pauseIdle();
        yield piece;
        ctx.attempt.touch();
      }
      // An error event ends the stream after what came before it in the same read.
      if (error !== undefined) throw error.thrown;
      // The answer is complete at its end marker: the caller gets it now, not when the server
      // closes the body (it usually arrives with the marker, but may come later or never).
      if (decoder.terminated) break;
    }
    const finish = decoder.summary().finishReason;
    if (finish === 'error') return { ok: false, failure: ENDED_IN_ERROR };
    if (decoder.terminated || finish !== undefined) return { ok: true, value: decoder.summary() };
    return {
      ok: false,
      failure: {
        kind: 'network',
        message: 'the stream ended before its end marker and without a finish reason',
      },
    };
  } catch (error) {
    const reason = ctx.attempt.reason;
    const callerStopped = reason === 'cancelled' || reason === 'closed';
    const finish = decoder.summary().finishReason;
    const complete = finish !== 'error' && (decoder.terminated || finish !== undefined);
    // The answer was complete; what failed was the tail (the usage chunk, the end marker, the socket).
    if (complete && !callerStopped && !(error instanceof WireFailure)) {
      return { ok: true, value: decoder.summary() };
    }
    return { ok: false, failure: thrownFailure(ctx, error) };
  } finally {
    if (response !== undefined) {
      if (decoder.terminated) releaseBody(response.body, ctx.attempt.idleMs);
      else abandonBody(response.body);
    }
  }
}

/**
 * The events of one read of a stream, decoded: the text of consecutive events joined into one
 * piece, tool-call fragments in their place between them, up to the end marker. The client gets
 * the same text at the same moment in fewer chunks, and the gateway does its per-piece work
 * (output checks, a chunk's JSON, telemetry) once per read instead of once per token when the
 * upstream outruns it; a token that arrives on its own still goes on on its own. What the decoder
 * threw (an error event) is returned after the pieces before it.
 */
function decodeRead(
  decoder: WireStreamDecoder,
  messages: readonly EventSourceMessage[],
  onMalformed: () => void,
): { pieces: (string | ToolCallDelta)[]; error?: { thrown: unknown } } {
  const pieces: (string | ToolCallDelta)[] = [];
  let text = '';
  try {
    for (const message of messages) {
      const step = decoder.push(message);
      if (step.malformed) onMalformed();
      for (const delta of step.deltas) text += delta;
      if (step.tools !== undefined) {
        if (text !== '') pieces.push(text);
        text = '';
        pieces.push(...step.tools);
      }
      if (decoder.terminated) break;
    }
  } catch (thrown) {
    if (text !== '') pieces.push(text);
    return { pieces, error: { thrown } };
  }
  if (text !== '') pieces.push(text);
  return { pieces };
}

const ignore = (): void => {};

/**
 * An answer the upstream ended with `finish_reason: "error"` or `"abort"` (vLLM) is cut short, not
 * complete: a failure of the variant (before content, retried and fallen back from; after it, the
 * stream's explicit error event), never a clean `stop`.
 */
const ENDED_IN_ERROR: AttemptFailure = {
  kind: 'upstream',
  message: 'the upstream ended the answer with an error (finish_reason "error" or "abort")',
};

/**
 * Closes a body that is no longer read. Destroyed before its end, undici's body emits an abort
 * error; nobody listens any more (the reader is gone), so it is ignored here rather than thrown.
 */
function abandonBody(body: Readable): void {
  if (body.destroyed) return;
  body.on('error', ignore);
  body.destroy();
}

/**
 * The body of a stream whose end marker was read: what is left (the chunked end, usually already
 * here) is read and dropped, so undici sees the response end and keeps the connection for the
 * next call — destroying the body before that would close it. A server that sends nothing more
 * for `idleMs` gets its connection closed, as a stalled body would.
 */
function releaseBody(body: Readable, idleMs: number): void {
  if (body.destroyed || body.readableEnded) return;
  const timer = setTimeout(() => body.destroy(), idleMs);
  timer.unref();
  body.once('close', () => clearTimeout(timer));
  body.on('error', ignore);
  body.resume();
}

function send(ctx: AttemptContext, request: WireHttpRequest): Promise<Dispatcher.ResponseData> {
  return ctx.request({
    origin: request.url.origin,
    path: `${request.url.pathname}${request.url.search}`,
    method: 'POST',
    headers: request.headers,
    body: request.body,
    signal: ctx.attempt.signal,
  });
}

async function readCompletion(
  ctx: AttemptContext,
  wire: WireFormat,
  response: Dispatcher.ResponseData,
): Promise<AttemptOutcome<WireCompletion>> {
  const text = await readText(response.body, ctx.attempt, MAX_BODY_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, failure: { kind: 'upstream', message: 'the response body is not valid JSON' } };
  }
  const value = wire.parseCompletion(json);
  if (value.finishReason === 'error') return { ok: false, failure: ENDED_IN_ERROR };
  return { ok: true, value };
}

async function statusOutcome(
  ctx: AttemptContext,
  response: Dispatcher.ResponseData,
): Promise<AttemptOutcome<never>> {
  // The body only adds detail; a status failure stands even if the body cannot be read.
  const body = await readText(response.body, ctx.attempt, MAX_ERROR_BODY_BYTES).catch(() => '');
  return { ok: false, failure: failureFromStatus(response.statusCode, response.headers, body, ctx.now()) };
}

function thrownFailure(ctx: AttemptContext, error: unknown): AttemptFailure {
  const reason = ctx.attempt.reason;
  if (reason !== undefined)
    return stopFailure(reason, { timeoutMs: ctx.timeoutMs, idleMs: ctx.attempt.idleMs });
  return failureFromThrown(error);
}

/**
 * A response body as text, read with 'data' events. (An async iterator over the body allocated a
 * promise, a result and the stream's end-of-stream bookkeeping per chunk: ≈ 3 KB per call, 7 % of
 * all allocation in a 10,000-case eval.) Every chunk restarts the attempt's idle clock; reading
 * stops at `limit` bytes. A socket error rejects with that error, as the iterator threw it; a body
 * closed before its end rejects as a premature close.
 */
function readText(body: Readable, attempt: AttemptScope, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    if (body.destroyed) {
      reject(body.errored ?? prematureClose());
      return;
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    const settle = (error?: unknown) => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', settle);
      body.off('close', onClose);
      if (error === undefined) resolve(Buffer.concat(chunks, bytes).toString('utf8'));
      else reject(error);
    };
    const onData = (chunk: Buffer) => {
      attempt.touch();
      chunks.push(chunk);
      bytes += chunk.byteLength;
      if (bytes >= limit) settle();
    };
    const onEnd = () => settle();
    const onClose = () => settle(body.errored ?? prematureClose());
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', settle);
    body.on('close', onClose);
  });
}
