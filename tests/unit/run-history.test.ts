import { continueAsNewDue, HISTORY_EVENTS_LIMIT } from '../../domain/run-history';

describe('continueAsNewDue', () => {
  const cases: [string, boolean, number, boolean][] = [
    ['Given a short history and no suggestion, then the run goes on', false, 1_200, false],
    ['Given Temporal suggests it, then continue as new', true, 1_200, true],
    ['Given a history just under the bound, then the run goes on', false, HISTORY_EVENTS_LIMIT - 1, false],
    ['Given a history at the bound, then continue as new', false, HISTORY_EVENTS_LIMIT, true],
  ];
  it.each(cases)('%s', (_name, continueAsNewSuggested, historyLength, expected) =>
    expect(continueAsNewDue({ continueAsNewSuggested, historyLength })).toBe(expected),
  );
});
