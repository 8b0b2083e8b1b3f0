import fc from 'fast-check';
import { measureJsonText, measureJsonValue, type JsonBounds } from '../../domain/json-shape';

const wide: JsonBounds = { maxDepth: 1_000, maxItems: 1_000_000 };
const text = (s: string, bounds = wide) => measureJsonText(Buffer.from(s, 'utf8'), bounds);

describe('measureJsonText', () => {
  const cases: [string, string, { depth: number; items: number }][] = [
    ['a scalar', '42', { depth: 0, items: 0 }],
    ['an empty object', '{}', { depth: 1, items: 0 }],
    ['an empty array', '[ ]', { depth: 1, items: 0 }],
    ['one key', '{"a":1}', { depth: 1, items: 1 }],
    ['three elements', '[1, 2, 3]', { depth: 1, items: 3 }],
    ['nested', '{"a":[{"b":[]}],"c":{}}', { depth: 4, items: 4 }],
    ['brackets, colons and commas inside strings', '{"a[:,{":"]}\\",:"}', { depth: 1, items: 1 }],
    ['an escaped backslash before the closing quote', '["\\\\",1]', { depth: 1, items: 2 }],
    ['commas between object members', '{"a":1,"b":2,"c":3}', { depth: 1, items: 3 }],
    ['unicode keys', '{"ключ":"значение","🙂":[1]}', { depth: 2, items: 3 }],
  ];
  it.each(cases)('%s', (_n, json, expected) => expect(text(json)).toEqual({ ok: true, ...expected }));

  it.each([
    ['depth', '[[[[1]]]]', { maxDepth: 3, maxItems: 100 }, 'depth'],
    ['items', '[1,2,3,4]', { maxDepth: 3, maxItems: 3 }, 'items'],
    ['keys', '{"a":1,"b":2}', { maxDepth: 3, maxItems: 1 }, 'items'],
  ] as const)('stops at the %s bound', (_n, json, bounds, limit) => {
    expect(text(json, bounds)).toMatchObject({ ok: false, limit });
  });

  it('measures 50,000 levels without recursion and stops at the bound', () => {
    const deep = '['.repeat(50_000) + ']'.repeat(50_000);
    expect(text(deep, { maxDepth: 64, maxItems: 100 })).toEqual({ ok: false, limit: 'depth', at: 64 });
    expect(text(deep)).toEqual({ ok: false, limit: 'depth', at: 1_000 });
  });

  it('agrees with a walk of the parsed value for any JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const raw = JSON.stringify(value, null, Math.random() < 0.5 ? 1 : 0);
        expect(text(raw)).toEqual(measureJsonValue(JSON.parse(raw), wide));
      }),
      { numRuns: 500 },
    );
  });
});

describe('measureJsonValue', () => {
  it.each([
    ['a scalar', 'x', { ok: true, depth: 0, items: 0 }],
    ['nested', { a: [1, { b: null }] }, { ok: true, depth: 3, items: 4 }],
    ['too deep', { a: { b: { c: {} } } }, { ok: false, limit: 'depth', at: 3 }],
  ])('%s', (_n, value, expected) => expect(measureJsonValue(value, { maxDepth: 3, maxItems: 10 })).toEqual(expected));

  it('walks a value nested 100,000 deep without overflowing the stack', () => {
    let v: unknown = 1;
    for (let i = 0; i < 100_000; i++) v = [v];
    expect(measureJsonValue(v, { maxDepth: 64, maxItems: 1_000_000 })).toMatchObject({ ok: false, limit: 'depth' });
  });
});
