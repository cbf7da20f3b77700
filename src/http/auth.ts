import { createHash, timingSafeEqual } from 'node:crypto';

export type Scope = 'gateway' | 'feedback' | 'read' | 'admin';

export interface ApiKey {
  readonly name: string;
  readonly key: string;
  readonly scopes: readonly Scope[];
}

export type AuthResult =
  | { readonly ok: true; readonly name: string | null; readonly scopes: ReadonlySet<Scope> }
  | { readonly ok: false; readonly status: 401 | 403; readonly message: string };

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * API keys from ballast.yaml. Each presented key is hashed and compared with every configured
 * key's hash with `timingSafeEqual` (constant time in the key's content; hashing first makes the
 * lengths equal), and the loop does not stop at the first match, so the time does not say which
 * key — or how much of one — matched. Keys are never logged: only their names.
 */
export class KeyRing {
  readonly #keys: readonly { name: string; hash: Buffer; scopes: ReadonlySet<Scope> }[];

  constructor(keys: readonly ApiKey[]) {
    this.#keys = keys.map((k) => ({ name: k.name, hash: digest(k.key), scopes: new Set(k.scopes) }));
  }

  /** With no keys configured every request is allowed (the server then listens on 127.0.0.1 only). */
  get open(): boolean {
    return this.#keys.length === 0;
  }

  /** The key from `Authorization: Bearer …` or `x-api-key`, checked for one of `scopes`. */
  check(authorization: string | undefined, apiKey: string | undefined, scopes: readonly Scope[]): AuthResult {
    if (this.open) return { ok: true, name: null, scopes: new Set(['gateway', 'feedback', 'read', 'admin']) };
    const presented = bearer(authorization) ?? apiKey;
    if (!presented)
      return {
        ok: false,
        status: 401,
        message: 'Missing API key: send it as "Authorization: Bearer <key>" (or the x-api-key header)',
      };
    const h = digest(presented);
    let found: { name: string; scopes: ReadonlySet<Scope> } | undefined;
    for (const k of this.#keys) if (timingSafeEqual(h, k.hash) && found === undefined) found = k;
    if (!found) return { ok: false, status: 401, message: 'Incorrect API key provided' };
    if (found.scopes.has('admin') || scopes.some((s) => found.scopes.has(s)))
      return { ok: true, name: found.name, scopes: found.scopes };
    return {
      ok: false,
      status: 403,
      message: `The key "${found.name}" lacks the scope this endpoint needs (${scopes.join(' or ')})`,
    };
  }
}

function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}
