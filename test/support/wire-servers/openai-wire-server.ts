import {
  type Frame,
  type RecordedRequest,
  type ResolvedStep,
  sse,
  startWireServer,
  type WireDialect,
  type WireErrorKind,
  type WireServer,
  type WireStep,
} from './wire-server.js';

const CREATED = 1_700_000_000;

/**
 * An OpenAI-compatible chat-completions server (POST …/chat/completions), following the public
 * API reference: `chat.completion` bodies, `chat.completion.chunk` SSE events ending in
 * `data: [DONE]`, the usage-only chunk (`choices: []`) when `stream_options.include_usage` is set,
 * `{error: {message, type, param, code}}` bodies, and Azure's content-filter error.
 */
export function startOpenAIWireServer(): Promise<WireServer> {
  return startWireServer(openaiDialect);
}

export const openaiDialect: WireDialect = {
  accepts: (method, path) => method === 'POST' && path.endsWith('/chat/completions'),

  completion(r: ResolvedStep, request: RecordedRequest) {
    const toolCalls = r.toolCalls.map((t) =>
      t.custom
        ? { id: t.id, type: 'custom', custom: { name: t.name, input: t.arguments } }
        : {
            id: t.id,
            ...(t.untyped ? {} : { type: 'function' }),
            function: { name: t.name, arguments: t.arguments },
          },
    );
    return {
      id: `chatcmpl-wire${r.serial}`,
      object: 'chat.completion',
      created: CREATED,
      model: r.model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: r.text === '' && (toolCalls.length > 0 || r.step.refusal) ? null : r.text,
            refusal: r.step.refusal ?? null,
            ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          },
          logprobs: wantsLogprobs(request) ? { content: r.pieces.map(tokenLogprob), refusal: null } : null,
          finish_reason: r.finish,
        },
      ],
      usage: usageOf(r),
    };
  },

  stream(r: ResolvedStep, request: RecordedRequest): Frame[] {
    const options = request.body?.stream_options as { include_usage?: unknown } | undefined;
    const includeUsage = options?.include_usage === true;
    const chunk = (choices: unknown[], usage: unknown = null): string =>
      sse({
        id: `chatcmpl-wire${r.serial}`,
        object: 'chat.completion.chunk',
        created: CREATED,
        model: r.model,
        choices,
        ...(includeUsage ? { usage } : {}),
      });
    const delta = (d: unknown, finish: string | null = null, logprobs: unknown = null): string =>
      chunk([{ index: 0, delta: d, logprobs, finish_reason: finish }]);
    const frames: Frame[] = [{ kind: 'open', text: delta({ role: 'assistant', content: '' }) }];
    // With `logprobs: true` each content chunk carries the log-probabilities of its own tokens.
    r.pieces.forEach((piece, i) => {
      const logprobs = wantsLogprobs(request) ? { content: [tokenLogprob(piece, i)], refusal: null } : null;
      frames.push({ kind: 'content', text: delta({ content: piece }, null, logprobs) });
    });
    // A refusal streams in two delta.refusal pieces, after any text.
    if (r.step.refusal !== undefined) {
      const half = Math.ceil(r.step.refusal.length / 2);
      for (const piece of [r.step.refusal.slice(0, half), r.step.refusal.slice(half)])
        frames.push({ kind: 'content', text: delta({ refusal: piece }) });
    }
    r.toolCalls.forEach((t, index) => {
      const head = {
        index,
        id: t.id,
        ...(t.untyped ? {} : { type: 'function' }),
        function: { name: t.name, arguments: '' },
      };
      frames.push({ kind: 'content', text: delta({ tool_calls: [head] }) });
      const half = Math.ceil(t.arguments.length / 2);
      for (const part of [t.arguments.slice(0, half), t.arguments.slice(half)]) {
        frames.push({
          kind: 'content',
          text: delta({ tool_calls: [{ index, function: { arguments: part } }] }),
        });
      }
    });
    frames.push({ kind: 'finish', text: delta({}, r.finish) });
    if (includeUsage) frames.push({ kind: 'usage', text: chunk([], usageOf(r)) });
    frames.push({ kind: 'terminator', text: sse('[DONE]') });
    return frames;
  },

  errorBody(status: number, step: WireStep) {
    const kind = step.errorKind ?? kindOfStatus(status);
    if (kind === 'content_filter') {
      // Azure OpenAI's shape for a prompt its content filter refused.
      return {
        error: {
          message:
            step.errorMessage ??
            "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
          type: null,
          param: 'prompt',
          code: 'content_filter',
          status,
          innererror: { code: 'ResponsibleAIPolicyViolation', content_filter_result: {} },
        },
      };
    }
    const [type, code] = ERRORS[kind];
    return { error: { message: step.errorMessage ?? `wire server: ${type}`, type, param: null, code } };
  },

  streamError(step: WireStep) {
    const [type, code] = ERRORS[step.errorKind ?? 'upstream'];
    return sse({
      error: {
        message: step.errorMessage ?? 'The server had an error while processing your request.',
        type,
        code,
      },
    });
  },

  malformed: () =>
    'data: {"id":"chatcmpl-broken","object":"chat.completion.chunk","choices":[{"delta":{"content":\n\n',
};

const ERRORS: Record<WireErrorKind, readonly [string, string | null]> = {
  upstream: ['server_error', null],
  rate_limit: ['requests', 'rate_limit_exceeded'],
  auth: ['invalid_request_error', 'invalid_api_key'],
  bad_request: ['invalid_request_error', null],
  content_filter: ['invalid_request_error', 'content_filter'],
};

function kindOfStatus(status: number): WireErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate_limit';
  return status >= 500 ? 'upstream' : 'bad_request';
}

function usageOf(r: ResolvedStep): Record<string, number> {
  return {
    prompt_tokens: r.usage.input,
    completion_tokens: r.usage.output,
    total_tokens: r.usage.input + r.usage.output,
  };
}

function wantsLogprobs(request: RecordedRequest): boolean {
  return request.body?.logprobs === true;
}

/** One piece as one token of OpenAI's `logprobs.content`, with a log-probability from its place. */
export function tokenLogprob(token: string, index: number) {
  return {
    token,
    logprob: -0.125 * (index + 1),
    bytes: [...Buffer.from(token, 'utf8')],
    top_logprobs: [],
  };
}
