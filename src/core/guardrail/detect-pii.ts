import { eachMatch, type Finding, withoutOverlaps } from './finding.js';
import {
  ibanChecksumValid,
  ibanLength,
  isCanadianSin,
  isCardNumber,
  isSpanishId,
  isUsSsn,
  phoneDigitsPlausible,
} from './pii-validators.js';

/*
 * Every pattern here starts with a negative lookbehind for the characters it would otherwise
 * start inside, so a long run of digits or letters is tried once, from its start, not at every
 * position (what keeps the scan linear: no quadratic retries), and every repetition is bounded.
 * Patterns only find candidates; the validators decide.
 */

const EMAIL =
  /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9-]{1,63}){1,8}/g;
/** A separated or plain run of 13–19 digits; card-like grouping is checked afterwards. */
const CARD = /(?<!\d[ -]?)\d(?:[ -]?\d){12,18}(?![ -]?\d)/g;
const SSN = /(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-]|\s\d)/g;
const SIN = /(?<![\d-])\d{3}([- ])\d{3}\1\d{3}(?![\d-]|\s\d)/g;
/** UK National Insurance number: two prefix letters (some never issued), six digits, A–D. */
const NINO =
  /(?<![A-Za-z0-9])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])/g;
const SPANISH_ID = /(?<![A-Za-z0-9])[XYZ]?\d{7,8}-?[A-Z](?![A-Za-z0-9])/g;
/** Country, check digits, then 11–30 alphanumerics, optionally in groups of four. */
const IBAN = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}/g;
/** International: a `+` and digits with the usual separators; the end must be a digit. */
const PHONE_INTL = /(?<![\w+])\+\d[\d ().-]{5,22}\d(?![\w])/g;
/** North American: (415) 555-0134, 415-555-0134, 1 415 555 0134. */
const PHONE_NANP = /(?<![\w.+/-])(?:1[ .-])?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w]|[./-]\d)/g;
/**
 * National numbers with a trunk prefix 0 (most of Europe, the UK, Australia): 020 7946 0958,
 * 07700 900123, 01 23 45 67 89. Dots are left out: 01.02.2024 is a date far more often.
 */
const PHONE_TRUNK = /(?<![\w.+/-])(?:\(0[1-9]\d{0,3}\)|0[1-9]\d{0,3})(?:[ -]\d{2,8}){1,4}(?![\w]|[./-]\d)/g;

const finding = (start: number, end: number, label: string): Finding => ({ check: 'pii', start, end, label });

/**
 * Personal data in a text: e-mail addresses, phone numbers (international, North American and
 * national trunk-prefixed formats), payment card numbers (Luhn), IBANs (MOD 97), US SSNs, UK
 * National Insurance numbers, Canadian SINs and Spanish DNI/NIE numbers.
 */
export function detectPii(text: string): Finding[] {
  const found: Finding[] = [];
  eachMatch(EMAIL, text, (m) => {
    const [local, domain = ''] = m[0].split('@') as [string, string?];
    const tld = domain.slice(domain.lastIndexOf('.') + 1);
    if (/^[A-Za-z]{2,24}$/.test(tld) && !/^\.|\.\.|\.$/.test(local)) {
      found.push(finding(m.index, m.index + m[0].length, 'email'));
    }
    return undefined;
  });
  eachMatch(IBAN, text, (m) => {
    const end = ibanEnd(m[0]);
    if (end === undefined || /[A-Za-z0-9]/.test(text[m.index + end] ?? '')) return m.index + 1;
    found.push(finding(m.index, m.index + end, 'iban'));
    return m.index + end;
  });
  eachMatch(CARD, text, (m) => {
    if (isCardNumber(m[0])) found.push(finding(m.index, m.index + m[0].length, 'card'));
    return undefined;
  });
  eachMatch(SSN, text, (m) => {
    if (isUsSsn(m[1]!, m[3]!, m[4]!)) found.push(finding(m.index, m.index + m[0].length, 'ssn'));
    return undefined;
  });
  eachMatch(SIN, text, (m) => {
    if (isCanadianSin(m[0].replace(/\D/g, '')))
      found.push(finding(m.index, m.index + m[0].length, 'national-id'));
    return undefined;
  });
  eachMatch(NINO, text, (m) => {
    found.push(finding(m.index, m.index + m[0].length, 'national-id'));
    return undefined;
  });
  eachMatch(SPANISH_ID, text, (m) => {
    if (isSpanishId(m[0].replace('-', '')))
      found.push(finding(m.index, m.index + m[0].length, 'national-id'));
    return undefined;
  });
  for (const [re, international] of [
    [PHONE_INTL, true],
    [PHONE_NANP, false],
    [PHONE_TRUNK, false],
  ] as const) {
    eachMatch(re, text, (m) => {
      if (phoneDigitsPlausible(m[0], international) && (international || nanpOrTrunk(m[0]))) {
        found.push(finding(m.index, m.index + m[0].length, 'phone'));
      }
      return undefined;
    });
  }
  // Order matters: e-mail, IBAN, card and ids before phones, so one number is reported once.
  return withoutOverlaps(found);
}

/** A NANP area code and exchange never start with 0 or 1; a trunk-prefixed number starts with 0. */
function nanpOrTrunk(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, '');
  if (digits.startsWith('0')) return true;
  const ten = digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits;
  return ten.length === 10 && /^[2-9]\d\d[2-9]/.test(ten);
}

/**
 * Where a valid IBAN ends inside a greedy candidate (which may have swallowed a following word
 * such as " AND"), or undefined: the country's registered length decides how many characters
 * belong to it, and the checksum must hold. The caller checks that a word boundary follows.
 */
function ibanEnd(candidate: string): number | undefined {
  const length = ibanLength(candidate.slice(0, 2));
  if (length === undefined) return undefined;
  let compact = '';
  let end = 0;
  while (end < candidate.length && compact.length < length) {
    const ch = candidate[end]!;
    if (ch !== ' ') compact += ch;
    end++;
  }
  if (compact.length !== length || !ibanChecksumValid(compact)) return undefined;
  return end;
}
