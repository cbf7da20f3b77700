import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type WireFinish = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'abort';
/** Failure kinds a dialect knows how to spell (error type and code) in a body or stream event. */
export type WireErrorKind = 'upstream' | 'rate_limit' | 'auth' | 'bad_request' | 'content_filter';

export interface WireToolCall {
  readonly id: string;
  readonly name: string;
  /** JSON text, as OpenAI sends it; for a custom-tool call, its free-text input. */
  readonly arguments: string;
  /**
   * A custom-tool call (`{type: 'custom', custom: {name, input}}`) in whole answers; streams send
   * it as a function call (OpenAI does not document how a streamed custom call looks).
   */
  readonly custom?: boolean;
  /** Leave `type` out of the call (some OpenAI-compatible servers do, streamed and whole). */
  readonly untyped?: boolean;
}

/** What the server does with one request; every field is optional. */
export interface WireStep {
  /** The answer (default DEFAULT_TEXT), streamed one word per chunk unless `chunks` says how many. */
  readonly text?: string;
  readonly chunks?: number;
  /** Default: input ≈ request characters / 4, output = number of chunks. */
  readonly usage?: { readonly input: number; readonly output: number };
  readonly finish?: WireFinish;
  readonly toolCalls?: readonly WireToolCall[];
  /** The model refuses (OpenAI's `refusal`): pair it with `text: ''`. */
  readonly refusal?: string;
  readonly model?: string;
  /** Wait before answering at all (headers included). */
  readonly delayMs?: number;
  /** Wait before each streamed content chunk after the first. */
  readonly chunkDelayMs?: number;
  /** Answer with this status and the dialect's error body. */
  readonly status?: number;
  readonly errorKind?: WireErrorKind;
  readonly errorMessage?: string;
  /** Extra response headers (Retry-After, retry-after-ms, …). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Reset the connection (TCP RST) instead of answering. */
  readonly reset?: boolean;
  /** Never answer; the socket stays open until the client gives up. */
  readonly hang?: boolean;
  /** Streams: close the socket after N content chunks, before the finish reason and end marker. */
  readonly cutAfterChunks?: number;
  /** Streams: stop writing after N content chunks and keep the socket open. */
  readonly stallAfterChunks?: number;
  /** Streams: an unreadable event before content chunk N. */
  readonly malformedAt?: number;
  /** Streams: end the body without the end marker ([DONE], message_stop). */
  readonly omitTerminator?: boolean;
  /** Streams: send everything, end marker included, then keep the body open (no chunked end). */
  readonly holdAfterTerminator?: boolean;
  /**
   * Streams: after N content chunks, `count` SSE comments (`: ping`), one every `everyMs`, before
   * the rest — bytes that carry no content, as keep-alives and reasoning do.
   */
  readonly pingsAfterChunks?: { readonly after: number; readonly count: number; readonly everyMs: number };
  /** Streams: leave out the finish-reason event. */
  readonly omitFinish?: boolean;
  /** Streams: send the dialect's in-band error event after N content chunks, then end. */
  readonly streamErrorAfterChunks?: number;
  /** Non-streaming: send this body verbatim with status 200 (malformed JSON). */
  readonly rawBody?: string;
}

export interface RecordedRequest {
  /** performance.now() when the request's body had arrived. */
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown> | undefined;
}

/** A step with its defaults filled in, for the dialect to render. */
export interface ResolvedStep {
  readonly step: WireStep;
  readonly text: string;
  readonly pieces: readonly string[];
  readonly usage: { readonly input: number; readonly output: number };
  readonly finish: WireFinish;
  readonly model: string;
  readonly toolCalls: readonly WireToolCall[];
  /** A per-request number for ids. */
  readonly serial: number;
}

/** One SSE event, tagged so the server can apply faults at the right place. */
export interface Frame {
  readonly kind: 'open' | 'content' | 'close' | 'finish' | 'usage' | 'terminator';
  readonly text: string;
}

/** How one provider API spells answers and errors; the server does timing and faults. */
export interface WireDialect {
  accepts(method: string, path: string): boolean;
  completion(resolved: ResolvedStep, request: RecordedRequest): unknown;
  stream(resolved: ResolvedStep, request: RecordedRequest): readonly Frame[];
  errorBody(status: number, step: WireStep): unknown;
  streamError(step: WireStep): string;
  malformed(): string;
}

export interface WireServer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** Every request received, in order of arrival. */
  readonly requests: RecordedRequest[];
  /** Queue steps for the next requests, in order; unscripted requests get the default step. */
  script(...steps: WireStep[]): void;
  setDefault(step: WireStep | ((request: RecordedRequest) => WireStep)): void;
  /** Drop queued steps and recorded requests, restore the default step and the counters. */
  reset(): void;
  openConnections(): number;
  /** Most requests the server was answering at once since the last reset. */
  maxInFlight(): number;
  close(): Promise<void>;
}

export const DEFAULT_TEXT = 'Hello from the wire server, one word at a time.';

