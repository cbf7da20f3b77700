import { z } from 'zod';
import type { FeedbackInput } from '../app/gateway/submit-feedback.js';

const feedbackSchema = z.strictObject({
  request_id: z.string().min(1).max(200),
  value: z.union([z.enum(['up', 'down']), z.number().min(0).max(1)], {
    error: 'value must be "up", "down" or a number from 0 to 1',
  }),
  comment: z.string().max(10_000).optional(),
  tags: z.array(z.string().min(1).max(100)).max(50).optional(),
  /** The x-ballast-feedback-token, for clients that cannot set headers (a form post). */
  token: z.string().max(4096).optional(),
});

/** `POST /v1/feedback` body → the use case's input, or the first problem in words. */
export function parseFeedbackBody(
  body: unknown,
): { ok: true; value: FeedbackInput; token: string | undefined } | { ok: false; message: string } {
  const parsed = feedbackSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.join('.');
    return { ok: false, message: path ? `${path}: ${issue.message}` : issue.message };
  }
  const b = parsed.data;
  return {
    ok: true,
    value: {
      // The completion's `id` is `chatcmpl-<request id>`: what an SDK user holds, so take it too.
      requestId: b.request_id.startsWith('chatcmpl-') ? b.request_id.slice('chatcmpl-'.length) : b.request_id,
      value: b.value,
      ...(b.comment !== undefined ? { comment: b.comment } : {}),
      ...(b.tags !== undefined ? { tags: b.tags } : {}),
    },
    token: b.token,
  };
}
