import { describe, expect, it } from 'vitest';
import { checkText } from '../../../src/core/guardrail/check-text.js';
import { detectSecrets, looksRandom } from '../../../src/core/guardrail/detect-secrets.js';

/** Shapes as the issuers document them; none of these is a live credential. */
const KEYS: readonly (readonly [string, string])[] = [
  ['sk-abcdefghijklmnopqrstuvwxyzABCDEFGH0123456789ab', 'openai-key'],
  ['sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z-AbCd', 'openai-key'],
  [
    'sk-ant-api03-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z-AbCdEf-AAAAA',
    'anthropic-key',
  ],
  ['AKIAIOSFODNN7EXAMPLE', 'aws-access-key'],
  ['ASIAY34FZKBOKMUTVV7A', 'aws-access-key'],
  ['ghp_16C7e42F292c6912E7710c838347Ae178B4a', 'github-token'],
  ['github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV', 'github-token'],
  ['xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx', 'slack-token'],
  ['https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX', 'slack-webhook'],
  ['sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'stripe-key'],
  ['AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe', 'google-api-key'],
  [
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
    'jwt',
  ],
  ['-----BEGIN RSA PRIVATE KEY-----', 'private-key'],
  ['-----BEGIN OPENSSH PRIVATE KEY-----', 'private-key'],
  ['-----BEGIN PRIVATE KEY-----', 'private-key'],
];

/** Credential-like names with random values: only the value is the finding. */
const ASSIGNED: readonly (readonly [string, string])[] = [
  ['api_key = "A8f3kLm92QpX7zR1"', 'A8f3kLm92QpX7zR1'],
  [
    'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  ],
  ['password: Tr0ub4dor&3xY9zQ', 'Tr0ub4dor&3xY9zQ'],
  ['"client_secret": "9d8f7a6s5d4f3g2h1j0kLmNoP"', '9d8f7a6s5d4f3g2h1j0kLmNoP'],
  [
    'Authorization: Bearer ya29.a0AfH6SMBx3k9Lp2Qr7sT1uVwXyZ0123456789',
    'ya29.a0AfH6SMBx3k9Lp2Qr7sT1uVwXyZ0123456789',
  ],
];

const NEGATIVES = [
  'Install sk-learn with pip; see scikit-learn docs.',
  'the task-force-alpha-bravo-charlie-delta team',
  'api_key = "your-api-key-here"',
  'password: changeme',
  'token = ${API_TOKEN}',
  'set OPENAI_API_KEY=<your key>',
  'AKIA is the prefix of AWS access keys.',
  'git commit 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b',
  'uuid 123e4567-e89b-12d3-a456-426614174000',
  'The password must be at least 12 characters long.',
  'secret: the quick brown fox jumps',
  'token: abcdefghijklmnop',
  'Open Settings > Security > API keys and create a new key.',
  '-----BEGIN CERTIFICATE-----',
  '-----BEGIN PUBLIC KEY-----',
];

describe('detectSecrets', () => {
  it.each(KEYS)('finds %s', (key, label) => {
    const text = `here: ${key} (rotate it)`;
    const findings = detectSecrets(text);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ check: 'secrets', label, start: 6, end: 6 + key.length });
  });

  it.each(ASSIGNED)('finds the value of %s', (text, value) => {
    const findings = detectSecrets(text);
    expect(findings).toHaveLength(1);
    expect(text.slice(findings[0]!.start, findings[0]!.end)).toBe(value);
  });

  it.each(NEGATIVES)('finds nothing in %j', (text) => {
    expect(detectSecrets(text)).toEqual([]);
  });

  it('redacts a whole PEM block when its END line is in view', () => {
    const pem =
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu\n-----END RSA PRIVATE KEY-----';
    expect(checkText(`key:\n${pem}\nok`, 'secrets').redacted).toBe('key:\n[REDACTED:private-key]\nok');
  });

  it('redacts a token longer than its pattern reaches, to its last character', () => {
    // Random-looking and longer than every bound (300, 500, 2,000 characters per segment).
    const random = (n: number) => Array.from({ length: n }, (_, i) => 'aB3dE5gH7jK9'[(i * 7) % 12]).join('');
    const key = `sk-proj-${random(427)}`;
    const jwt = `eyJ${random(33)}.eyJ${random(3000)}.${random(2100)}`;
    for (const [text, label] of [
      [`use ${key} now`, 'openai-key'],
      [`client_secret=${random(427)} now`, 'secret'],
      [`Authorization: Bearer ${random(600)} now`, 'bearer-token'],
      [`token ${jwt} now`, 'jwt'],
    ] as const) {
      const redacted = checkText(text, 'secrets').redacted;
      expect(redacted).toMatch(new RegExp(`\\[REDACTED:${label}\\] now$`));
      expect(redacted).not.toMatch(/aB3/);
    }
  });

  it('keeps the credential name and redacts the value', () => {
    expect(checkText('export API_KEY=A8f3kLm92QpX7zR1 && run', 'secrets').redacted).toBe(
      'export API_KEY=[REDACTED:secret] && run',
    );
  });
});

describe('looksRandom', () => {
  it('tells random values from words', () => {
    expect(looksRandom('A8f3kLm92QpX7zR1', 3)).toBe(true);
    expect(looksRandom('correcthorsebattery', 2)).toBe(false);
    expect(looksRandom('aaaaaaaaaaaa1111', 2)).toBe(false);
  });
});
