import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument, Scalar, visit } from 'yaml';
import { type Diagnostic, formatPath, type PathSegment } from './diagnostic.js';

/** Files past this size are refused before parsing: a spec is a page of YAML, not a data dump. */
export const MAX_SOURCE_BYTES = 5 * 1024 * 1024;

export interface Position {
  readonly line: number;
  readonly col: number;
}

/** A parsed YAML file that can still point back into its text. */
export interface YamlSource {
  readonly file: string;
  /** The plain JS value, after `${VAR}` interpolation; undefined when the file could not be parsed. */
  readonly value: unknown;
  readonly diagnostics: readonly Diagnostic[];
  /** Where a field is written; `key: true` points at the key instead of the value. */
  locate(path: readonly PathSegment[], options?: { key?: boolean }): Position;
  /** Positions already reported (an unset variable), where schema errors would only repeat it. */
  readonly reported: ReadonlySet<string>;
  /**
   * Field paths whose whole plain value was one `${VAR}`: still strings here, they may be read as a
   * number or boolean where the schema wants one (`port: ${PORT}`), and nowhere else — so a secret
   * made of digits stays a string.
   */
  readonly substituted: ReadonlySet<string>;
}

export const positionKey = (p: Position) => `${p.line}:${p.col}`;

export type Env = Readonly<Record<string, string | undefined>>;

const NOWHERE: Position = { line: 0, col: 0 };

export const tooLarge = (bytes: number) => `file is ${(bytes / 1048576).toFixed(1)} MB; the limit is 5 MB`;

const whole = (file: string, message: string): Diagnostic => ({
  file,
  line: 0,
  col: 0,
  path: '',
  message,
  severity: 'error',
});

/** A file that could not be read at all, reported like any other problem with it. */
export function unreadableSource(file: string, message: string): YamlSource {
  return {
    file,
    value: undefined,
    diagnostics: [whole(file, message)],
    locate: () => NOWHERE,
    reported: new Set(),
    substituted: new Set(),
  };
}

