/**
 * Config content validation against a key's JSON Schema (draft 2020-12, ajv). Content that fails
 * is refused before any target is touched: the first gate a change must pass.
 *
 * Schemas come from users, so compiling and running one must cost a bounded, predictable amount:
 * - every regular expression in a schema (`pattern`, `patternProperties`) runs on RE2, in time
 *   linear in its input, never on V8's backtracking engine; one RE2 cannot run is refused (422)
 *   naming it;
 * - nothing is ever fetched (ajv has no loader here) and a `$ref` to another document is refused;
 * - a schema has at most `maxSchemaItems` keys and elements, and each compiled schema is removed
 *   from ajv's registry at once, so one schema's `$id` can neither collide with nor be referenced
 *   by another user's, and ajv does not keep every schema it ever saw.
 */
import { createHash } from 'node:crypto';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { RE2 } from 're2-wasm';
import { measureJsonValue } from '../domain/json-shape';
import { Reason } from '../domain/reasons';
import { HttpError } from './http';
import { JSON_LIMIT_DEFAULTS } from './limits';

export interface SchemaViolation {
  pointer: string;
  message: string;
}

const CACHE_MAX = 256;
/** Violations listed in a 422; the count says how many there were. */
const MAX_VIOLATIONS = 100;

/** RE2 objects live in WebAssembly memory: free each one when the validator holding it is collected. */
const wasmMemory = new FinalizationRegistry<{ delete(): void }>((wrapper) => wrapper.delete());

/** Thrown by the regular-expression engine given to ajv, so the 422 can name the pattern. */
class UnsupportedPatternError extends Error {
  constructor(
    readonly pattern: string,
    readonly why: string,
  ) {
    super(why);
  }
}

/** ajv's `code.regExp`: RE2 in unicode mode (ajv asks for `u`; re2-wasm requires it). */
function linearRegExp(pattern: string, flags: string): RE2 {
  let re: RE2;
  try {
    re = new RE2(pattern, flags.includes('u') ? flags : `${flags}u`);
  } catch (err) {
    throw new UnsupportedPatternError(pattern, (err as Error).message);
  }
  const { wrapper } = re as unknown as { wrapper: { delete(): void } };
  wasmMemory.register(re, wrapper);
  return re;
}
// Used by ajv only when it writes standalone code, which Tollgate never does.
linearRegExp.code = 'RE2';

/** The JSON pointer of the first `pattern` or `patternProperties` key equal to `pattern` (iterative). */
export function findPattern(schema: unknown, pattern: string): string | null {
  const escape = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');
  const stack: { value: unknown; pointer: string }[] = [{ value: schema, pointer: '' }];
  while (stack.length > 0) {
    const { value, pointer } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const here = `${pointer}/${escape(k)}`;
      if (k === 'pattern' && v === pattern) return here;
      if (k === 'patternProperties' && v && typeof v === 'object' && Object.hasOwn(v, pattern)) return `${here}/${escape(pattern)}`;
      stack.push({ value: v, pointer: here });
    }
  }
  return null;
}

export class ConfigSchemas {
  private readonly ajv = new Ajv2020({
    allErrors: true,
    strict: false,
    // Unknown formats and keywords would be logged with the schema's paths; the schema is the user's, not ours to log.
    logger: false,
    code: { regExp: linearRegExp },
  });
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(private readonly maxSchemaItems = JSON_LIMIT_DEFAULTS.maxSchemaItems) {}

  /** Compiles a schema, or throws a 4xx that says what is wrong with it. */
  compile(schema: object): ValidateFunction {
    const key = createHash('sha256').update(JSON.stringify(schema)).digest('hex');
    const hit = this.cache.get(key);
    if (hit) return hit;
    const shape = measureJsonValue(schema, { maxDepth: Number.MAX_SAFE_INTEGER, maxItems: this.maxSchemaItems });
    if (!shape.ok) {
      throw new HttpError(
        Reason.SchemaTooLarge,
        `body: a schema may have at most ${this.maxSchemaItems} keys and elements (TOLLGATE_MAX_SCHEMA_ITEMS)`,
        'body',
        { limit: this.maxSchemaItems },
      );
    }
    let fn: ValidateFunction;
    try {
      fn = this.ajv.compile(schema);
    } catch (err) {
      throw schemaError(schema, err);
    } finally {
      this.ajv.removeSchema(schema);
    }
    if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, fn);
    return fn;
  }

  violations(schema: object, content: unknown): SchemaViolation[] {
    const validate = this.compile(schema);
    if (validate(content)) return [];
    return (validate.errors ?? []).map((e) => ({
      pointer: e.instancePath || '/',
      message: e.message ?? 'invalid',
    }));
  }

  /** Throws 422 naming each failing field of `content`. */
  check(configKey: string, schema: object, content: unknown): void {
    const v = this.violations(schema, content);
    if (v.length === 0) return;
    const first = v[0]!;
    throw new HttpError(
      Reason.SchemaViolation,
      `content${first.pointer === '/' ? '' : first.pointer}: ${first.message} (schema of ${configKey})`,
      `content${first.pointer === '/' ? '' : first.pointer}`,
      { violations: v.slice(0, MAX_VIOLATIONS), ...(v.length > MAX_VIOLATIONS ? { count: v.length } : {}) },
    );
  }
}

function schemaError(schema: object, err: unknown): HttpError {
  if (err instanceof UnsupportedPatternError) {
    const at = findPattern(schema, err.pattern);
    return new HttpError(
      Reason.UnsupportedPattern,
      `${at ? `body${at}` : 'body'}: pattern ${JSON.stringify(err.pattern.slice(0, 200))} cannot run in linear time (RE2: ${err.why}); backreferences and lookaround are not supported`,
      at ? `body${at}` : 'body',
      { pattern: err.pattern.slice(0, 1000), ...(at ? { pointer: at } : {}) },
    );
  }
  const missing = (err as { missingRef?: unknown }).missingRef;
  if (typeof missing === 'string') {
    return new HttpError(
      Reason.RemoteRefRefused,
      `body: $ref ${JSON.stringify(missing.slice(0, 200))} is not in this schema; schemas are never fetched, so every $ref must point inside the document`,
      'body',
      { ref: missing.slice(0, 1000) },
    );
  }
  return new HttpError(Reason.InvalidRequest, `body: not a valid JSON Schema: ${(err as Error).message}`, 'body');
}
