import { eachMatch, type Finding, withoutOverlaps } from './finding.js';

/*
 * Credential shapes as their issuers document them. Each pattern begins where the token begins
 * (a lookbehind refuses starting mid-token, so a long token is tried once, not at every
 * character) and every repetition is bounded: the scan stays linear on any input.
 */
const KNOWN: readonly (readonly [RegExp, string])[] = [
  [/-----BEGIN (?:[A-Z0-9]{1,12} ){0,3}PRIVATE KEY(?: BLOCK)?-----/g, 'private-key'],
  [/(?<![\w-])sk-ant-[A-Za-z0-9_-]{20,300}/g, 'anthropic-key'],
  // OpenAI: legacy `sk-` + 48, project `sk-proj-…`, service account `sk-svcacct-…`, admin `sk-admin-…`.
  [/(?<![\w-])sk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,300}/g, 'openai-key'],
  // AWS access key ids: a four-letter type prefix and 16 base-32 characters.
  [
    /(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16}(?![A-Z0-9])/g,
    'aws-access-key',
  ],
  [/(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})/g, 'github-token'],
  [/(?<![\w-])xox[abposr]-[A-Za-z0-9-]{10,250}/g, 'slack-token'],
  [/https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9_/]{20,200}/g, 'slack-webhook'],
  [/(?<![\w])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,250}/g, 'stripe-key'],
  [/(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])/g, 'google-api-key'],
  [/(?<![\w-])eyJ[A-Za-z0-9_-]{8,2000}\.eyJ[A-Za-z0-9_-]{8,4000}\.[A-Za-z0-9_-]{8,2000}/g, 'jwt'],
];

/**
 * `api_key = "…"`, `password: …`, `AWS_SECRET_ACCESS_KEY=…`: a credential-like name, then a
 * value. Only the value is reported (and redacted), and only when it looks random: see
 * `looksRandom`. The `d` flag gives the value's offsets.
 */
const ASSIGNED =
  /(?<![A-Za-z0-9])(?:api[_-]?key|apikey|secret|token|password|passwd|pwd|client[_-]?secret|access[_-]?key|private[_-]?key|auth)(?:[_-][A-Za-z0-9]{1,12}){0,3}["']?[ \t]{0,3}[:=][ \t]{0,3}["']?([A-Za-z0-9/+_.~=!@#$%^&*-]{12,300})/dgi;
const BEARER = /(?<![\w])Bearer[ \t]{1,3}([A-Za-z0-9._~+/-]{20,500}=*)/dg;

/** Values people write instead of a secret: they are not leaks. */
const PLACEHOLDER =
  /^(?:x+|\*+|your|my|<|\$\{|\{\{|process\.env|example|changeme|placeholder|redacted|dummy|test)/i;

/**
 * Credentials in a text: private key blocks (PEM), OpenAI, Anthropic, AWS, GitHub, Slack,
 * Stripe and Google keys, JWTs, bearer tokens, and random-looking values assigned to
 * credential-like names.
 */
export function detectSecrets(text: string): Finding[] {
  const found: Finding[] = [];
  for (const [re, label] of KNOWN) {
    eachMatch(re, text, (m) => {
      let end = m.index + m[0].length;
      if (label === 'private-key') end = pemEnd(text, end);
      else if (!FIXED_LENGTH.has(label)) end = tokenEnd(text, end, TOKEN_TAIL[label] ?? TOKEN_CHARS);
      if (label === 'openai-key' && !looksRandom(m[0].replace(/^sk-(?:proj-|svcacct-|admin-)?/, ''), 3)) {
        // `sk-learn-is-a-python-library` has the shape but not the randomness of a key.
        return undefined;
      }
      found.push({ check: 'secrets', start: m.index, end, label });
      return end;
    });
  }
  for (const [re, label] of [
    [ASSIGNED, 'secret'],
    [BEARER, 'bearer-token'],
  ] as const) {
    eachMatch(re, text, (m) => {
      const [start, matchedEnd] = m.indices?.[1] ?? [m.index, m.index + m[0].length];
      // The pattern stops at its bound; the value runs on as long as its characters do.
      const end = tokenEnd(text, matchedEnd, label === 'secret' ? ASSIGNED_CHARS : BEARER_CHARS);
      const value = text.slice(start, end);
      if (!PLACEHOLDER.test(value) && looksRandom(value, 2))
        found.push({ check: 'secrets', start, end, label });
      return undefined;
    });
  }
  return withoutOverlaps(found);
}

/** Characters a token runs on with, past the length its pattern stops at (by label; default TOKEN_CHARS). */
const TOKEN_CHARS = /[A-Za-z0-9_-]/y;
/** Shapes of one length, whose patterns already refuse a longer token. */
const FIXED_LENGTH: ReadonlySet<string> = new Set(['aws-access-key', 'google-api-key']);
const TOKEN_TAIL: Readonly<Record<string, RegExp>> = {
  jwt: /[A-Za-z0-9_.-]/y,
  'slack-webhook': /[A-Za-z0-9_/]/y,
};
const ASSIGNED_CHARS = /[A-Za-z0-9/+_.~=!@#$%^&*-]/y;
const BEARER_CHARS = /[A-Za-z0-9._~+/=-]/y;

/**
 * Where a token that matched up to `end` really ends: the patterns bound their repetitions (so the
 * scan stays linear), and a longer token would otherwise leave its tail in clear after the
 * redaction. One pass over the tail: still linear.
 */
function tokenEnd(text: string, end: number, chars: RegExp): number {
  let i = end;
  for (;;) {
    chars.lastIndex = i;
    if (!chars.test(text)) return i;
    i += 1;
  }
}

/** A PEM block ends at its END line when that is in view; otherwise the header alone is reported. */
function pemEnd(text: string, headerEnd: number): number {
  // Keys are a few kB at most (RSA 4096 ≈ 3.3 kB): look no further, so the scan stays bounded.
  const window = text.slice(headerEnd, headerEnd + 8192);
  const m = /-----END (?:[A-Z0-9]{1,12} ){0,3}PRIVATE KEY(?: BLOCK)?-----/.exec(window);
  return m === null ? headerEnd : headerEnd + m.index + m[0].length;
}

/**
 * Randomness test for a candidate secret: at least `classes` of lower case, upper case and
 * digits, and a Shannon entropy of at least 3 bits per character. Random base-62 strings of 16+
 * characters score 3.5–4 bits; English words and identifiers such as `correct_horse` score
 * lower and rarely mix digits and both cases.
 */
export function looksRandom(value: string, classes: number): boolean {
  const present = [/[a-z]/, /[A-Z]/, /\d/].filter((re) => re.test(value)).length;
  return present >= classes && shannonEntropy(value) >= 3;
}

function shannonEntropy(value: string): number {
  if (value.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}
