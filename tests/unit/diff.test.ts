/** The config diff (structural and by line) and the dashboard's stage progress: pure functions, one case per row. */
import {
  configDiff,
  describeOperation,
  diffLines,
  diffStats,
  hunks,
  jsonPatch,
  MAX_DIFF_CELLS,
  MAX_READABLE_CHANGES,
  prettyJson,
  type DiffLine,
  type JsonPatchOperation,
} from '../../domain/diff';
import { actionEnabled, stageProgress } from '../../web/src/progress';

const show = (lines: DiffLine[]) => lines.map((l) => `${l.op === 'add' ? '+' : l.op === 'del' ? '-' : ' '}${l.text}`);

describe('diffLines', () => {
  it.each<[string, string, string, string[]]>([
    ['identical texts', 'a\nb', 'a\nb', [' a', ' b']],
    ['both empty', '', '', []],
    ['from nothing', '', 'a\nb', ['+a', '+b']],
    ['to nothing', 'a\nb', '', ['-a', '-b']],
    ['a changed line', 'a\nb\nc', 'a\nB\nc', [' a', '-b', '+B', ' c']],
    ['an inserted line', 'a\nc', 'a\nb\nc', [' a', '+b', ' c']],
    ['a removed line', 'a\nb\nc', 'a\nc', [' a', '-b', ' c']],
    ['a move keeps the common part', 'x\na\nb', 'a\nb\nx', ['-x', ' a', ' b', '+x']],
  ])('%s', (_name, a, b, expected) => {
    expect(show(diffLines(a, b))).toEqual(expected);
  });

  it('numbers lines in both texts', () => {
    const lines = diffLines('a\nb\nc', 'a\nB\nc\nd');
    expect(lines.map((l) => [l.oldNo, l.newNo])).toEqual([
      [1, 1],
      [2, undefined],
      [undefined, 2],
      [3, 3],
      [undefined, 4],
    ]);
  });

  it('degrades to remove-all, add-all beyond the size bound, keeping the common ends', () => {
    const n = Math.ceil(Math.sqrt(MAX_DIFF_CELLS)) + 1;
    const a = ['head', ...Array.from({ length: n }, (_, i) => `a${i}`), 'tail'].join('\n');
    const b = ['head', ...Array.from({ length: n }, (_, i) => `b${i}`), 'tail'].join('\n');
    const lines = diffLines(a, b);
    expect(diffStats(lines)).toEqual({ added: n, removed: n });
    expect(lines[0]).toMatchObject({ op: 'same', text: 'head' });
    expect(lines.at(-1)).toMatchObject({ op: 'same', text: 'tail' });
  });
});

describe('prettyJson', () => {
  it.each<[string, unknown, string]>([
    ['sorts keys at every depth', { b: 1, a: { d: 2, c: 3 } }, '{\n  "a": {\n    "c": 3,\n    "d": 2\n  },\n  "b": 1\n}'],
    ['keeps array order', [3, 1], '[\n  3,\n  1\n]'],
    ['shows no version as empty', undefined, ''],
    ['shows null content', null, 'null'],
  ])('%s', (_name, v, expected) => {
    expect(prettyJson(v)).toBe(expected);
  });

  it('shows a change of key order alone as no change', () => {
    expect(diffStats(diffLines(prettyJson({ a: 1, b: 2 }), prettyJson({ b: 2, a: 1 })))).toEqual({ added: 0, removed: 0 });
  });
});

/**
 * An RFC 6902 applier written for the test, independent of the diff: every patch the diff makes
 * must turn the old document into the new one.
 */
function applyPatch(doc: unknown, patch: JsonPatchOperation[]): unknown {
  let root = structuredClone(doc);
  for (const op of patch) {
    if (op.path === '') {
      root = op.op === 'remove' ? undefined : structuredClone(op.value);
      continue;
    }
    const tokens = op.path
      .slice(1)
      .split('/')
      .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = tokens.pop()!;
    let parent = root as Record<string, unknown> | unknown[];
    for (const t of tokens) parent = (Array.isArray(parent) ? parent[Number(t)] : parent[t]) as typeof parent;
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (op.op === 'add') parent.splice(i, 0, structuredClone(op.value));
      else if (op.op === 'remove') parent.splice(i, 1);
      else parent[i] = structuredClone(op.value);
    } else if (op.op === 'remove') {
      if (!Object.hasOwn(parent, last)) throw new Error(`remove of a missing ${op.path}`);
      delete parent[last];
    } else {
      if (op.op === 'replace' && !Object.hasOwn(parent, last)) throw new Error(`replace of a missing ${op.path}`);
      parent[last] = structuredClone(op.value);
    }
  }
  return root;
}

