/** The CLI's governance flags and auth errors, by value: times, token requests, audit filters, hints. */
import { buildAuditFilter, buildTokenRequest, parseInstant, shellWord } from '../../cli/commands/governance';
import { errorFromBody } from '../../cli/client';
import { authHint, Exit, exitCodeFor } from '../../cli/errors';

const NOW = Date.parse('2026-11-25T08:00:00.000Z');

describe('parseInstant', () => {
  it.each<[string, 'past' | 'future', string]>([
    ['90m', 'past', '2026-11-25T06:30:00.000Z'],
    ['12h', 'future', '2026-11-25T20:00:00.000Z'],
    ['30d', 'future', '2026-12-25T08:00:00.000Z'],
    ['2026-12-01T09:00:00Z', 'future', '2026-12-01T09:00:00.000Z'],
    ['2026-12-01T10:00:00+01:00', 'past', '2026-12-01T09:00:00.000Z'],
    ['2026-12-01', 'past', '2026-12-01T00:00:00.000Z'],
  ])('%s (%s)', (raw, direction, expected) => expect(parseInstant(raw, '--since', 'audit', direction, NOW)).toBe(expected));

  it.each(['yesterday', '10', '3w', '12/01/2026'])('refuses %s naming the flag', (raw) => {
    expect(() => parseInstant(raw, '--expires-at', 'token create', 'future', NOW)).toThrow(`--expires-at: "${raw}" is neither`);
  });
});

describe('buildTokenRequest', () => {
  it('builds a human token with an expiry', () => {
    expect(buildTokenRequest({ name: 'ci', role: 'deployer', 'expires-at': '1d' }, NOW)).toEqual({
      name: 'ci',
      role: 'deployer',
      expiresAt: '2026-11-26T08:00:00.000Z',
    });
  });
  it('builds agent scopes from ids or a selector', () => {
    expect(buildTokenRequest({ name: 'a', role: 'agent', 'targets-ids': 'web-1, web-2' }, NOW).targets).toEqual({
      ids: ['web-1', 'web-2'],
    });
    expect(buildTokenRequest({ name: 'a', role: 'agent', 'targets-selector': 'app=portal,region=eu' }, NOW).targets).toEqual({
      selector: { app: 'portal', region: 'eu' },
    });
  });
  it.each<[string, Record<string, string>, string]>([
    ['no name', { role: 'viewer' }, '--name: is required'],
    ['no role', { name: 'x' }, '--role: is required: one of viewer, deployer, approver, admin, agent'],
    ['an unknown role', { name: 'x', role: 'root' }, '--role: "root" is not one of'],
    ['a bad name', { name: 'has space', role: 'viewer' }, '--name: must be 1-64 letters'],
    ['an agent without scope', { name: 'x', role: 'agent' }, '--targets-ids or --targets-selector: an agent token needs a target scope'],
    ['a human with scope', { name: 'x', role: 'viewer', 'targets-ids': 'a' }, '--targets-ids: only agent tokens have a target scope'],
    ['both scopes', { name: 'x', role: 'agent', 'targets-ids': 'a', 'targets-selector': 'k=v' }, 'cannot be used together'],
    ['a bad selector', { name: 'x', role: 'agent', 'targets-selector': 'app' }, '--targets-selector: "app" is not of the form key=value'],
  ])('refuses %s, naming the flag', (_name, values, message) => {
    expect(() => buildTokenRequest(values, NOW)).toThrow(message);
  });
});

describe('buildAuditFilter', () => {
  it('passes filters through, with since as UTC', () => {
    expect(buildAuditFilter({ actor: 'alice', 'config-key': 'portal-db', since: '1h', limit: '20' }, NOW)).toEqual({
      actor: 'alice',
      action: undefined,
      configKey: 'portal-db',
      since: '2026-11-25T07:00:00.000Z',
      limit: 20,
      cursor: undefined,
    });
  });
  it.each<[Record<string, string>, string]>([
    [{ limit: '0' }, '--limit: "0" is not a whole number from 1 to 500'],
    [{ limit: 'ten' }, '--limit: "ten" is not a whole number from 1 to 500'],
    [{ cursor: 'abc' }, '--cursor: not a cursor returned by this API'],
    [{ 'config-key': 'no spaces' }, '--config-key: "no spaces" is not a valid config key'],
  ])('refuses %j', (values, message) => expect(() => buildAuditFilter(values, NOW)).toThrow(message));
});

describe('auth errors', () => {
  const body = (code: string, message: string) => JSON.stringify({ error: { code, message, field: 'authorization' } });
  it.each<[string, number, string, boolean, RegExp]>([
    ['no token', 401, 'unauthenticated', false, /^set TOLLGATE_TOKEN/],
    ['a refused token', 401, 'unauthenticated', true, /^TOLLGATE_TOKEN was refused: it is unknown, revoked or expired/],
    ['a low role', 403, 'forbidden', true, /role of TOLLGATE_TOKEN is too low/],
    ['four eyes', 403, 'four_eyes', true, /^four eyes: someone other than the submitter/],
  ])('%s', (_name, status, code, sent, hint) => {
    const err = errorFromBody(status, body(code, 'm'), sent);
    expect(err.message).toBe(`${code}: m`);
    expect(err.hint).toMatch(hint);
  });
  it('leaves other errors as the server said them', () => {
    const err = errorFromBody(404, body('NotFound', 'rolloutId: no rollout r1'), true);
    expect(err.message).toBe('rolloutId: no rollout r1');
    expect(err.hint).toBeUndefined();
    expect(authHint(409, 'InvalidState', true)).toBeUndefined();
  });
  it('a 401 from a proxy without the contract body still says what to do', () => {
    expect(errorFromBody(401, '<html>no</html>', false).hint).toMatch(/^set TOLLGATE_TOKEN/);
  });
});

describe('exit codes', () => {
  it.each([
    ['completed', Exit.Ok],
    ['rolled_back', Exit.RolledBack],
    ['failed', Exit.Failed],
    ['rejected', Exit.Rejected],
  ] as const)('%s', (state, code) => expect(exitCodeFor(state)).toBe(code));
  it('rejected has a code of its own', () => expect(Exit.Rejected).toBe(5));
});

describe('shellWord', () => {
  it.each([
    ['alice@example.com', 'alice@example.com'],
    ['1764057600000-0', '1764057600000-0'],
    ['POST /v1/x', "'POST /v1/x'"],
    ["it's", "'it'\\''s'"],
  ])('%s', (v, expected) => expect(shellWord(v)).toBe(expected));
});
