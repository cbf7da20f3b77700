/**
 * API keys are hashed before they reach the store; only the hash is ever stored or returned, so a
 * leaked database does not leak usable keys.
 */
export interface ApiKey {
  readonly name: string;
  readonly keyHash: string;
  readonly scopes: readonly string[];
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface PutApiKeyInput {
  readonly name: string;
  readonly keyHash: string;
  readonly scopes: readonly string[];
  readonly at: number;
}

export interface ApiKeyStore {
  /**
   * Upsert by name: a new hash replaces the old one (rotation), createdAt is kept. A hash already
   * used by another name throws BALLAST_ERR_CONFLICT.
   */
  put(input: PutApiKeyInput): Promise<ApiKey>;
  findByHash(keyHash: string): Promise<ApiKey | undefined>;
  /** Ordered by name. */
  list(): Promise<ApiKey[]>;
}
