/**
 * Test helper: a small JSON Schema checker for the subset the OpenAPI document of lvsd's HTTP API
 * uses (type, const, enum, properties, required, additionalProperties, items, oneOf, anyOf and
 * local $ref). Returns the list of violations with their paths; empty means valid.
 */

type Schema = Readonly<Record<string, unknown>>;

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(want: string, got: string): boolean {
  return want === got || (want === 'number' && got === 'integer');
}

/** Checks `value` against `schema`; `root` resolves `#/...` references. */
export function checkSchema(value: unknown, schema: Schema, root: Schema, path = '$'): string[] {
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    if (!ref.startsWith('#/')) return [`${path}: unsupported $ref ${ref}`];
    let target: unknown = root;
    for (const part of ref.slice(2).split('/'))
      target = (target as Record<string, unknown> | undefined)?.[part];
    if (typeof target !== 'object' || target === null) return [`${path}: dangling $ref ${ref}`];
    return checkSchema(value, target as Schema, root, path);
  }
  const out: string[] = [];
  const known = new Set([
    '$ref',
    'type',
    'const',
    'enum',
    'properties',
    'required',
    'additionalProperties',
    'items',
    'oneOf',
    'anyOf',
    'description',
  ]);
  for (const k of Object.keys(schema))
    if (!known.has(k)) out.push(`${path}: schema keyword ${k} not supported`);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => typeMatches(t, typeOf(value))))
      return [...out, `${path}: expected ${types.join('|')}, got ${typeOf(value)}`];
  }
  if (schema.const !== undefined && value !== schema.const)
    out.push(`${path}: expected ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    out.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  if (Array.isArray(schema.oneOf)) {
    const ok = (schema.oneOf as Schema[]).filter((s) => checkSchema(value, s, root, path).length === 0);
    if (ok.length !== 1) out.push(`${path}: matches ${ok.length} of oneOf`);
  }
  if (Array.isArray(schema.anyOf)) {
    if (!(schema.anyOf as Schema[]).some((s) => checkSchema(value, s, root, path).length === 0))
      out.push(`${path}: matches none of anyOf`);
  }
  if (typeOf(value) === 'object') {
    const o = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required ?? []) as string[])
      if (!Object.hasOwn(o, r)) out.push(`${path}: missing ${r}`);
    for (const [k, v] of Object.entries(o)) {
      const p = props[k];
      if (p) out.push(...checkSchema(v, p, root, `${path}.${k}`));
      else if (schema.additionalProperties === false) out.push(`${path}: unexpected property ${k}`);
      else if (typeof schema.additionalProperties === 'object')
        out.push(...checkSchema(v, schema.additionalProperties as Schema, root, `${path}.${k}`));
    }
  }
  if (Array.isArray(value) && typeof schema.items === 'object' && schema.items !== null) {
    value.forEach((v, i) => {
      out.push(...checkSchema(v, schema.items as Schema, root, `${path}[${i}]`));
    });
  }
  return out;
}
