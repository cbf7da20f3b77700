/**
 * `{{var}}` templates for prompts and scorer values. A name is letters, digits, `_`, `.` and
 * `-`, starting with a letter or `_`; spaces inside the braces are allowed (`{{ var }}`).
 * Rendering is one pass: a value that itself contains `{{…}}` is inserted as written, never
 * expanded, so a case's text cannot inject template variables into a prompt.
 */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}/g;

export interface RenderedTemplate {
  readonly text: string;
  /** Names used in the template that `vars` does not define; their placeholders are left as is. */
  readonly missing: readonly string[];
}

export function renderTemplate(template: string, vars: Readonly<Record<string, string>>): RenderedTemplate {
  if (!template.includes('{{')) return { text: template, missing: [] };
  const missing = new Set<string>();
  const text = template.replace(PLACEHOLDER, (whole, name: string) => {
    if (Object.hasOwn(vars, name)) return vars[name]!;
    missing.add(name);
    return whole;
  });
  return { text, missing: [...missing] };
}

/** The variable names a template uses, in order of first use. */
export function templateVariables(template: string): string[] {
  return [...new Set(Array.from(template.matchAll(PLACEHOLDER), (m) => m[1]!))];
}

export interface RenderedValue<T = unknown> {
  readonly value: T;
  readonly missing: readonly string[];
}

/**
 * Renders every string inside a scorer value: a string, the strings of a list, and the string
 * values of a mapping (a JSON Schema may name `{{field}}`), at any depth. Keys are not rendered.
 */
export function renderValue<T>(value: T, vars: Readonly<Record<string, string>>): RenderedValue<T> {
  const missing = new Set<string>();
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const r = renderTemplate(v, vars);
      for (const name of r.missing) missing.add(name);
      return r.text;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, inner]) => [k, walk(inner)]));
    }
    return v;
  };
  return { value: walk(value) as T, missing: [...missing] };
}

/** Whether any string inside a value is a template (worth rendering per case). */
export function hasTemplate(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('{{') && templateVariables(value).length > 0;
  if (Array.isArray(value)) return value.some(hasTemplate);
  if (value !== null && typeof value === 'object') return Object.values(value).some(hasTemplate);
  return false;
}
