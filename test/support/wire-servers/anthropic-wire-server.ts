import {
  type Frame,
  type ResolvedStep,
  sse,
  startWireServer,
  type WireDialect,
  type WireErrorKind,
  type WireFinish,
  type WireServer,
  type WireStep,
} from './wire-server.js';

/**
 * An Anthropic Messages server (POST /v1/messages), following the public API reference:
 * `message` bodies with content blocks, the streaming event flow message_start →
 * content_block_start / content_block_delta / content_block_stop → message_delta (stop_reason,
 * cumulative output_tokens) → message_stop with ping events, in-band `error` events, and
 * `{type: "error", error: {type, message}}` bodies (529 is overloaded_error).
 */
export function startAnthropicWireServer(): Promise<WireServer> {
  return startWireServer(anthropicDialect);
}

const STOP_REASONS: Record<WireFinish, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  content_filter: 'refusal',
  // Anthropic has no such reason; an unknown one, as a new or foreign server might send.
  abort: 'abort',
};

export const anthropicDialect: WireDialect = {
  accepts: (method, path) => method === 'POST' && path === '/v1/messages',

  completion(r: ResolvedStep) {
    return {
      id: `msg_wire${r.serial}`,
      type: 'message',
      role: 'assistant',
      model: r.model,
      content: [
        ...(r.text === '' ? [] : [{ type: 'text', text: r.text }]),
        ...r.toolCalls.map((t) => ({
          type: 'tool_use',
          id: t.id,
          name: t.name,
          input: JSON.parse(t.arguments),
        })),
      ],
      stop_reason: STOP_REASONS[r.finish],
      stop_sequence: null,
      usage: { input_tokens: r.usage.input, output_tokens: r.usage.output },
    };
  },

  stream(r: ResolvedStep): Frame[] {
    const event = (type: string, data: Record<string, unknown>): string => sse({ type, ...data }, type);
    const frames: Frame[] = [
      {
        kind: 'open',
        text: event('message_start', {
          message: {
            id: `msg_wire${r.serial}`,
            type: 'message',
            role: 'assistant',
            content: [],
            model: r.model,
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: r.usage.input, output_tokens: 1 },
          },
        }),
      },
      {
        kind: 'open',
        text: event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      },
      { kind: 'open', text: event('ping', {}) },
    ];
    for (const piece of r.pieces) {
      frames.push({
        kind: 'content',
        text: event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: piece } }),
      });
    }
    frames.push({ kind: 'close', text: event('content_block_stop', { index: 0 }) });
    r.toolCalls.forEach((t, i) => {
      const index = i + 1;
      const block = { type: 'tool_use', id: t.id, name: t.name, input: {} };
      frames.push({ kind: 'content', text: event('content_block_start', { index, content_block: block }) });
      const half = Math.ceil(t.arguments.length / 2);
      for (const part of [t.arguments.slice(0, half), t.arguments.slice(half)]) {
        const delta = { type: 'input_json_delta', partial_json: part };
        frames.push({ kind: 'content', text: event('content_block_delta', { index, delta }) });
      }
      frames.push({ kind: 'close', text: event('content_block_stop', { index }) });
    });
    frames.push({
      kind: 'finish',
      text: event('message_delta', {
        delta: { stop_reason: STOP_REASONS[r.finish], stop_sequence: null },
        usage: { output_tokens: r.usage.output },
      }),
    });
    frames.push({ kind: 'terminator', text: event('message_stop', {}) });
    return frames;
  },

  errorBody(status: number, step: WireStep) {
    const kind = step.errorKind ?? undefined;
    const type = kind === undefined ? typeOfStatus(status) : ERROR_TYPES[kind];
    const message =
      step.errorMessage ??
      (kind === 'content_filter' ? 'Output blocked by content filtering policy' : `wire server: ${type}`);
    return { type: 'error', error: { type, message }, request_id: 'req_wire' };
  },

  streamError(step: WireStep) {
    const type = ERROR_TYPES[step.errorKind ?? 'upstream'];
    return sse({ type: 'error', error: { type, message: step.errorMessage ?? 'Overloaded' } }, 'error');
  },

  malformed: () => 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{\n\n',
};

const ERROR_TYPES: Record<WireErrorKind, string> = {
  upstream: 'overloaded_error',
  rate_limit: 'rate_limit_error',
  auth: 'authentication_error',
  bad_request: 'invalid_request_error',
  content_filter: 'invalid_request_error',
};

/** The documented status → error type table (docs.claude.com/en/api/errors). */
function typeOfStatus(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}
