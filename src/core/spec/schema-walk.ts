import type { z } from 'zod';
import type { PathSegment } from './diagnostic.js';

type AnySchema = z.core.$ZodType;
type Def = { type: string; [k: string]: unknown };

const defOf = (s: AnySchema): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Wrappers whose inner schema decides the shape of the value. */
function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (let guard = 0; guard < 32; guard++) {
    const def = defOf(s);
    if ('innerType' in def) s = def.innerType as AnySchema;
    else if (def.type === 'pipe') s = def.in as AnySchema;
    else if (def.type === 'lazy') s = (def.getter as () => AnySchema)();
    else return s;
  }
  return s;
}

/** The keys an object accepts, or the names a record keyed by an enum accepts (error kinds). */
function shapeKeys(schema: AnySchema): string[] | undefined {
  const def = defOf(schema);
  if (def.type === 'object') return Object.keys(def.shape as object);
  if (def.type === 'record') {
    const key = defOf(unwrap(def.keyType as AnySchema));
    if (key.type === 'enum') return Object.values(key.entries as Record<string, string>);
  }
  return undefined;
}

/** Of a union's options, the object the data most plausibly meant: a matching literal first, then overlap. */
function pickOption(options: AnySchema[], data: unknown): AnySchema | undefined {
  const record = (data ?? {}) as Record<string, unknown>;
  let best: AnySchema | undefined;
  let bestScore = -1;
  for (const option of options.map(unwrap)) {
    const def = defOf(option);
    if (def.type !== 'object') continue;
    const shape = def.shape as Record<string, AnySchema>;
    let score = 0;
    for (const [key, field] of Object.entries(shape)) {
      if (!(key in record)) continue;
      const fdef = defOf(unwrap(field));
      const values = fdef.type === 'literal' ? (fdef.values as unknown[]) : undefined;
      score += values?.includes(record[key]) ? 100 : 1;
    }
    if (score > bestScore) {
      bestScore = score;
      best = option;
    }
  }
  return best;
}

/**
 * The keys an object schema accepts at `path`, walking the schema alongside the data (the data
 * picks the branch of a union). Used to suggest the key a person probably meant.
 */
export function knownKeysAt(schema: AnySchema, path: readonly PathSegment[], data: unknown): string[] {
  let s = unwrap(schema);
  let value = data;
  for (let i = 0; i <= path.length; i++) {
    let def = defOf(s);
    if (def.type === 'union') {
      const options = def.options as AnySchema[];
      const picked =
        pickOption(options, value) ??
        (value !== null && typeof value === 'object'
          ? options.map(unwrap).find((o) => defOf(o).type === 'record')
          : undefined);
      if (!picked) return [];
      s = picked;
      def = defOf(s);
    }
    if (i === path.length) return shapeKeys(s) ?? [];
    const seg = path[i] as PathSegment;
    const next = (value as Record<PathSegment, unknown> | undefined)?.[seg];
    if (def.type === 'object') s = (def.shape as Record<string, AnySchema>)[String(seg)] as AnySchema;
    else if (def.type === 'array') s = def.element as AnySchema;
    else if (def.type === 'record') s = def.valueType as AnySchema;
    else return [];
    if (!s) return [];
    s = unwrap(s);
    value = next;
  }
  return [];
}
