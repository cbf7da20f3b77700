import { describe, expect, it } from 'vitest';
import { checkText } from '../../../src/core/guardrail/check-text.js';
import { detectPii } from '../../../src/core/guardrail/detect-pii.js';
import {
  ibanChecksumValid,
  isCardNumber,
  isSpanishId,
  luhnValid,
} from '../../../src/core/guardrail/pii-validators.js';
import { SIM_UNSAFE_SNIPPETS } from '../../../src/core/sim/sim-answers.js';

/** Each true positive must be found whole, once, with the right label, inside a sentence. */
const POSITIVES: readonly (readonly [string, string])[] = [
  ['jane.doe@example.com', 'email'],
  ['john.smith+tag@mail.co.uk', 'email'],
  ['a_b@sub.example.org', 'email'],
  ['+1 415 555 0134', 'phone'],
  ['+44 20 7946 0958', 'phone'],
  ['+49 30 901820', 'phone'],
  ['+33 1 23 45 67 89', 'phone'],
  ['+81 3-1234-5678', 'phone'],
  ['+91 98765 43210', 'phone'],
  ['+1 (415) 555-0134', 'phone'],
  ['+14155550134', 'phone'],
  ['(415) 555-0134', 'phone'],
  ['415-555-0134', 'phone'],
  ['415.555.0134', 'phone'],
  ['1-800-555-0199', 'phone'],
  ['020 7946 0958', 'phone'],
  ['07700 900123', 'phone'],
  ['01 23 45 67 89', 'phone'],
  ['030 1234567', 'phone'],
  ['4111 1111 1111 1111', 'card'],
  ['5555 5555 5555 4444', 'card'],
  ['3782 822463 10005', 'card'],
  ['378282246310005', 'card'],
  ['6011111111111117', 'card'],
  ['4012-8888-8888-1881', 'card'],
  ['GB82 WEST 1234 5698 7654 32', 'iban'],
  ['DE89370400440532013000', 'iban'],
  ['FR14 2004 1010 0505 0001 3M02 606', 'iban'],
  ['NL91ABNA0417164300', 'iban'],
  ['ES91 2100 0418 4502 0005 1332', 'iban'],
  ['078-05-1120', 'ssn'],
  ['123-45-6789', 'ssn'],
  ['AB123456C', 'national-id'],
  ['AB 12 34 56 C', 'national-id'],
  ['12345678Z', 'national-id'],
  ['X1234567L', 'national-id'],
  ['046-454-286', 'national-id'],
];

/** Numbers that look like PII to a naive pattern and are not. */
const NEGATIVES = [
  'Version 1.2.3 and v10.15.3-beta.2 are out.',
  'Released 2024-01-15, updated 15/01/2024 and 01.02.2024 at 10:30:00.',
  'Order #123456789 and order id ORD-2024-000123.',
  'Order 4000 1234 5678 9010 shipped (not Luhn-valid).',
  'Order 1234-5678-9012-3456 shipped.',
  'Invoice INV-2024-00017, ref 2024/11/05-0042.',
  'Tracking number 1Z999AA10123456784.',
  'Build 20240115123045, timestamp 1718035200123, epoch 1700000000.',
  'Server at 192.168.100.200 on port 8080.',
  'ISBN 978-3-16-148410-0',
  'Total $1,299.00 for 3 items; 1 000 000 people.',
  'UUID 123e4567-e89b-12d3-a456-426614174000',
  'sha 9f86d081884c7d659a2feaa0c55ad015',
  'Call extension 1234, or 555-0134 internally.',
  'The years 1990-2000 and 2010-2020; ratio 16:9.',
  'Coordinates 51.5074, -0.1278; chapter 3.4.5.',
  'email me at support (at) example dot com',
  'DE12 is a region code; P.O. Box 1234.',
  'SSN-like 000-12-3456 and 666-12-3456 are never issued.',
  'IBAN with a wrong checksum: GB82 WEST 1234 5698 7654 33',
  'Open Settings > Security and choose Reset password; a link is emailed to you.',
];

describe('detectPii', () => {
  it.each(POSITIVES)('finds %s as %s', (text, label) => {
    const sentence = `Please note: ${text}, thanks.`;
    const findings = detectPii(sentence);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ check: 'pii', label, start: 13, end: 13 + text.length });
  });

  it.each(NEGATIVES)('finds nothing in %j', (text) => {
    expect(detectPii(text)).toEqual([]);
  });

  it('catches every unsafe PII snippet the sim produces', () => {
    const pii = SIM_UNSAFE_SNIPPETS.filter((s) => s.check === 'pii');
    expect(pii.length).toBeGreaterThanOrEqual(3);
    for (const snippet of pii) {
      const result = checkText(snippet.text, 'pii');
      expect(result.hit, snippet.text).toBe(true);
      expect(result.findings.map((f) => f.label)).toContain(snippet.kind);
    }
  });

  it('reports each number once: a card is not also a phone', () => {
    const findings = detectPii('Card 4111 1111 1111 1111 or call +44 20 7946 0958 or mail a@b.io');
    expect(findings.map((f) => f.label)).toEqual(['card', 'phone', 'email']);
  });

  it('redacts every finding with its label', () => {
    const result = checkText('Mail jane.doe@example.com or call +1 415 555 0134.', 'pii');
    expect(result.redacted).toBe('Mail [REDACTED:email] or call [REDACTED:phone].');
  });

  it('leaves a trailing sentence dot out of an e-mail address', () => {
    const text = 'Write to jane.doe@example.com.';
    const [f] = detectPii(text);
    expect(text.slice(f!.start, f!.end)).toBe('jane.doe@example.com');
  });

  it('stops an IBAN at the country length, not at the next capitalised word', () => {
    const text = 'IBAN DE89 3704 0044 0532 0130 00 AND more';
    const [f] = detectPii(text);
    expect(text.slice(f!.start, f!.end)).toBe('DE89 3704 0044 0532 0130 00');
  });
});

describe('PII validators', () => {
  it('Luhn accepts test card numbers and rejects a changed digit', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('79927398713')).toBe(true);
  });

  it('cards need a network prefix, a card-like grouping and more than one repeated digit', () => {
    expect(isCardNumber('4111 1111 1111 1111')).toBe(true);
    expect(isCardNumber('0000 0000 0000 0000')).toBe(false);
    expect(isCardNumber('4111-1111 1111-1111')).toBe(false);
    expect(isCardNumber('41 1111 1111 1111 11')).toBe(false);
    expect(isCardNumber('7111111111111114')).toBe(false);
  });

  it('IBAN MOD 97-10', () => {
    expect(ibanChecksumValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanChecksumValid('GB82WEST12345698765433')).toBe(false);
  });

  it('Spanish DNI and NIE check letters', () => {
    expect(isSpanishId('12345678Z')).toBe(true);
    expect(isSpanishId('12345678A')).toBe(false);
    expect(isSpanishId('X1234567L')).toBe(true);
  });
});
