import { DataSet, englishDataset, englishRecommendedTransformers, pattern, RegExpMatcher } from 'obscenity';
import type { Finding } from './finding.js';

/*
 * Obscenity (jo3-l/obscenity, MIT) keeps the word list and does the hard part: it matches
 * obfuscated spellings (`fuuuck`, `sh1t`, look-alike Unicode) while its whitelist and word
 * boundaries keep "Scunthorpe", "assessment" and "cocktail" clean. Its English preset leaves out
 * a few mild words that a customer-facing answer should still not contain, added here.
 */
function buildMatcher(): RegExpMatcher {
  const dataset = new DataSet<{ originalWord: string }>()
    .addAll(englishDataset)
    .addPhrase((p) => p.setMetadata({ originalWord: 'damn' }).addPattern(pattern`|damn`))
    // Duplicate-letter collapsing reads "shiitake" as "shit"; the mushroom is not profane.
    .addPhrase((p) => p.setMetadata({ originalWord: 'shit' }).addWhitelistedTerm('shiitake'))
    .addPhrase((p) =>
      p.setMetadata({ originalWord: 'crap' }).addPattern(pattern`|crap|`).addPattern(pattern`|crappy|`),
    );
  return new RegExpMatcher({ ...dataset.build(), ...englishRecommendedTransformers });
}

/** Built on first use: compiling the word list takes a few milliseconds nobody else should pay. */
let matcher: RegExpMatcher | undefined;

/** Profanity in a text, as spans of the original text (obfuscated spellings included). */
export function detectProfanity(text: string): Finding[] {
  matcher ??= buildMatcher();
  const found: Finding[] = [];
  let lastEnd = -1;
  for (const match of matcher.getAllMatches(text, true)) {
    // Obscenity's end index is inclusive, and two patterns of one word can match the same span.
    const end = match.endIndex + 1;
    if (match.startIndex < lastEnd) continue;
    found.push({ check: 'profanity', start: match.startIndex, end, label: 'profanity' });
    lastEnd = end;
  }
  return found;
}
