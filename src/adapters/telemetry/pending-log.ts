import type { RequestRecord } from '../../app/ports/gateway-telemetry.js';

const DEFAULT_MAX_CONTENT_CHARS = 16 * 1024 * 1024;

/**
 * Sampled request-log rows waiting for a flush: at most `maxRows` of them (the rest are dropped
 * and counted), and at most `maxContentChars` characters of prompt and output text between them
 * (with log_content a row can carry a long conversation, and while the store is away rows wait):
 * a row past that budget waits without its text. Rows a failed write hands back go first.
 */
export class PendingLog {
  #rows: RequestRecord[] = [];
  #contentChars = 0;
  /** Rows refused because maxRows were already waiting. */
  dropped = 0;
  /** Rows kept without their text for the budget. */
  contentDropped = 0;

  constructor(
    private readonly maxRows: number,
    private readonly keepContent: boolean,
    private readonly maxContentChars = DEFAULT_MAX_CONTENT_CHARS,
  ) {}

  get size(): number {
    return this.#rows.length;
  }

  /** Adds a row; false when it was dropped (maxRows already waiting). */
  add(request: RequestRecord): boolean {
    if (this.#rows.length >= this.maxRows) {
      this.dropped += 1;
      return false;
    }
    this.#rows.push(this.keepContent ? this.#withinBudget(request) : withoutContent(request));
    return true;
  }

  /** Takes every waiting row. */
  drain(): RequestRecord[] {
    const rows = this.#rows;
    this.#rows = [];
    this.#contentChars = 0;
    return rows;
  }

  /** Puts back rows a write failed with, before the newer ones; returns how many were cut by the bound. */
  restore(rows: RequestRecord[]): number {
    // The older rows come first; whatever exceeds the bound is cut from the newest end.
    const merged = rows.concat(this.#rows);
    const excess = Math.max(0, merged.length - this.maxRows);
    if (excess > 0) {
      merged.length = this.maxRows;
      this.dropped += excess;
    }
    this.#rows = merged;
    this.#contentChars = 0;
    for (const row of merged) this.#contentChars += contentChars(row);
    return excess;
  }

  /** The row as it is, or without its text when the waiting rows' text would pass the budget. */
  #withinBudget(request: RequestRecord): RequestRecord {
    if (request.content === undefined) return request;
    const chars = contentChars(request);
    if (this.#contentChars + chars > this.maxContentChars) {
      this.contentDropped += 1;
      return withoutContent(request);
    }
    this.#contentChars += chars;
    return request;
  }
}

/** The prompt and output text a logged row carries (parts other than text by their JSON). */
function contentChars(request: RequestRecord): number {
  const content = request.content;
  if (content === undefined) return 0;
  let chars = content.output.length;
  for (const m of content.messages)
    chars += typeof m.content === 'string' ? m.content.length : JSON.stringify(m.content ?? null).length;
  return chars;
}

function withoutContent(request: RequestRecord): RequestRecord {
  if (request.content === undefined) return request;
  const { content: _content, ...rest } = request;
  return rest;
}