describe('jsonPatch', () => {
  it.each<[string, unknown, unknown, JsonPatchOperation[]]>([
    ['identical', { a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }, []],
    ['a changed scalar', { pool: 20 }, { pool: 5 }, [{ op: 'replace', path: '/pool', value: 5 }]],
    ['an added key', { a: 1 }, { a: 1, b: { c: true } }, [{ op: 'add', path: '/b', value: { c: true } }]],
    ['a removed key', { a: 1, b: 2 }, { a: 1 }, [{ op: 'remove', path: '/b' }]],
    [
      'a nested change',
      { db: { schema: 41, host: 'x' } },
      { db: { schema: 42, host: 'x' } },
      [{ op: 'replace', path: '/db/schema', value: 42 }],
    ],
    ['a type change', { a: [1] }, { a: { 0: 1 } }, [{ op: 'replace', path: '/a', value: { 0: 1 } }]],
    ['null to a value', { a: null }, { a: 0 }, [{ op: 'replace', path: '/a', value: 0 }]],
    ['one element inserted in the middle', [1, 2, 4, 5], [1, 2, 3, 4, 5], [{ op: 'add', path: '/2', value: 3 }]],
    ['one element removed at the head', ['a', 'b', 'c'], ['b', 'c'], [{ op: 'remove', path: '/0' }]],
    [
      'two removed at the end',
      [1, 2, 3, 4],
      [1, 2],
      [
        { op: 'remove', path: '/3' },
        { op: 'remove', path: '/2' },
      ],
    ],
    ['an element changed inside', [{ id: 1, on: true }], [{ id: 1, on: false }], [{ op: 'replace', path: '/0/on', value: false }]],
    [
      'keys that need escaping',
      { 'a/b': 1, 'c~d': 1 },
      { 'a/b': 2, 'c~d': 2 },
      [
        { op: 'replace', path: '/a~1b', value: 2 },
        { op: 'replace', path: '/c~0d', value: 2 },
      ],
    ],
    ['from no version', undefined, { a: 1 }, [{ op: 'add', path: '', value: { a: 1 } }]],
    ['a root of another type', { a: 1 }, 'x', [{ op: 'replace', path: '', value: 'x' }]],
  ])('%s', (_name, from, to, expected) => {
    const patch = jsonPatch(from, to);
    expect(patch).toEqual(expected);
    expect(applyPatch(from, patch)).toEqual(to);
  });

  it('turns the old document into the new one, for 300 random pairs', () => {
    // A seeded generator: the same pairs every run, so a failure reproduces.
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const value = (depth: number): unknown => {
      const r = rand();
      if (depth > 3 || r < 0.35) return [0, 1, 'x', null, true][Math.floor(rand() * 5)];
      if (r < 0.65) return Array.from({ length: Math.floor(rand() * 5) }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(rand() * 4) }, () => [['a', 'b', 'c/d', 'e~'][Math.floor(rand() * 4)]!, value(depth + 1)]),
      );
    };
    const mutate = (v: unknown, depth: number): unknown => {
      if (rand() < 0.2) return value(depth);
      if (Array.isArray(v)) {
        const out: unknown[] = v.map((x: unknown) => (rand() < 0.3 ? mutate(x, depth + 1) : x));
        if (rand() < 0.4) out.splice(Math.floor(rand() * (out.length + 1)), 0, value(depth + 1));
        if (rand() < 0.3 && out.length > 0) out.splice(Math.floor(rand() * out.length), 1);
        return out;
      }
      if (v !== null && typeof v === 'object') {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) if (rand() > 0.2) out[k] = rand() < 0.3 ? mutate(x, depth + 1) : x;
        if (rand() < 0.3) out[`n${Math.floor(rand() * 3)}`] = value(depth + 1);
        return out;
      }
      return v;
    };
    for (let i = 0; i < 300; i++) {
      const from = value(0);
      const to = mutate(from, 0);
      expect(applyPatch(from, jsonPatch(from, to))).toEqual(to);
    }
  });
});

