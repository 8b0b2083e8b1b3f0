import { MaxRetriesPerRequestError } from 'ioredis/built/errors';
import { fieldName, isUnavailable } from '../../api/http';

describe('isUnavailable', () => {
  const cases: [string, unknown, boolean][] = [
    ['ioredis gave up retrying', new MaxRetriesPerRequestError(3), true],
    ['Redis connection closed', new Error('Connection is closed.'), true],
    ['refused connection', new Error('connect ECONNREFUSED 127.0.0.1:6379'), true],
    [
      'gRPC UNAVAILABLE in the cause chain',
      Object.assign(new Error('Failed to start workflow'), { cause: Object.assign(new Error('14 UNAVAILABLE'), { code: 14 }) }),
      true,
    ],
    ['gRPC DEADLINE_EXCEEDED', Object.assign(new Error('deadline'), { code: 4 }), true],
    ['a bug is not an outage', new TypeError('x is undefined'), false],
    ['gRPC INVALID_ARGUMENT is not an outage', Object.assign(new Error('bad'), { code: 3 }), false],
    ['nothing', undefined, false],
  ];
  it.each(cases)('%s → %s', (_n, err, expected) => expect(isUnavailable(err)).toBe(expected));
});

describe('fieldName', () => {
  it.each([
    [['stages', 0, 'percent'], 'stages[0].percent'],
    [['health', 'maxErrorRate'], 'health.maxErrorRate'],
    [[], ''],
  ] as [PropertyKey[], string][])('%j → %s', (path, expected) => expect(fieldName(path)).toBe(expected));
});
