/**
 * Serialises the JUnit mapping of src/core/eval/report-junit.ts to XML. The attribute set is the
 * common subset Jenkins, GitLab, GitHub test reporters and Azure DevOps read (the Ant/Surefire
 * schema): testsuites > testsuite[name tests failures errors skipped time timestamp] >
 * properties, testcase[classname name time] > failure|skipped, system-out.
 */
import { create } from 'xmlbuilder2';
import { type JunitCase, type JunitDocument, junitCounts } from '../../core/eval/report-junit.js';

type XMLBuilder = ReturnType<typeof create>;

/**
 * Replaces what XML 1.0 cannot carry at all, even escaped (the Char production, §2.2): control
 * characters and lone surrogates. A model's output may contain them, and one would make the whole
 * file unreadable to the CI.
 */
function clean(text: string): string {
  let out = '';
  // for…of walks code points, so a valid surrogate pair arrives whole and a lone half alone.
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const ok =
      cp === 0x9 ||
      cp === 0xa ||
      cp === 0xd ||
      (cp >= 0x20 && cp <= 0xd7ff) ||
      (cp >= 0xe000 && cp <= 0xfffd) ||
      cp >= 0x10000;
    out += ok ? ch : '\uFFFD';
  }
  return out;
}

/** Parsers fold newlines in attributes into spaces anyway; doing it here makes the output predictable. */
function attr(text: string): string {
  return clean(text).replace(/\s*[\r\n]+\s*/g, ' ');
}

/** Seconds with millisecond precision, the unit JUnit readers expect. */
function seconds(value: number): string {
  return (Math.round(value * 1000) / 1000).toFixed(3);
}

function addCase(suite: XMLBuilder, c: JunitCase): void {
  const node = suite.ele('testcase', {
    classname: attr(c.classname),
    name: attr(c.name),
    time: seconds(c.time),
  });
  if (c.outcome.kind === 'failure') {
    node
      .ele('failure', { message: attr(c.outcome.message), type: attr(c.outcome.type) })
      .txt(clean(c.outcome.detail));
  } else if (c.outcome.kind === 'skipped') {
    node.ele('skipped', { message: attr(c.outcome.message) });
  }
  if (c.systemOut !== undefined) node.ele('system-out').txt(clean(c.systemOut));
}

export function renderJunitXml(doc: JunitDocument): string {
  const all = junitCounts(doc.suites.flatMap((s) => s.cases));
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('testsuites', {
    name: attr(doc.name),
    tests: String(all.tests),
    failures: String(all.failures),
    errors: '0',
    skipped: String(all.skipped),
    time: seconds(doc.time),
  });
  doc.suites.forEach((s, id) => {
    const counts = junitCounts(s.cases);
    const suite = root.ele('testsuite', {
      name: attr(s.name),
      id: String(id),
      tests: String(counts.tests),
      failures: String(counts.failures),
      errors: '0',
      skipped: String(counts.skipped),
      time: seconds(s.time),
      timestamp: s.timestamp,
    });
    if (s.properties.length > 0) {
      const props = suite.ele('properties');
      for (const [name, value] of s.properties)
        props.ele('property', { name: attr(name), value: attr(value) });
    }
    for (const c of s.cases) addCase(suite, c);
  });
  return `${root.end({ prettyPrint: true })}\n`;
}