describe('describeOperation', () => {
  it.each<[string, JsonPatchOperation, unknown, string]>([
    ['a replace shows both values', { op: 'replace', path: '/pool', value: 5 }, { pool: 20 }, '~ /pool: 20 → 5'],
    ['an add shows the new value', { op: 'add', path: '/tls', value: { on: true } }, {}, '+ /tls: {"on":true}'],
    ['a remove shows what it was', { op: 'remove', path: '/legacy' }, { legacy: 'x' }, '- /legacy (was "x")'],
    ['the root is named', { op: 'add', path: '', value: 1 }, undefined, '+ (whole document): 1'],
  ])('%s', (_name, op, from, expected) => {
    expect(describeOperation(op, from)).toBe(expected);
  });

  it('cuts long values', () => {
    const text = describeOperation({ op: 'add', path: '/big', value: 'x'.repeat(500) }, {});
    expect(text.length).toBeLessThan(140);
    expect(text.endsWith('…')).toBe(true);
  });
});

describe('hunks', () => {
  const text = (n: number, changed: number[]) =>
    Array.from({ length: n }, (_, i) => (changed.includes(i) ? `changed ${i}` : `line ${i}`)).join('\n');

  it.each<[string, number[], [number, number, number, number][]]>([
    ['no change, no hunk', [], []],
    ['one change in the middle, 3 lines around it', [10], [[8, 7, 8, 7]]],
    ['a change at the start', [0], [[1, 4, 1, 4]]],
    ['two changes close together share a hunk', [5, 9], [[3, 11, 3, 11]]],
    [
      'two changes far apart make two hunks',
      [2, 15],
      [
        [1, 6, 1, 6],
        [13, 7, 13, 7],
      ],
    ],
  ])('%s', (_name, changed, expected) => {
    const parts = hunks(diffLines(text(20, []), text(20, changed)));
    expect(parts.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines])).toEqual(expected);
  });
});

describe('configDiff', () => {
  it('answers the patch, its readable form and the hunks of the pretty-printed versions', () => {
    const d = configDiff('db', { version: 1, content: { schema: 41, pool: 20 } }, { version: 2, content: { schema: 42, pool: 20 } });
    expect(d).toMatchObject({
      from: 1,
      to: 2,
      identical: false,
      patch: [{ op: 'replace', path: '/schema', value: 42 }],
      changes: ['~ /schema: 41 → 42'],
      stats: { operations: 1, added: 1, removed: 1 },
      truncated: false,
    });
    expect(d.hunks[0]!.lines.filter((l) => l.op !== 'same').map((l) => l.text.trim())).toEqual(['"schema": 41', '"schema": 42']);
  });

  it('diffs against no version (0) as the whole document added', () => {
    const d = configDiff('db', { version: 0, content: 'ignored' }, { version: 1, content: { a: 1 } });
    expect(d.patch).toEqual([{ op: 'add', path: '', value: { a: 1 } }]);
  });

  it('cuts the readable forms at their bounds and keeps the patch whole', () => {
    const n = MAX_READABLE_CHANGES + 10;
    const from = Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 0]));
    const to = Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 1]));
    const d = configDiff('db', { version: 1, content: from }, { version: 2, content: to });
    expect(d.patch).toHaveLength(n);
    expect(d.changes).toHaveLength(MAX_READABLE_CHANGES);
    expect(d.truncated).toBe(true);
  });
});

describe('stageProgress', () => {
  const stages = (targets: number[]) =>
    targets.map((t, i) => ({
      name: `s${i}`,
      percent: 10,
      bakeSeconds: 0,
      approval: false,
      targets: t,
      state: 'pending' as const,
      startedAt: null,
      finishedAt: null,
    }));
  it.each<[string, number[], number, [number, number][]]>([
    [
      'nothing applied',
      [1, 5, 10],
      0,
      [
        [0, 1],
        [0, 5],
        [0, 10],
      ],
    ],
    [
      'canary done, partial under way',
      [1, 5, 10],
      3,
      [
        [1, 1],
        [3, 5],
        [3, 10],
      ],
    ],
    [
      'everything applied',
      [1, 5, 10],
      10,
      [
        [1, 1],
        [5, 5],
        [10, 10],
      ],
    ],
    [
      'an empty stage',
      [0, 10],
      4,
      [
        [0, 0],
        [4, 10],
      ],
    ],
  ])('%s', (_name, targets, updated, expected) => {
    expect(stageProgress({ stages: stages(targets), updatedTargets: updated }).map((p) => [p.done, p.total])).toEqual(expected);
  });
});

describe('actionEnabled', () => {
  it.each<[string[], string, boolean]>([
    [['pause', 'rollback'], 'pause', true],
    [['pause', 'rollback'], 'resume', false],
    [[], 'rollback', false],
  ])('allowed %j, %s → %s', (allowed, action, expected) => {
    expect(actionEnabled({ allowedActions: allowed as never }, action as never)).toBe(expected);
  });
});
