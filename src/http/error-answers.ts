import type { FastifyInstance, FastifyReply } from 'fastify';
import type { GatewayError } from '../app/gateway/gateway-errors.js';
import { errorBody } from './openai-response.js';

/** Writes an error in OpenAI's shape, with Retry-After when the error carries one. */
export function sendError(
  reply: FastifyReply,
  error: Pick<GatewayError, 'status' | 'message' | 'type' | 'code' | 'retryAfterMs'>,
): FastifyReply {
  if (error.retryAfterMs !== undefined)
    reply.header('retry-after', String(Math.ceil(error.retryAfterMs / 1000)));
  return reply.code(error.status).send(errorBody(error));
}

/**
 * What the gateway answers when no route handler does, always in OpenAI's error shape: bodies
 * Fastify cannot read (413, 415, 400), unknown endpoints (404), requests that arrive while the
 * server stops (503), requests to a host other than loopback's when no keys are set (403), and
 * anything unexpected (500, logged).
 */
export function installErrorAnswers(
  app: FastifyInstance,
  deps: {
    readonly bodyLimit: number;
    readonly logError: (message: string) => void;
    /** Answer only requests whose Host is localhost, 127.x or [::1] (no API keys configured). */
    readonly loopbackHostsOnly?: boolean;
  },
): void {
  // While the server stops, a request that still reaches it (on a connection kept busy by a
  // response in progress) is turned away in OpenAI's shape with `Connection: close` (Fastify sets
  // it), and OpenAI's clients retry it on a fresh connection.
  let stopping = false;
  app.addHook('preClose', (done) => {
    stopping = true;
    done();
  });
  // One hook for both checks: a hook per request costs more than the check.
  const loopbackOnly = deps.loopbackHostsOnly === true;
  app.addHook('onRequest', (request, reply, done) => {
    if (stopping)
      return void sendError(reply, {
        status: 503,
        type: 'api_error',
        code: 'server_stopping',
        message: 'The gateway is stopping; send the request again',
        retryAfterMs: 1000,
      });
    if (loopbackOnly && !isLoopbackHost(request.headers.host))
      return void sendError(reply, {
        status: 403,
        type: 'permission_error',
        code: 'host_not_allowed',
        message:
          'Without API keys (auth.keys) the gateway answers requests to localhost, 127.0.0.1 or [::1] only',
      });
    done();
  });

  app.setErrorHandler((error: { code?: string; statusCode?: number; message?: string }, _request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return sendError(reply, {
        status: 413,
        type: 'invalid_request_error',
        code: 'request_too_large',
        message: `The request body is larger than the limit of ${deps.bodyLimit} bytes (server.body_limit_bytes)`,
      });
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return sendError(reply, {
        status: 415,
        type: 'invalid_request_error',
        code: 'unsupported_media_type',
        message: 'Send the body as JSON with Content-Type: application/json',
      });
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)
      return sendError(reply, {
        status: error.statusCode,
        type: 'invalid_request_error',
        code: error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'empty_body' : 'invalid_json',
        message: `The request body could not be read: ${error.message ?? 'invalid'}`,
      });
    deps.logError(`unexpected error: ${error.message ?? String(error)}`);
    return sendError(reply, {
      status: 500,
      type: 'api_error',
      code: 'internal_error',
      message: 'The gateway failed unexpectedly; the error is in its log',
    });
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, {
      status: 404,
      type: 'invalid_request_error',
      code: 'not_found',
      message: `Unknown endpoint ${request.method} ${request.url.split('?')[0]}`,
    }),
  );
}

/** A Host header naming the loopback interface: localhost, 127.0.0.1 (any 127.x) or [::1], any port. */
function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.toLowerCase().replace(/:\d+$/, '');
  return name === 'localhost' || name === '[::1]' || /^127(\.\d{1,3}){3}$/.test(name);
}
