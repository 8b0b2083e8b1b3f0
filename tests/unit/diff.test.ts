/** The dashboard's config diff and stage progress: pure functions, one case per row. */
import { diffLines, diffStats, MAX_DIFF_CELLS, prettyJson, type DiffLine } from '../../web/src/diff';
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
