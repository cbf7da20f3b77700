/**
 * Row shapes as the database holds them. Times are epoch milliseconds in bigint columns (the pg
 * pool parses int8 into numbers, see open-database.ts), JSON is text, and booleans are 0/1
 * integers because better-sqlite3 cannot bind booleans.
 */
export interface ChangesTable {
  id: string;
  route: string;
  candidate: string;
  spec: string;
  content_hash: string;
  created_at: number;
  updated_at: number;
}

export interface RolloutsTable {
  id: string;
  change_id: string;
  status: string;
  stage_index: number;
  exposure: number;
  version: number;
  /** The last decision seq handed out for this rollout; see sql-decision-store.ts. */
  decision_seq: number;
  created_at: number;
  updated_at: number;
}

export interface DecisionsTable {
  rollout_id: string;
  seq: number;
  change_id: string;
  at: number;
  actor: string;
  action: string;
  from_status: string | null;
  to_status: string;
  from_stage: number | null;
  to_stage: number;
  exposure: number;
  reasons: string;
  evidence: string;
}

export interface EvalRunsTable {
  id: string;
  change_id: string;
  baseline_variant: string;
  candidate_variant: string;
  dataset_hash: string;
  config: string;
  status: string;
  verdict: string | null;
  summary: string | null;
  created_at: number;
  finished_at: number | null;
}

export interface EvalCaseResultsTable {
  run_id: string;
  case_id: string;
  arm: string;
  sample: number;
  output: string | null;
  scores: string;
  pass: number | null;
  latency_ms: number | null;
  cost_usd: number | null;
  error: string | null;
}

export interface MetricBucketsTable {
  route: string;
  /** '' stands for "no change" so the column can be part of the primary key on both dialects. */
  change_id: string;
  variant: string;
  bucket_start: number;
  count: number;
  errors: number;
  latency_sum: number;
  latency_sq_sum: number;
  ttft_sum: number;
  ttft_count: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  guardrail_hits: number;
  fallbacks: number;
  /** Added by 0003-gateway with default 0; see MetricCounters. */
  feedback_count: number;
  feedback_sum: number;
  feedback_negative: number;
  feedback_positive: number;
  sketch: string | null;
}

export interface FeedbackTable {
  id: string;
  request_id: string;
  route: string;
  change_id: string | null;
  variant: string | null;
  value: number;
  comment: string | null;
  tags: string;
  at: number;
}

export interface ApiKeysTable {
  name: string;
  key_hash: string;
  scopes: string;
  created_at: number;
  updated_at: number;
}

export interface ResponseCacheTable {
  key: string;
  provider_id: string;
  result: string;
  created_at: number;
}

/** One sampled gateway request (0003-gateway). */
export interface RequestLogTable {
  request_id: string;
  at: number;
  route: string | null;
  change_id: string | null;
  arm: string | null;
  unit: string;
  unit_source: string;
  assigned_variant: string;
  served_variant: string;
  model: string | null;
  stream: number;
  status: number;
  outcome: string;
  error_kind: string | null;
  latency_ms: number;
  ttft_ms: number | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  guardrail_hits: number;
  /** JSON list of AttemptRecord. */
  attempts: string;
  /** JSON list of ChatMessage; null unless content logging is on. */
  messages: string | null;
  output: string | null;
}

export interface SettingsTable {
  key: string;
  value: string;
}

/** Per-unit totals per rollout arm (0004-unit-totals); every counter adds. */
export interface UnitTotalsTable {
  change_id: string;
  arm: string;
  unit: string;
  requests: number;
  errors: number;
  latency_sum: number;
  slow_count: number;
  ttft_sum: number;
  ttft_count: number;
  guardrail_hits: number;
  fallbacks: number;
  feedback_count: number;
  feedback_sum: number;
  feedback_negative: number;
  feedback_positive: number;
  output_tokens: number;
  cost_usd: number;
  updated_at: number;
}

/**
 * Running per-arm sums of every unit metric of one change (0006-change-sums, was 0005's arm_sums),
 * derived from unit_totals in the same transactions; `sums` is a float64 blob laid out by
 * packed-sums.ts.
 */
export interface ChangeSumsTable {
  change_id: string;
  sums: Uint8Array;
}

export interface Database {
  changes: ChangesTable;
  rollouts: RolloutsTable;
  decisions: DecisionsTable;
  eval_runs: EvalRunsTable;
  eval_case_results: EvalCaseResultsTable;
  metric_buckets: MetricBucketsTable;
  feedback: FeedbackTable;
  api_keys: ApiKeysTable;
  response_cache: ResponseCacheTable;
  request_log: RequestLogTable;
  settings: SettingsTable;
  unit_totals: UnitTotalsTable;
  change_sums: ChangeSumsTable;
  telemetry_batches: TelemetryBatchesTable;
}

/** Telemetry batches already applied, so a retried one is not added twice (migration 0008). */
export interface TelemetryBatchesTable {
  id: string;
  applied_at: number;
}
