/**
 * The dashboard's entry: the sign-in gate, then a small router over the History API (the API
 * answers each of these paths with this page): the list, a rollout, its incident report, the audit log.
 */
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import type { Principal } from '../../domain/access';
import { whoami } from './api';
import { auditPage } from './audit';
import { h, replace } from './dom';
import { listPage } from './list';
import { setIndicator } from './live';
import { reportPage } from './report';
import { rolloutPage } from './rollout';
import { begin, can, end, me, setPrincipal, token, whenSignedOut } from './session';
import { signInPage } from './signin';
import { startFreezeBanner } from './policy';

const root = document.getElementById('app')!;
let leave: (() => void) | null = null;

function showSession(who: Principal | null): void {
  const session = document.getElementById('session');
  const nav = document.getElementById('nav');
  const audit = document.getElementById('nav-audit');
  if (nav) nav.hidden = who === null;
  // Only roles that may read the audit log see its link; the server refuses the rest anyway.
  if (audit) audit.hidden = !can('audit');
  if (!session) return;
  session.hidden = who === null;
  if (!who) return replace(session);
  replace(
    session,
    h(
      'span',
      { class: 'who', title: `Signed in with ${who.via === 'token' ? `token ${who.id}` : `single sign-on (${who.id})`}` },
      h('span', { class: 'who-name', 'data-testid': 'who-name' }, who.name),
      h('span', { class: `role role-${who.role}`, 'data-testid': 'who-role' }, who.role),
    ),
    h('button', { type: 'button', class: 'btn-link', 'data-testid': 'sign-out', onclick: () => end() }, 'Sign out'),
  );
}

function markNav(page: string): void {
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a')) a.classList.toggle('active', a.dataset.nav === page);
}

function route(): void {
  leave?.();
  leave = null;
  window.scrollTo(0, 0);
  if (!me()) return void boot('');
  // Pages with a live stream turn the indicator back on; the audit log has none.
  setIndicator('off');
  const report = /^\/rollouts\/([^/]+)\/report\/?$/.exec(location.pathname);
  const m = /^\/rollouts\/([^/]+)\/?$/.exec(location.pathname);
  if (report) {
    const id = decodeURIComponent(report[1]!);
    document.title = `Incident report ${id} · Tollgate`;
    markNav('rollouts');
    leave = reportPage(root, id, navigate);
  } else if (m) {
    const id = decodeURIComponent(m[1]!);
    document.title = `${id} · Tollgate`;
    markNav('rollouts');
    leave = rolloutPage(root, id, navigate);
  } else if (/^\/audit\/?$/.test(location.pathname)) {
    document.title = 'Audit · Tollgate';
    markNav('audit');
    leave = auditPage(root, navigate);
  } else {
    document.title = 'Rollouts · Tollgate';
    markNav('rollouts');
    leave = listPage(root, navigate);
  }
}

function navigate(path: string): void {
  history.pushState(null, '', path);
  route();
}

/** The freeze banner polls the API: it runs only while someone is signed in. */
let stopFreezeBanner: (() => void) | undefined;
function signedIn(who: Principal): void {
  showSession(who);
  stopFreezeBanner ??= startFreezeBanner(document.querySelector('.topbar')!);
  route();
}

function showSignIn(why: string): void {
  leave?.();
  stopFreezeBanner?.();
  stopFreezeBanner = undefined;
  showSession(null);
  setIndicator('off');
  document.title = 'Sign in · Tollgate';
  leave = signInPage(root, why, (secret, who) => {
    begin(secret, who);
    signedIn(who);
  });
}

/** A token kept from earlier in this tab is checked again: it may have been revoked since. */
async function boot(why: string): Promise<void> {
  if (!token()) return showSignIn(why);
  replace(root, h('div', { class: 'muted' }, 'Signing in…'));
  try {
    const who = await whoami();
    setPrincipal(who);
    signedIn(who);
  } catch (err) {
    // A 401 has already ended the session (and shown the form); anything else is worth saying.
    if (token()) showSignIn(`Could not reach Tollgate: ${(err as Error).message}`);
  }
}

whenSignedOut((why) => showSignIn(why));
window.addEventListener('popstate', () => (me() ? route() : undefined));
for (const a of document.querySelectorAll<HTMLAnchorElement>('.brand, #nav a')) {
  a.addEventListener('click', (e) => {
    e.preventDefault();
    navigate(new URL(a.href).pathname);
  });
}
void boot('');
