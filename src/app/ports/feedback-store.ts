export interface Feedback {
  readonly id: string;
  /** The gateway request the feedback is about. */
  readonly requestId: string;
  readonly route: string;
  readonly changeId: string | null;
  readonly variant: string | null;
  /** Normalized score: 0 is worst, 1 is best (a thumbs-up is 1). */
  readonly value: number;
  readonly comment: string | null;
  readonly tags: readonly string[];
  /** Epoch milliseconds. */
  readonly at: number;
}

export type AddFeedbackInput = Feedback;

export interface ListFeedbackFilter {
  readonly requestId?: string;
  readonly changeId?: string;
  readonly limit?: number;
}

export interface FeedbackStore {
  /** A duplicate id throws BALLAST_ERR_CONFLICT; a value outside 0..1 throws BALLAST_ERR_STORE. */
  add(input: AddFeedbackInput): Promise<Feedback>;
  /** Newest first (by at, then id). */
  list(filter?: ListFeedbackFilter): Promise<Feedback[]>;
}
