import { ConfigSchemas } from '../../api/config-schemas';
import { HttpError } from '../../api/http';

const schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['pool'],
  properties: { pool: { type: 'integer', minimum: 1 }, mode: { enum: ['ro', 'rw'] } },
  additionalProperties: false,
};

describe('ConfigSchemas', () => {
  const s = new ConfigSchemas();
  it.each([
    ['valid content', { pool: 5 }, []],
    ['below minimum', { pool: 0 }, [{ pointer: '/pool', message: 'must be >= 1' }]],
    ['missing field', {}, [{ pointer: '/', message: "must have required property 'pool'" }]],
    [
      'several failures, each named',
      { pool: 'x', mode: 'rx' },
      [
        { pointer: '/pool', message: 'must be integer' },
        { pointer: '/mode', message: 'must be equal to one of the allowed values' },
      ],
    ],
  ])('%s', (_n, content, expected) => expect(s.violations(schema, content)).toEqual(expected));

  it('throws 422 naming the field', () => {
    let err: unknown;
    try {
      s.check('db', schema, { pool: 0 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(422);
    expect((err as HttpError).field).toBe('content/pool');
  });

  it('refuses a schema that does not compile with a 400', () => {
    expect(() => s.compile({ type: 'nonsense' })).toThrow(/not a valid JSON Schema/);
  });
});

describe('ConfigSchemas: hostile schemas', () => {
  const s = new ConfigSchemas(200);
  const thrown = (fn: () => unknown): HttpError => {
    try {
      fn();
    } catch (e) {
      return e as HttpError;
    }
    throw new Error('did not throw');
  };

  it('runs patterns in linear time: ^(a+)+$ against 30 a and a "!" answers at once', () => {
    const redos = { type: 'object', properties: { name: { type: 'string', pattern: '^(a+)+$' } } };
    const started = performance.now();
    expect(s.violations(redos, { name: `${'a'.repeat(30)}!` })).toEqual([{ pointer: '/name', message: 'must match pattern "^(a+)+$"' }]);
    expect(s.violations(redos, { name: 'aaaa' })).toEqual([]);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('runs patternProperties on RE2 too', () => {
    const schema = { type: 'object', patternProperties: { '^(x+)+$': { type: 'number' } } };
    expect(s.violations(schema, { [`${'x'.repeat(40)}`]: 'no' })).toHaveLength(1);
  });

  it.each([
    ['a backreference', { properties: { a: { pattern: '(a)\\1' } } }, '/properties/a/pattern'],
    ['a lookahead', { items: { pattern: '^(?=x)' } }, '/items/pattern'],
    ['a lookbehind in patternProperties', { patternProperties: { '(?<=a)b': {} } }, '/patternProperties/(?<=a)b'],
  ])('refuses %s with 422 naming where it is', (_n, schema, pointer) => {
    const err = thrown(() => s.compile(schema));
    expect(err).toMatchObject({ status: 422, code: 'UnsupportedPattern', field: `body${pointer}` });
  });

  it('never fetches a remote $ref: 422 naming it', () => {
    const err = thrown(() => s.compile({ $ref: 'http://169.254.169.254/latest/schema.json' }));
    expect(err).toMatchObject({ status: 422, code: 'RemoteRefRefused' });
    expect(err.message).toContain('169.254.169.254');
  });

  it('keeps each schema to itself: an $id can be reused and is not visible to other schemas', () => {
    s.compile({ $id: 'https://tollgate.example/a', type: 'string' });
    expect(() => s.compile({ $id: 'https://tollgate.example/a', type: 'number' })).not.toThrow();
    expect(thrown(() => s.compile({ $ref: 'https://tollgate.example/a' }))).toMatchObject({ code: 'RemoteRefRefused' });
  });

  it('refuses a schema over the item bound with 413', () => {
    const properties = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`p${i}`, { type: 'string' }]));
    expect(thrown(() => s.compile({ type: 'object', properties }))).toMatchObject({ status: 413, code: 'SchemaTooLarge' });
  });
});
