import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ActInput, HumanAction, RolloutStatusView } from '../app/controller/controller.js';
import type { Decision } from '../app/ports/decision-store.js';
import { BallastError } from '../core/errors.js';
import { errorBody } from './openai-response.js';

/** What the admin API needs: the controller's human actions, its status and the decision log. */
export interface AdminDeps {
  act(input: ActInput): Promise<Decision>;
  status(changeId: string): Promise<RolloutStatusView>;
  decisions(filter: { changeId?: string; limit?: number }): Promise<Decision[]>;
}

const ACTIONS: readonly HumanAction[] = ['start', 'pause', 'resume', 'advance', 'rollback', 'promote'];

// The actor is the API key's name (`local` without keys), never the caller's say.
const actBody = z.strictObject({
  reason: z.string().min(1).max(2_000).optional(),
  skip_gate: z.boolean().optional(),
  /** advance only: the stage (1-based, as `ballast rollout status` shows it) the caller saw. */
  from_stage: z.number().int().min(1).max(1_000).optional(),
});

/** Decisions a GET /api/decisions returns without a limit: the newest this many. */
const DEFAULT_DECISIONS = 200;

const STATUS_OF: Record<string, number> = {
  BALLAST_ERR_NOT_FOUND: 404,
  BALLAST_ERR_CONFLICT: 409,
  BALLAST_ERR_USAGE: 400,
};

/** A BallastError from the controller → its HTTP status, in the same error shape as the gateway. */
function sendBallastError(reply: FastifyReply, error: unknown) {
  if (error instanceof BallastError && STATUS_OF[error.code] !== undefined) {
    const status = STATUS_OF[error.code]!;
    return reply.code(status).send(
      errorBody({
        message: error.message,
        type: status === 409 ? 'conflict_error' : 'invalid_request_error',
        code: error.code.replace('BALLAST_ERR_', '').toLowerCase(),
      }),
    );
  }
  throw error;
}

/**
 * The admin API (issue #6): people stay in charge. `POST /api/changes/:id/<action>` (admin scope)
 * records the action as a decision with actor and reason; `GET /api/changes/:id` (read) shows the
 * rollout's stage, units, each metric's bounds and what would happen next; `GET /api/decisions`
 * (read) reads the log.
 */
export function registerAdminRoutes(
  app: FastifyInstance,
  deps: AdminDeps,
  guard: (
    scopes: readonly ('admin' | 'read')[],
  ) => (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
  actorOf: (request: FastifyRequest) => string,
): void {
  app.post<{ Params: { id: string; action: string } }>(
    '/api/changes/:id/:action',
    { onRequest: guard(['admin']) },
    async (request, reply) => {
      const { id, action } = request.params;
      if (!(ACTIONS as readonly string[]).includes(action))
        return reply.code(404).send(
          errorBody({
            message: `unknown action "${action}"; one of ${ACTIONS.join(', ')}`,
            type: 'invalid_request_error',
            code: 'not_found',
          }),
        );
      // A JSON body, always (`{}` at least): a browser sends a cross-site POST without a preflight
      // only when it has no body or a form's type, so this keeps every other page's script out.
      if (!isJson(request))
        return reply.code(415).send(
          errorBody({
            message: 'send a JSON body ({} at least) with Content-Type: application/json',
            type: 'invalid_request_error',
            code: 'unsupported_media_type',
          }),
        );
      const body = actBody.safeParse(request.body);
      if (!body.success)
        return reply.code(400).send(
          errorBody({
            message: body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
            type: 'invalid_request_error',
            code: 'invalid_request',
          }),
        );
      try {
        const decision = await deps.act({
          action: action as HumanAction,
          changeId: id,
          actor: actorOf(request),
          ...(body.data.reason !== undefined ? { reason: body.data.reason } : {}),
          ...(body.data.skip_gate ? { skipGate: true } : {}),
          ...(body.data.from_stage !== undefined ? { fromStage: body.data.from_stage - 1 } : {}),
        });
        return reply.send(decision);
      } catch (error) {
        return sendBallastError(reply, error);
      }
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/changes/:id',
    { onRequest: guard(['read']) },
    async (request, reply) => {
      try {
        return reply.send(await deps.status(request.params.id));
      } catch (error) {
        return sendBallastError(reply, error);
      }
    },
  );

  app.get<{ Querystring: { change?: string | string[]; limit?: string | string[] } }>(
    '/api/decisions',
    { onRequest: guard(['read']) },
    async (request, reply) => {
      const { change } = request.query;
      // A parameter given twice arrives as an array: one change and one limit per request.
      if (Array.isArray(change) || Array.isArray(request.query.limit) || change === '')
        return reply.code(400).send(
          errorBody({
            message: 'give change (not empty) and limit at most once each',
            type: 'invalid_request_error',
            code: 'invalid_request',
          }),
        );
      const limit = request.query.limit === undefined ? undefined : Number(request.query.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 10_000))
        return reply.code(400).send(
          errorBody({
            message: 'limit must be a whole number from 1 to 10000',
            type: 'invalid_request_error',
            code: 'invalid_request',
          }),
        );
      // The newest `limit` (default 200), oldest first, as `ballast log --limit` shows them.
      return reply.send({
        object: 'list',
        data: await deps.decisions({
          ...(change ? { changeId: change } : {}),
          limit: limit ?? DEFAULT_DECISIONS,
        }),
      });
    },
  );
}

function isJson(request: FastifyRequest): boolean {
  const type = request.headers['content-type'];
  return typeof type === 'string' && /^application\/json\s*(;|$)/i.test(type);
}
