import cors from '@fastify/cors';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { CancelSource, type Gateway, type GatewayStreamEvent, type Served } from '../app/gateway/gateway.js';
import { type FeedbackDeps, type FeedbackInput, submitFeedback } from '../app/gateway/submit-feedback.js';
import { resolveUnit } from '../app/gateway/unit.js';
import { InFlight } from '../core/async/in-flight.js';
import { type AdminDeps, registerAdminRoutes } from './admin-routes.js';
import type { KeyRing, Scope } from './auth.js';
import { installErrorAnswers, sendError } from './error-answers.js';
import { parseFeedbackBody } from './feedback-request.js';
import { FEEDBACK_TOKEN_TTL_MS, type FeedbackTokens } from './feedback-token.js';
import { FrameBatch } from './frame-batch.js';
import { parseChatBody } from './openai-request.js';
import {
  ChunkFrames,
  completionBody,
  DONE_FRAME,
  errorFrame,
  NO_CHOICE,
  openaiFinish,
  openaiUsage,
  toolCallFragment,
} from './openai-response.js';

export interface ReadyReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, unknown>>;
}

export interface GatewayServerDeps {
  readonly gateway: Gateway;
  readonly keys: KeyRing;
  readonly tokens: FeedbackTokens;
  readonly feedback: FeedbackDeps;
  readonly metrics: { text(): Promise<string>; readonly contentType: string };
  readonly ready: () => Promise<ReadyReport>;
  /** The names `GET /v1/models` lists: the project's routes. */
  readonly models: () => readonly string[];
  readonly bodyLimit: number;
  readonly newRequestId: () => string;
  /** The unit of a request without an identity (not sticky), from its id. */
  readonly randomUnit: (requestId: string) => string;
  readonly now: () => number;
  /** Where unexpected errors are reported (never with request content or keys). */
  readonly logError: (message: string) => void;
  /** The rollout admin API; absent when the controller does not run. */
  readonly admin?: AdminDeps;
  /**
   * Origins whose pages may send feedback from the browser (server.feedback_cors_origins): CORS on
   * `POST /v1/feedback` only; `*` is any origin, an empty list none.
   */
  readonly feedbackCorsOrigins?: readonly string[];
  /**
   * Counts chat and feedback requests until their handler has finished (and reported), so a stop
   * can wait for them before telemetry's last flush.
   */
  readonly inFlight?: InFlight;
}

type Reply = FastifyReply;

const AUTH_TYPES = { 401: 'authentication_error', 403: 'permission_error' } as const;

/**
 * The gateway's HTTP face (issue #5): OpenAI's chat completions (JSON and SSE), models, feedback,
 * health, readiness and Prometheus metrics. Every error leaves in OpenAI's shape
 * `{error: {message, type, code}}`; malformed input is a 4xx, never a 5xx.
 */
