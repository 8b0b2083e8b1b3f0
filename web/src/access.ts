/**
 * Which controls the signed-in role may use, so the page can grey out what the server would
 * refuse. The server decides (api/contract.ts declares each route's role and `bind` checks it);
 * this copy only spares a click, and tests/unit/cli-dashboard-access.test.ts holds it to the
 * contract. Pure: no DOM, no zod, so the bundle stays small.
 */
import type { HUMAN_ROLES, HumanRole, Role } from '../../domain/access';

/** Lowest first; the type makes it the same tuple as domain/access.ts `HUMAN_ROLES`. */
const ORDER: typeof HUMAN_ROLES = ['viewer', 'deployer', 'approver', 'admin'];

/** What the dashboard can do, and the contract route behind each. */
export const CONTROLS = {
  pause: 'pauseRollout',
  resume: 'resumeRollout',
  approve: 'approveRollout',
  rollback: 'rollbackRollout',
  review: 'reviewRollout',
  audit: 'listAudit',
} as const;
export type Control = keyof typeof CONTROLS;

/** The lowest role each control needs. */
export const CONTROL_ROLE: Record<Control, HumanRole> = {
  pause: 'deployer',
  resume: 'deployer',
  approve: 'approver',
  rollback: 'deployer',
  review: 'approver',
  audit: 'approver',
};

export function roleCan(role: Role, control: Control): boolean {
  // Agents are targets, not people: no control of the dashboard is theirs.
  if (role === 'agent') return false;
  return ORDER.indexOf(role) >= ORDER.indexOf(CONTROL_ROLE[control]);
}

/** The tooltip of a control the role cannot use. */
export function roleTooltip(role: Role, control: Control): string {
  return `Needs the ${CONTROL_ROLE[control]} role (you are ${role})`;
}
