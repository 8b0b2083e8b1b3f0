/**
 * The signed-in session: the API token, kept in sessionStorage so it lasts as long as the
 * browser tab and no longer, and who it belongs to (GET /v1/me). A 401 from anywhere ends the
 * session and sends the user back to the sign-in form.
 */
import type { Principal } from '../../domain/access';
import { type Control, roleCan, roleTooltip } from './access';

const KEY = 'tollgate.token';

let principal: Principal | null = null;
let onSignedOut: ((why: string) => void) | null = null;
/** The token when sessionStorage refuses to keep it (some private modes): this page load only. */
let memory: string | null = null;

export function token(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return memory;
  }
}

export function begin(secret: string, who: Principal): void {
  memory = secret;
  principal = who;
  try {
    sessionStorage.setItem(KEY, secret);
  } catch {
    // See token(): memory holds it.
  }
}

export function me(): Principal | null {
  return principal;
}

export function setPrincipal(who: Principal): void {
  principal = who;
}

/** Called by the app once: what to do when the session ends (show the sign-in form). */
export function whenSignedOut(fn: (why: string) => void): void {
  onSignedOut = fn;
}

/** Ends the session; `why` is shown on the sign-in form (empty for a plain sign-out). */
export function end(why = ''): void {
  memory = null;
  principal = null;
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // Nothing stored.
  }
  onSignedOut?.(why);
}

/** Whether the signed-in role may use a control; nobody signed in may use none. */
export function can(control: Control): boolean {
  return principal !== null && roleCan(principal.role, control);
}

/** Tooltip for a control the role cannot use ('' when it can). */
export function cannotTitle(control: Control): string {
  if (!principal) return 'Sign in first';
  return can(control) ? '' : roleTooltip(principal.role, control);
}
