/**
 * Config content validation against a key's JSON Schema (draft 2020-12, ajv). Content that fails
 * is refused before any target is touched: the first gate a change must pass.
 */
import { createHash } from 'node:crypto';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { Reason } from '../domain/reasons';
import { HttpError } from './http';

export interface SchemaViolation {
  pointer: string;
  message: string;
}

const CACHE_MAX = 256;

export class ConfigSchemas {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: false });
  private readonly cache = new Map<string, ValidateFunction>();

  /** Compiles a schema, or throws a 400 that says what is wrong with it. */
  compile(schema: object): ValidateFunction {
    const key = createHash('sha256').update(JSON.stringify(schema)).digest('hex');
    const hit = this.cache.get(key);
    if (hit) return hit;
    let fn: ValidateFunction;
    try {
      fn = this.ajv.compile(schema);
    } catch (err) {
      throw new HttpError(400, Reason.InvalidRequest, `body: not a valid JSON Schema: ${(err as Error).message}`, 'body');
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
      422,
      Reason.SchemaViolation,
      `content${first.pointer === '/' ? '' : first.pointer}: ${first.message} (schema of ${configKey})`,
      `content${first.pointer === '/' ? '' : first.pointer}`,
      { violations: v },
    );
  }
}
