import { classifyRequest, routeClassOf } from '../../api/limits';
import { contract, type Route } from '../../api/contract';
import { chooseRequestId } from '../../api/request-id';

describe('route classes come from the contract', () => {
  it('every contract route has the class its method and stream flag give it', () => {
    for (const route of Object.values(contract as Record<string, Route>)) {
      const path = route.path.replace(/:[A-Za-z]+/g, 'x1');
      expect([route.path, classifyRequest(route.method.toUpperCase(), path)]).toEqual([route.path, routeClassOf(route)]);
    }
  });

  it.each([
    ['GET', '/healthz', 'exempt'],
    ['GET', '/v1/events', 'stream'],
    ['GET', '/v1/rollouts/r1/events', 'stream'],
    ['GET', '/v1/rollouts/r1', 'read'],
    ['HEAD', '/v1/rollouts', 'read'],
    ['POST', '/v1/rollouts', 'mutation'],
    ['POST', '/v1/rollouts/r1/pause', 'mutation'],
    ['PUT', '/v1/targets/t1', 'mutation'],
    ['DELETE', '/v1/targets/t1', 'mutation'],
    ['GET', '/assets/app.js', 'read'],
    ['POST', '/nowhere', 'mutation'],
    ['POST', '/healthz', 'mutation'],
    ['GET', '/v1/rollouts//events', 'read'],
  ])('%s %s → %s', (method, path, cls) => expect(classifyRequest(method, path)).toBe(cls));
});

describe('chooseRequestId', () => {
  const make = () => 'generated-id';
  it.each([
    ['a sane incoming id is kept', 'abc-123_DEF.9:0', 'abc-123_DEF.9:0'],
    ['none', undefined, 'generated-id'],
    ['too short', 'abc', 'generated-id'],
    ['too long', 'a'.repeat(129), 'generated-id'],
    ['a newline that would forge a log line', 'abcdefgh\nrequest x', 'generated-id'],
    ['spaces', 'abc defgh', 'generated-id'],
    ['several headers', ['abcdefgh', 'ijklmnop'], 'generated-id'],
  ] as [string, string | string[] | undefined, string][])('%s', (_n, incoming, expected) => {
    expect(chooseRequestId(incoming, make)).toBe(expected);
  });
});
