/** `rollout create`: building the request from a file and flags, and refusing mistakes locally. */
import { buildRequest, parseDocument, parseStages, validateRequest } from '../../cli/commands/create';
import { parseLabels } from '../../cli/commands/target';
import { parseArgsMessage } from '../../cli/command';
import { UsageError } from '../../cli/errors';

const usage = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  throw new Error('expected a usage error');
};

const files: Record<string, string> = {
  'change.yaml': 'configKey: portal-db\ncontent:\n  pool: 20\ntargets:\n  selector:\n    app: portal\n',
  'change.json': '{"configKey":"portal-db","content":{"pool":20},"targets":{"ids":["a","b"]}}',
  'typo.yaml': 'configKey: portal-db\ncontent: 1\ntargets: {ids: [a]}\nstagse: []\n',
  'content.yml': 'pool: 30\n',
};
const read = (p: string) => {
  const t = files[p];
  if (t === undefined) throw new Error(`no file ${p}`);
  return t;
};

describe('parseStages', () => {
  it.each([
    [
      'canary:5:300,full:100:60',
      [
        { name: 'canary', percent: 5, bakeSeconds: 300, approval: false },
        { name: 'full', percent: 100, bakeSeconds: 60, approval: false },
      ],
    ],
    [
      'canary:5:0.5,full:100:60:approval',
      [
        { name: 'canary', percent: 5, bakeSeconds: 0.5, approval: false },
        { name: 'full', percent: 100, bakeSeconds: 60, approval: true },
      ],
    ],
  ])('%s', (raw, expected) => expect(parseStages(raw)).toEqual(expected));

  it.each([
    ['canary:5', '--stages: "canary:5" is not name:percent:bakeSeconds[:approval]'],
    ['canary:five:300', '--stages: "canary:five:300" is not name:percent:bakeSeconds[:approval]'],
    ['canary:5:300:yes', '--stages: "canary:5:300:yes": the fourth part can only be "approval"'],
  ])('refuses %s', (raw, message) => expect(usage(() => parseStages(raw))).toBe(message));
});

describe('parseDocument', () => {
  it('reads JSON and YAML by extension, else by content', () => {
    expect(parseDocument('{"a":1}', 'x.json')).toEqual({ a: 1 });
    expect(parseDocument('a: 1', 'x.yaml')).toEqual({ a: 1 });
    expect(parseDocument('{"a":1}', 'stdin')).toEqual({ a: 1 });
    expect(parseDocument('a: 1', 'stdin')).toEqual({ a: 1 });
  });
  it('names the file that does not parse', () => {
    expect(usage(() => parseDocument('{"a":', 'x.json'))).toMatch(/^x\.json: not valid JSON/);
    expect(usage(() => parseDocument('a: [1', 'x.yaml'))).toMatch(/^x\.yaml: not valid YAML/);
  });
});

describe('buildRequest and validateRequest', () => {
  it('takes a YAML file as it is', () => {
    const b = buildRequest({ file: 'change.yaml' }, read);
    expect(b.request).toEqual({ configKey: 'portal-db', content: { pool: 20 }, targets: { selector: { app: 'portal' } } });
    expect(() => validateRequest(b)).not.toThrow();
  });

  it('lays flags over the file', () => {
    const b = buildRequest({ file: 'change.json', 'content-file': 'content.yml', selector: 'app=web', 'max-error-rate': '5%' }, read);
    expect(b.request).toMatchObject({ content: { pool: 30 }, targets: { selector: { app: 'web' } }, health: { maxErrorRate: 0.05 } });
  });

  it('builds a whole request from flags', () => {
    const b = buildRequest(
      { 'config-key': 'k', content: '{"x":1}', targets: 'a, b', stages: 'c:10:1,f:100:1', 'on-regression': 'pause', description: 'why' },
      read,
    );
    expect(b.request).toEqual({
      configKey: 'k',
      content: { x: 1 },
      targets: { ids: ['a', 'b'] },
      stages: [
        { name: 'c', percent: 10, bakeSeconds: 1, approval: false },
        { name: 'f', percent: 100, bakeSeconds: 1, approval: false },
      ],
      onRegression: 'pause',
      description: 'why',
    });
    expect(() => validateRequest(b)).not.toThrow();
  });

  it.each([
    ['a bad flag value names the flag', { file: 'change.yaml', 'on-regression': 'rollbak' }, /^--on-regression: onRegression: /],
    [
      'a bad stage plan names --stages and the field',
      { file: 'change.yaml', stages: 'a:50:1,b:40:1' },
      /^--stages: stages\[1\]\.percent: stage percents must strictly increase/,
    ],
    ['a bad file field names the file', { file: 'typo.yaml' }, /^typo\.yaml: .*stagse/],
    ['a missing field says how to give it', { 'config-key': 'k', content: '1' }, /^targets is required \(--targets or --selector/],
    ['a bad health flag names itself', { file: 'change.yaml', 'max-error-rate': '2' }, /^--max-error-rate: health\.maxErrorRate: /],
  ])('%s', (_name, values, message) => {
    expect(usage(() => validateRequest(buildRequest(values, read)))).toMatch(message);
  });

  it.each([
    [{ content: 'nope' }, /^--content: not valid JSON/],
    [{ content: '1', 'content-file': 'content.yml' }, '--content and --content-file cannot be used together'],
    [{ targets: 'a', selector: 'b=c' }, '--targets and --selector cannot be used together'],
    [{ selector: 'app' }, /^--selector: "app" is not of the form key=value/],
    [{ 'max-error-rate': 'lots' }, '--max-error-rate: "lots" is not a number or percentage'],
  ])('refuses flags %j', (values, message) => {
    expect(usage(() => buildRequest({ 'config-key': 'k', ...values }, read))).toMatch(message);
  });
});

describe('parseLabels', () => {
  it('takes repeated flags and comma lists', () => {
    expect(parseLabels(['app=portal', 'region=eu,tier=web'])).toEqual({ app: 'portal', region: 'eu', tier: 'web' });
  });
  it('names the bad label', () => {
    expect(usage(() => parseLabels(['app']))).toBe('--label: "app" is not of the form key=value');
  });
});

describe('parseArgsMessage', () => {
  it('says what the user typed', () => {
    expect(
      parseArgsMessage({ code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION', message: "Unknown option '--colour'. To specify a positional…" }),
    ).toBe('unknown option --colour');
    expect(parseArgsMessage({ code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE', message: "Option '-f, --file <value>' argument missing" })).toBe(
      '--file needs a value',
    );
  });
});