/** Refuses what is not a YAML text before the parser sees it: empty, binary, oversized or not UTF-8. */
function decode(file: string, input: Uint8Array): string | Diagnostic {
  if (input.byteLength > MAX_SOURCE_BYTES) {
    return whole(file, tooLarge(input.byteLength));
  }
  if (input.includes(0)) return whole(file, 'file is binary (it contains NUL bytes), not YAML');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    return whole(file, 'file is not valid UTF-8 text');
  }
  if (text.trim() === '' || /^(\s*#[^\n]*\n?)*\s*$/.test(text)) return whole(file, 'file is empty');
  return text;
}

/**
 * Parses one YAML document with positions, refusing duplicate keys, then replaces
 * `${VAR}` and `${VAR:-default}` in string values from `env` (`$${` writes a literal `${`).
 */
export function parseYamlSource(file: string, input: Uint8Array, env: Env): YamlSource {
  const decoded = decode(file, input);
  if (typeof decoded !== 'string')
    return {
      file,
      value: undefined,
      diagnostics: [decoded],
      locate: () => NOWHERE,
      reported: new Set(),
      substituted: new Set(),
    };
  const lineCounter = new LineCounter();
  const doc = parseDocument(decoded, { lineCounter, uniqueKeys: true, prettyErrors: false, merge: true });
  const at = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  const diagnostics: Diagnostic[] = [];
  const reported = new Set<string>();
  const substituted = new Set<string>();
  for (const e of doc.errors) {
    const p = at(e.pos[0]);
    diagnostics.push({ file, ...p, path: '', message: yamlMessage(e.code, e.message), severity: 'error' });
  }
  for (const w of doc.warnings) {
    const p = at(w.pos[0]);
    diagnostics.push({ file, ...p, path: '', message: firstLine(w.message), severity: 'warning' });
  }
  const locate = (path: readonly PathSegment[], options?: { key?: boolean }) =>
    locateIn(doc.contents as Node | null, path, options?.key ?? false, at);
  if (doc.errors.length > 0) return { file, value: undefined, diagnostics, locate, reported, substituted };
  if (!isMap(doc.contents)) {
    diagnostics.push({
      file,
      line: 1,
      col: 1,
      path: '',
      message: 'expected a mapping of keys to values at the top',
      severity: 'error',
    });
    return { file, value: undefined, diagnostics, locate, reported, substituted };
  }
  interpolate(doc, env, substituted, (node, path, message) => {
    const p = node.range ? at(node.range[0]) : NOWHERE;
    reported.add(positionKey(p));
    diagnostics.push({ file, ...p, path, message, severity: 'error' });
  });
  try {
    return { file, value: doc.toJS({ maxAliasCount: 100 }), diagnostics, locate, reported, substituted };
  } catch (error) {
    // yaml throws while building values for a few valid-looking inputs: a merge key (<<) whose
    // value is not a map, or an alias bomb past maxAliasCount. Report them like syntax errors.
    const message = error instanceof Error ? firstLine(error.message) : String(error);
    diagnostics.push({
      file,
      line: 1,
      col: 1,
      path: '',
      message: `YAML error: ${message}`,
      severity: 'error',
    });
    return { file, value: undefined, diagnostics, locate, reported, substituted };
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

function yamlMessage(code: string, message: string): string {
  if (code === 'DUPLICATE_KEY') return 'duplicate key: each key may appear once in a mapping';
  return `YAML syntax error: ${firstLine(message).replace(/ at line \d+, column \d+:?$/, '')}`;
}

const REF_RE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** The field path of a node from the visitor's ancestors: pairs give keys, sequences indexes. */
function fieldPath(ancestors: readonly unknown[], node: unknown): string {
  const segments: PathSegment[] = [];
  ancestors.forEach((a, i) => {
    if (isPair(a) && isScalar(a.key)) segments.push(String(a.key.value));
    else if (isSeq(a)) segments.push(a.items.indexOf((ancestors[i + 1] ?? node) as never));
  });
  return formatPath(segments);
}

function interpolate(
  doc: ReturnType<typeof parseDocument>,
  env: Env,
  substituted: Set<string>,
  report: (node: Scalar, path: string, message: string) => void,
) {
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
      const source = node.value;
      const wholeRef = /^\$\{[^}]+\}$/.test(source) && node.type === Scalar.PLAIN;
      const replaced = source.replace(
        REF_RE,
        (match, name: string | undefined, fallback: string | undefined) => {
          if (match === '$${') return '${';
          const value = env[name as string];
          if (value !== undefined && value !== '') return value;
          if (fallback !== undefined) return fallback;
          report(
            node,
            fieldPath(ancestors, node),
            `environment variable ${name} is not set (used as "${source}")`,
          );
          return match;
        },
      );
      if (replaced === source) return;
      node.value = replaced;
      if (wholeRef) substituted.add(fieldPath(ancestors, node));
    },
  });
}

/** A number, boolean or null when the text spells one in YAML; otherwise the text itself. */
export function typedScalar(text: string): unknown {
  if (/^(true|false|null|~)$/.test(text)) return text === 'true' ? true : text === 'false' ? false : null;
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) && /^[-+]?(\d|\.\d)/.test(text) ? n : text;
}

function locateIn(
  root: Node | null,
  path: readonly PathSegment[],
  wantKey: boolean,
  at: (offset: number) => Position,
): Position {
  let node: unknown = root;
  let best: Position = root?.range ? at(root.range[0]) : { line: 1, col: 1 };
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (!pair) return best;
      const keyNode = pair.key as Scalar;
      if (keyNode.range) best = at(keyNode.range[0]);
      if (last && wantKey) return best;
      node = pair.value;
      const valueRange = (node as Node | null)?.range;
      if (last && valueRange) return at(valueRange[0]);
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) return best;
      if (item.range) best = at(item.range[0]);
      node = item;
    } else {
      return best;
    }
  }
  return best;
}
