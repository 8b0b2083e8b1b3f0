/** The dashboard's entry: a two-page router over the History API (the API answers both paths with this page). */
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { listPage } from './list';
import { rolloutPage } from './rollout';
import { startFreezeBanner } from './policy';

const root = document.getElementById('app')!;
let leave: (() => void) | null = null;

function route(): void {
  leave?.();
  window.scrollTo(0, 0);
  const m = /^\/rollouts\/([^/]+)\/?$/.exec(location.pathname);
  if (m) {
    const id = decodeURIComponent(m[1]!);
    document.title = `${id} · Tollgate`;
    leave = rolloutPage(root, id, navigate);
  } else {
    document.title = 'Rollouts · Tollgate';
    leave = listPage(root, navigate);
  }
}

function navigate(path: string): void {
  history.pushState(null, '', path);
  route();
}

window.addEventListener('popstate', route);
startFreezeBanner(document.querySelector('.topbar')!);
document.querySelector<HTMLAnchorElement>('.brand')?.addEventListener('click', (e) => {
  e.preventDefault();
  navigate('/');
});
route();
