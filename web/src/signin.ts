/**
 * The sign-in form: an API token, checked with GET /v1/me before it is kept. The token stays in
 * sessionStorage (this tab, until it closes or the user signs out), never in a cookie, so no
 * other site can make the browser use it.
 */
import type { Principal } from '../../domain/access';
import { ApiError, whoami } from './api';
import { h, replace } from './dom';

export function signInPage(root: HTMLElement, why: string, signedIn: (secret: string, who: Principal) => void): () => void {
  const input = h('input', {
    type: 'password',
    name: 'token',
    id: 'token',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'tg_…',
    required: true,
    'data-testid': 'token-input',
  });
  const message = h('div', { class: 'notice', role: 'alert', hidden: !why }, why);
  const submit = h('button', { class: 'btn btn-primary', type: 'submit', 'data-testid': 'sign-in' }, 'Sign in');

  async function onSubmit(e: Event): Promise<void> {
    e.preventDefault();
    const secret = input.value.trim();
    if (!secret) return;
    submit.disabled = true;
    message.hidden = true;
    try {
      const who = await whoami(secret);
      if (who.role === 'agent') {
        throw new Error(
          'This is an agent token: agents are targets, not people. Sign in with a viewer, deployer, approver or admin token.',
        );
      }
      signedIn(secret, who);
      return;
    } catch (err) {
      message.textContent =
        err instanceof ApiError && err.status === 401
          ? 'That token was refused: it is unknown, revoked or expired.'
          : `Could not sign in: ${(err as Error).message}`;
      message.hidden = false;
      input.select();
    }
    submit.disabled = false;
  }

  replace(
    root,
    h(
      'section',
      { class: 'card signin', 'data-testid': 'signin' },
      h('h1', {}, 'Sign in'),
      h(
        'p',
        { class: 'muted' },
        'Paste your Tollgate API token. It is kept for this browser tab only, until you close it or sign out. ',
        'An admin creates tokens with ',
        h('code', {}, 'tollgate token create --name you --role viewer'),
        '.',
      ),
      h(
        'form',
        { class: 'signin-form', onsubmit: (e: Event) => void onSubmit(e) },
        h('label', { for: 'token' }, 'API token'),
        h('div', { class: 'signin-row' }, input, submit),
      ),
      message,
    ),
  );
  input.focus();
  return () => undefined;
}
