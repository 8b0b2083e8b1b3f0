/**
 * The dashboard greys out controls by role (web/src/access.ts); the server decides by the
 * contract. This holds the two together: for every role, the dashboard offers exactly what the
 * route behind each control would accept.
 */
import { contract } from '../../api/contract';
import { ROLES, roleAllows } from '../../domain/access';
import { CONTROLS, roleCan, type Control } from '../../web/src/access';

describe('dashboard controls follow the contract', () => {
  const cases = (Object.keys(CONTROLS) as Control[]).flatMap((control) => ROLES.map((role) => [control, role] as const));
  it.each(cases)('%s as %s', (control, role) => {
    expect(roleCan(role, control)).toBe(roleAllows(role, contract[CONTROLS[control]].access));
  });
});