export function createGatewayServer(deps: GatewayServerDeps): FastifyInstance {
  const app = Fastify({
    // Off: a log line per request costs more CPU than the rest of the hop; errors go to logError.
    logger: false,
    bodyLimit: deps.bodyLimit,
    // Off: Fastify's own 503 is not in OpenAI's shape; the onRequest hook below answers instead.
    return503OnClosing: false,
    // Every request's id is one of ours, so a chat completion's is known before anything can fail.
    genReqId: () => deps.newRequestId(),
    // A URL Fastify cannot route (a bad percent-escape, a path parameter over its length limit)
    // gets an answer in OpenAI's shape too.
    frameworkErrors: (error, _request, reply) => {
      const status = (error as { statusCode?: number }).statusCode ?? 400;
      void sendError(reply, {
        status: status >= 400 && status < 500 ? status : 400,
        type: 'invalid_request_error',
        code: 'invalid_url',
        message: `The request's URL cannot be read: ${error.message}`,
      });
    },
  });
  const inFlight = deps.inFlight ?? new InFlight();

  // Without keys the gateway listens on loopback only, and answers only requests that name a
  // loopback host: a page on another site that rebinds its own name to 127.0.0.1 (DNS rebinding)
  // would otherwise reach every endpoint from a visitor's browser.
  installErrorAnswers(app, { ...deps, loopbackHostsOnly: deps.keys.open });

  const authorize = (request: FastifyRequest, reply: Reply, scopes: readonly Scope[]): boolean => {
    const result = deps.keys.check(
      request.headers.authorization,
      headerValue(request.headers['x-api-key']),
      scopes,
    );
    if (result.ok) return true;
    void sendError(reply, {
      status: result.status,
      type: AUTH_TYPES[result.status],
      code: result.status === 401 ? 'invalid_api_key' : 'insufficient_scope',
      message: result.message,
    });
    return false;
  };

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const report = await deps.ready();
    return reply
      .code(report.ready ? 200 : 503)
      .send({ status: report.ready ? 'ready' : 'not_ready', ...report.checks });
  });

  // Keys are checked in onRequest, before the body is read: a request without a valid key gets
  // 401/403, not a 400 or 413 about a body nobody should have looked at.
  const requireScope = (scopes: readonly Scope[]) => async (request: FastifyRequest, reply: Reply) => {
    if (!authorize(request, reply, scopes)) return reply;
  };

  if (deps.admin)
    registerAdminRoutes(app, deps.admin, requireScope, (request) => {
      const result = deps.keys.check(
        request.headers.authorization,
        headerValue(request.headers['x-api-key']),
        ['admin'],
      );
      return result.ok && result.name ? result.name : 'local';
    });

  app.get('/metrics', { onRequest: requireScope(['read']) }, async (_request, reply) => {
    const text = await deps.metrics.text();
    return reply.header('content-type', deps.metrics.contentType).send(text);
  });

  app.get('/v1/models', { onRequest: requireScope(['gateway', 'read']) }, async () => {
    return {
      object: 'list',
      data: deps.models().map((id) => ({ id, object: 'model', created: 0, owned_by: 'ballast' })),
    };
  });

  const feedback = async (request: FastifyRequest, reply: Reply) => {
    const parsed = parseFeedbackBody(request.body);
    if (!parsed.ok)
      return sendError(reply, {
        status: 400,
        type: 'invalid_request_error',
        code: 'invalid_feedback',
        message: parsed.message,
      });
    const token = headerValue(request.headers['x-ballast-feedback-token']) ?? parsed.token;
    const claims = token ? deps.tokens.verify(token, deps.now()) : undefined;
    const vouched = claims !== undefined && claims.requestId === parsed.value.requestId;
    if (
      !vouched &&
      token !== undefined &&
      deps.keys.check(request.headers.authorization, headerValue(request.headers['x-api-key']), ['feedback'])
        .ok !== true
    )
      return sendError(reply, {
        status: 401,
        type: 'authentication_error',
        code: 'invalid_feedback_token',
        message:
          claims === undefined
            ? 'The feedback token is invalid or expired (tokens are valid for 7 days)'
            : 'The feedback token was issued for another request',
      });
    if (!vouched && !authorize(request, reply, ['feedback'])) return reply;
    const input: FeedbackInput = parsed.value;
    const outcome = await submitFeedback(
      deps.feedback,
      input,
      vouched
        ? {
            route: claims.route,
            changeId: claims.changeId,
            arm: claims.arm ?? null,
            variant: claims.variant,
            ...(claims.unit !== undefined ? { unit: claims.unit } : {}),
            at: deps.now(),
          }
        : undefined,
    );
    if (!outcome.ok)
      return sendError(reply, {
        status: 404,
        type: 'invalid_request_error',
        code: 'request_not_found',
        message: outcome.message,
      });
    return reply.code(201).send({
      id: outcome.id,
      object: 'feedback',
      request_id: input.requestId,
      variant: outcome.variant,
      value: outcome.value,
      replaces: outcome.replaces,
    });
  };

  // CORS for the feedback endpoint only, in a scope of its own: a page elsewhere can send feedback
  // with the token its back end passed on, while a preflight for any other path still gets 404,
  // so no page can make a browser call the model routes.
  app.register(async (scope) => {
    const origins = deps.feedbackCorsOrigins ?? [];
    if (origins.length > 0) {
      const policy = {
        origin: origins.includes('*') ? '*' : [...origins],
        methods: ['POST'],
        allowedHeaders: ['content-type', 'x-ballast-feedback-token', 'authorization', 'x-api-key'],
        maxAge: 600,
      };
      await scope.register(cors, {
        delegator: (request, callback) =>
          callback(null, request.url.split('?')[0] === '/v1/feedback' ? policy : { origin: false }),
      });
    }
    scope.post('/v1/feedback', (request, reply) => inFlight.track(() => feedback(request, reply)));
  });

  // The request id goes out first, so an auth failure or a bad body carries it too.
  const requestIdHeader = async (request: FastifyRequest, reply: Reply) => {
    reply.header('x-ballast-request-id', request.id);
  };
  app.post(
    '/v1/chat/completions',
    { onRequest: [requestIdHeader, requireScope(['gateway'])] },
    (request, reply) => inFlight.track(() => chat(request, reply)),
  );

  const chat = async (request: FastifyRequest, reply: Reply): Promise<Reply> => {
    // Fastify reads text/plain as a string: a JSON request sent with the wrong type is told so.
    if (typeof request.body === 'string')
      return sendError(reply, {
        status: 415,
        type: 'invalid_request_error',
        code: 'unsupported_media_type',
        message: 'Send the body as JSON with Content-Type: application/json',
      });
    const parsed = parseChatBody(request.body);
    if (!parsed.ok)
      return sendError(reply, {
        status: 400,
        type: 'invalid_request_error',
        code: 'invalid_request',
        message: parsed.message,
      });
    const body = parsed.value;
    const requestId = request.id;
    const { unit, source } = resolveUnit(
      {
        header: headerValue(request.headers['x-ballast-unit']),
        user: body.user,
        safetyIdentifier: body.safetyIdentifier,
      },
      () => deps.randomUnit(requestId),
    );
    // The client going away aborts the upstream call (and everything waiting on it).
    const client = new CancelSource();
    const onClose = () => {
      if (!reply.raw.writableFinished) client.abort();
    };
    reply.raw.on('close', onClose);
    const gatewayRequest = {
      requestId,
      model: body.model,
      messages: body.messages,
      params: body.params,
      unit,
      unitSource: source,
    };
    const created = Math.floor(deps.now() / 1000);
    const completionId = `chatcmpl-${requestId}`;

    if (!body.stream) {
      const outcome = await deps.gateway.complete(gatewayRequest, client);
      if (outcome.served) servedHeaders(reply, outcome.served);
      if (!outcome.ok) return sendError(reply, outcome.error);
      reply.header('x-ballast-feedback-token', signFor(requestId, outcome.served, unit));
      return reply.send(completionBody(completionId, created, outcome.result));
    }

    const opened = await deps.gateway.openStream(gatewayRequest, client);
    if (opened.served) servedHeaders(reply, opened.served);
    if (!opened.ok) return sendError(reply, opened.error);
    reply.header('x-ballast-feedback-token', signFor(requestId, opened.served, unit));
    reply.header('content-type', 'text/event-stream; charset=utf-8');
    reply.header('cache-control', 'no-cache');
    reply.header('x-accel-buffering', 'no');
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, reply.getHeaders() as Record<string, string>);
    const out = new FrameBatch(res);
    const frames = new ChunkFrames(completionId, created, opened.model);
    out.write(frames.frame({ role: 'assistant', content: '' }, null));
    const events = opened.events;
    try {
      for await (const event of events as AsyncIterable<GatewayStreamEvent>) {
        if (client.aborted) break;
        if (event.type === 'delta') {
          out.write(frames.content(event.text));
        } else if (event.type === 'tool_call') {
          // Fragments as the upstream sent them, so a client can show a call's arguments as they come.
          out.write(frames.frame({ tool_calls: [toolCallFragment(event.call)] }, null));
        } else if (event.type === 'done') {
          frames.model = event.model;
          // Tool calls the provider did not stream go out whole, each with its index, in one chunk
          // before the finish: what the OpenAI clients accumulate from streamed fragments.
          if (event.toolCalls)
            out.write(
              frames.frame(
                {
                  // A call without a type (some servers leave it out) is a function call, as in OpenAI's.
                  tool_calls: event.toolCalls.map((call, index) => ({
                    index,
                    type: 'function',
                    ...(call as object),
                  })),
                },
                null,
              ),
            );
          // The token log-probabilities likewise, all in one chunk (the clients append them).
          if (event.logprobs) out.write(frames.frame({}, null, undefined, event.logprobs));
          // A refusal likewise, in one piece (the clients join delta.refusal pieces).
          if (event.refusal) out.write(frames.frame({ refusal: event.refusal }, null));
          out.write(frames.frame({}, openaiFinish(event.finishReason)));
          if (body.includeUsage) out.write(frames.frame(NO_CHOICE, null, openaiUsage(event.usage)));
          out.write(DONE_FRAME);
          // The reply is whole: send it now, before the request is reported (the loop ends next).
          out.end();
        } else {
          out.write(errorFrame(event.error));
        }
      }
    } finally {
      // A client that left mid-stream: stop the generator (it reports the request as cancelled).
      await events.return(undefined);
      reply.raw.off('close', onClose);
      out.end();
    }
    return reply;
  };

  const signFor = (requestId: string, served: Served, unit: string): string =>
    deps.tokens.sign({
      requestId,
      route: served.route,
      changeId: served.changeId,
      variant: served.variant,
      expiresAt: deps.now() + FEEDBACK_TOKEN_TTL_MS,
      // The unit only matters (and is only included) inside a rollout's arm.
      ...(served.arm !== null ? { arm: served.arm, unit } : {}),
    });

  return app;
}

function servedHeaders(reply: Reply, served: Served): void {
  reply.header('x-ballast-variant', served.variant);
  if (served.changeId !== null) reply.header('x-ballast-change', served.changeId);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