export async function startWireServer(dialect: WireDialect): Promise<WireServer> {
  const sockets = new Set<Socket>();
  const queue: WireStep[] = [];
  const requests: RecordedRequest[] = [];
  let fallback: WireStep | ((request: RecordedRequest) => WireStep) = {};
  let inFlight = 0;
  let maxInFlight = 0;
  let serial = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.once('close', () => {
      inFlight -= 1;
    });
    const raw = await readAll(req);
    const url = new URL(req.url ?? '/', 'http://wire');
    const recorded: RecordedRequest = {
      at: performance.now(),
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: parseJson(raw),
    };
    requests.push(recorded);
    if (!dialect.accepts(recorded.method, recorded.path)) {
      sendJson(res, 404, dialect.errorBody(404, { errorKind: 'bad_request', errorMessage: 'no such route' }));
      return;
    }
    const step = queue.shift() ?? (typeof fallback === 'function' ? fallback(recorded) : fallback);
    if (step.reset) {
      req.socket.resetAndDestroy();
      return;
    }
    if (step.hang) return;
    if (step.delayMs !== undefined && !(await wait(step.delayMs, res))) return;
    if (step.status !== undefined && step.status !== 200) {
      sendJson(res, step.status, dialect.errorBody(step.status, step), step.headers);
      return;
    }
    if (step.rawBody !== undefined) {
      res.writeHead(200, { 'content-type': 'application/json', ...step.headers });
      res.end(step.rawBody);
      return;
    }
    serial += 1;
    const resolved = resolveStep(step, recorded, serial);
    if (recorded.body?.stream === true) await writeStream(res, dialect, resolved, recorded);
    else sendJson(res, 200, dialect.completion(resolved, recorded), step.headers);
  };

  const server = createServer((req, res) => {
    res.on('error', () => {});
    handle(req, res).catch(() => res.destroy());
  });
  // Longer than any test waits, so only the client closing its pool can free a keep-alive socket.
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...steps) => {
      queue.push(...steps);
    },
    setDefault: (step) => {
      fallback = step;
    },
    reset: () => {
      queue.length = 0;
      requests.length = 0;
      fallback = {};
      maxInFlight = inFlight;
    },
    openConnections: () => sockets.size,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function writeStream(
  res: ServerResponse,
  dialect: WireDialect,
  resolved: ResolvedStep,
  request: RecordedRequest,
): Promise<void> {
  const { step } = resolved;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...step.headers });
  res.flushHeaders();
  let content = 0;
  for (const frame of dialect.stream(resolved, request)) {
    if (res.destroyed) return;
    if (frame.kind === 'terminator' && step.omitTerminator) continue;
    if (frame.kind === 'finish' && step.omitFinish) continue;
    if (frame.kind !== 'open') {
      // Faults happen "after N content chunks": before the next content chunk or whatever follows the last.
      if (content === step.cutAfterChunks) {
        // end(), not destroy(): destroy would drop the chunks still queued for the socket.
        res.socket?.end();
        return;
      }
      if (content === step.stallAfterChunks) return;
      const pings = step.pingsAfterChunks;
      if (pings !== undefined && content === pings.after && frame.kind === 'content') {
        for (let i = 0; i < pings.count; i++) {
          if (!(await wait(pings.everyMs, res))) return;
          res.write(': ping\n\n');
        }
      }
      if (content === step.streamErrorAfterChunks) {
        res.end(dialect.streamError(step));
        return;
      }
    }
    if (frame.kind === 'content') {
      if (content === step.malformedAt) res.write(dialect.malformed());
      if (content > 0 && step.chunkDelayMs !== undefined && !(await wait(step.chunkDelayMs, res))) return;
      content += 1;
    }
    res.write(frame.text);
  }
  if (step.holdAfterTerminator) return;
  res.end();
}

function resolveStep(step: WireStep, request: RecordedRequest, serial: number): ResolvedStep {
  const text = step.text ?? DEFAULT_TEXT;
  const pieces = splitText(text, step.chunks);
  const toolCalls = step.toolCalls ?? [];
  const requested = request.body?.model;
  return {
    step,
    text,
    pieces,
    usage: step.usage ?? {
      input: Math.ceil(JSON.stringify(request.body?.messages ?? '').length / 4),
      output: pieces.length,
    },
    finish: step.finish ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    model: step.model ?? (typeof requested === 'string' ? requested : 'wire-model'),
    toolCalls,
    serial,
  };
}

/** Words with their trailing spaces, or `chunks` nearly equal slices; concatenated they are the text. */
export function splitText(text: string, chunks?: number): string[] {
  if (text === '') return [];
  if (chunks === undefined) return text.match(/\S+\s*|\s+/g) ?? [text];
  const size = Math.ceil(text.length / chunks);
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}

/** Resolves true after `ms`, or false as soon as the client goes away (leaving no timer). */
function wait(ms: number, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(true);
    }, ms);
    res.once('close', onClose);
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Readonly<Record<string, string>>,
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function readAll(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(raw: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** One SSE event: an optional `event:` line and one `data:` line. */
export function sse(data: unknown, event?: string): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  return `${event === undefined ? '' : `event: ${event}\n`}data: ${payload}\n\n`;
}
