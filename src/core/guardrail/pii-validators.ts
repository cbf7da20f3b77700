/**
 * Checksums and shape rules that turn "looks like a number" into "is one": most digit runs in
 * model output are dates, versions, prices and order ids, and these rules are what keep the
 * PII check from flagging them.
 */

/** Luhn (ISO/IEC 7812-1): card numbers and Canadian SINs. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * A payment card: 13–19 digits, a major-network first digit (2 Mastercard 2-series, 3 Amex/
 * Diners/JCB, 4 Visa, 5 Mastercard, 6 Discover/UnionPay), Luhn-valid, not one repeated digit
 * (0000 0000 0000 0000 passes Luhn), and grouped the way cards are printed when grouped at all.
 */
export function isCardNumber(candidate: string): boolean {
  const digits = candidate.replace(/[ -]/g, '');
  if (digits.length < 13 || digits.length > 19) return false;
  if (!/^[2-6]/.test(digits) || /^(\d)\1+$/.test(digits)) return false;
  const separators = candidate.match(/[ -]/g) ?? [];
  if (separators.length > 0) {
    if (new Set(separators).size > 1) return false;
    const groups = candidate.split(/[ -]/).map((g) => g.length);
    const shape = groups.join('-');
    const printed = /^(4-){3,4}[1-4]$|^4-6-[45]$/.test(shape);
    if (!printed) return false;
  }
  return luhnValid(digits);
}

/** US SSN rules since 2011: area not 000, 666 or 9xx; group not 00; serial not 0000. */
export function isUsSsn(area: string, group: string, serial: string): boolean {
  return !/^(000|666|9\d\d)$/.test(area) && group !== '00' && serial !== '0000';
}

/** Canadian SIN: 9 digits, Luhn, not starting with 8 (business numbers use that range). */
export function isCanadianSin(digits: string): boolean {
  return digits.length === 9 && !digits.startsWith('8') && !/^0+$/.test(digits) && luhnValid(digits);
}

const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';

/** Spanish DNI (8 digits + letter) or NIE (X/Y/Z + 7 digits + letter): the letter is number mod 23. */
export function isSpanishId(compact: string): boolean {
  const m = /^([XYZ]?)(\d{7,8})([A-Z])$/.exec(compact);
  if (m === null) return false;
  const [, prefix, digits, letter] = m as unknown as [string, string, string, string];
  if (prefix === '' && digits.length !== 8) return false;
  if (prefix !== '' && digits.length !== 7) return false;
  const n = Number(`${prefix === '' ? '' : 'XYZ'.indexOf(prefix)}${digits}`);
  return DNI_LETTERS[n % 23] === letter;
}

/** IBAN lengths by country (ISO 13616 registry, SWIFT release 2024); unknown countries fail. */
// biome-ignore format: a table reads better in rows
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22,
  GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IS: 26, IT: 27, JO: 30,
  KW: 30, KZ: 20, LB: 28, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27,
  MT: 31, MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24,
  SE: 24, SI: 19, SK: 24, SM: 27, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
};

export function ibanLength(country: string): number | undefined {
  return IBAN_LENGTHS[country];
}

/** ISO 7064 MOD 97-10: move the first four characters to the end, letters to 10..35, mod 97 = 1. */
export function ibanChecksumValid(compact: string): boolean {
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let rest = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 && code <= 90 ? code - 55 : code - 48;
    if (value < 0 || value > 35) return false;
    // Fold digit by digit (two for letters) so the number never leaves the safe integer range.
    rest = value > 9 ? (rest * 100 + value) % 97 : (rest * 10 + value) % 97;
  }
  return rest === 1;
}

/**
 * A phone number's digits and separators, after a regex found the candidate: E.164 allows at
 * most 15 digits; fewer than 8 is an extension or a count, not a number someone can call.
 */
export function phoneDigitsPlausible(candidate: string, international: boolean): boolean {
  const digits = candidate.replace(/\D/g, '');
  if (/[ .()-]{2}/.test(candidate.replace(/\) /g, ')').replace(/ \(/g, '('))) return false;
  if ((candidate.match(/\(/g) ?? []).length !== (candidate.match(/\)/g) ?? []).length) return false;
  return international
    ? digits.length >= 8 && digits.length <= 15
    : digits.length >= 9 && digits.length <= 12;
}
