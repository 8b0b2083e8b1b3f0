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
