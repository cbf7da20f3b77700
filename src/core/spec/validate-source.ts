import type { z } from 'zod';
import { type Diagnostic, formatPath, type PathSegment } from './diagnostic.js';
import { suggestionSuffix } from './did-you-mean.js';
import { knownKeysAt } from './schema-walk.js';
import { positionKey, typedScalar, type YamlSource } from './yaml-source.js';

export interface Validated<T> {
  /** Present only when there are no errors. */
  readonly value: T | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

type Issue = z.core.$ZodIssue;

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** zod's words, made to read as advice about a YAML file. */
function messageFor(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return `is required (${issue.expected})`;
      return `expected ${issue.expected}, got ${describeType(issue.input)}`;
    case 'invalid_value': {
      const options = issue.values.map((v) => String(v));
      const got = issue.input === undefined ? '' : `, got ${JSON.stringify(issue.input)}`;
      const hint = typeof issue.input === 'string' ? suggestionSuffix(issue.input, options) : '';
      return `expected one of ${options.join(', ')}${got}${hint}`;
    }
    case 'invalid_key': {
      const inner = (issue as { issues?: { message: string }[] }).issues?.[0]?.message;
      return `the name ${JSON.stringify(issue.input)} ${inner ?? 'is not allowed here'}`;
    }
    default:
      return issue.message;
  }
}

/**
 * Checks a parsed YAML file against a zod schema and reports every problem at once, each at
 * the place it is written. Unknown keys point at the key and suggest the closest known one.
 */
export function validateSource<S extends z.ZodType>(schema: S, source: YamlSource): Validated<z.output<S>> {
  if (source.value === undefined) return { value: undefined, diagnostics: source.diagnostics };
  const diagnostics: Diagnostic[] = [...source.diagnostics];
  const parsed = parseWithSubstitutions(schema, source);
  const push = (path: readonly PathSegment[], message: string, key = false) => {
    const pos = source.locate(path, { key });
    if (source.reported.has(positionKey(pos))) return;
    diagnostics.push({ file: source.file, ...pos, path: formatPath(path), message, severity: 'error' });
  };
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path as PathSegment[];
      if (issue.code === 'unrecognized_keys') {
        const known = knownKeysAt(schema, path, source.value);
        const listed = known.length > 0 && known.length <= 12 ? `; expected one of ${known.join(', ')}` : '';
        for (const key of issue.keys) {
          push([...path, key], `unknown key${suggestionSuffix(key, known) || listed}`, true);
        }
      } else if (issue.code === 'invalid_union' && 'discriminator' in issue) {
        // A discriminated union (provider `type`): say which values exist, and which was meant.
        const { discriminator, options } = issue as unknown as { discriminator: string; options: unknown[] };
        const got = (issue.input as Record<string, unknown> | undefined)?.[discriminator];
        const names = options.map(String);
        const hint = typeof got === 'string' ? suggestionSuffix(got, names) : '';
        const what = got === undefined ? 'is required' : `unknown value ${JSON.stringify(got)}`;
        push(path, `${what}; expected one of ${names.join(', ')}${hint}`);
      } else {
        push(path, messageFor(issue), issue.code === 'invalid_key');
      }
    }
  }
  const ok = parsed.success && !diagnostics.some((d) => d.severity === 'error');
  return { value: ok ? deepFreeze(parsed.data) : undefined, diagnostics };
}

/**
 * Parses; when a `${VAR}` substituted as a whole value is a string where a number or boolean is
 * wanted (`port: ${PORT}`), reads it as YAML would have and parses once more.
 */
function parseWithSubstitutions<S extends z.ZodType>(schema: S, source: YamlSource) {
  const first = schema.safeParse(source.value, { reportInput: true });
  if (first.success || source.substituted.size === 0) return first;
  let value: unknown;
  for (const issue of first.error.issues) {
    // Only a substituted string that failed is retried: a string the schema accepted stays one.
    const path = issue.path as PathSegment[];
    if (!source.substituted.has(formatPath(path))) continue;
    const input = getAt(source.value, path);
    if (typeof input !== 'string') continue;
    const typed = typedScalar(input);
    if (typed === input) continue;
    value ??= structuredClone(source.value);
    setAt(value, issue.path as PathSegment[], typed);
  }
  return value === undefined ? first : schema.safeParse(value, { reportInput: true });
}

function getAt(root: unknown, path: readonly PathSegment[]): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<PathSegment, unknown> | undefined)?.[key], root);
}

function setAt(root: unknown, path: readonly PathSegment[], value: unknown): void {
  const parent = path
    .slice(0, -1)
    .reduce<unknown>((node, key) => (node as Record<PathSegment, unknown>)[key], root);
  (parent as Record<PathSegment, unknown>)[path[path.length - 1] as PathSegment] = value;
}

/** Parsed configuration is read-only everywhere after this point. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
