/**
 * The dashboard in a real browser (Debian's chromium, headless, driven by playwright-core)
 * against the real stack: the user signs in with a token; a rollout pending review is approved
 * from its page by an approver (a viewer sees the controls greyed out); a rollout is watched as
 * it moves, paused and resumed from its page, and a bad change's regression and rollback appear
 * without a reload, over the token-carrying event stream; the audit log lists who did what; a
 * revoked token sends the user back to the sign-in form. Screenshots go to
 * test-artifacts/screenshots (paths printed); with TOLLGATE_UPDATE_DOCS_IMAGES=1 they are also
 * copied to docs/images for the README.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createApp } from '../../api/app';
import type { RolloutSummary } from '../../domain/schemas';
import { testEnv, waitFor } from '../helpers/env';
import { makeRolloutRequest } from '../helpers/factories';
import { startStack, type Stack } from '../helpers/stack';

const REPO = path.resolve(__dirname, '..', '..');
const SCREENSHOTS = path.join(REPO, 'test-artifacts', 'screenshots');
const DOCS_IMAGES = path.join(REPO, 'docs', 'images');
const DOCS_SCREENSHOTS = path.join(REPO, 'docs', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const WEB_DIR = path.join(testEnv().dist, 'web');

let stack: Stack;
let browser: Browser;
let page: Page;
let server: Server;
let port = 0;
let base = '';
let key = '';
let selector: Record<string, string> = {};
/** Token secrets by name: `vera` is a viewer, `erin` an approver (the rollouts are submitted as `admin`). */
const tokens: Record<string, string> = {};

async function listen(app: ReturnType<typeof createApp>, p: number): Promise<Server> {
  return new Promise((resolve) => {
    const s = app.listen(p, '127.0.0.1', () => resolve(s));
  });
}

async function stopServer(): Promise<void> {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
}

beforeAll(async () => {
  if (!existsSync(path.join(WEB_DIR, 'index.html'))) {
    throw new Error(`the dashboard is not built (no ${WEB_DIR}/index.html): run \`node web/build.mjs\` (npm test builds it)`);
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: run the suite with \`npm test\` (installs Debian's chromium) or set CHROMIUM_PATH`);
  }
  stack = await startStack('browser');
  // The dashboard is served by an app of the test's own, so the test can cut its event stream.
  const app = () =>
    createApp({ store: stack.store, client: stack.client, taskQueue: stack.taskQueue, webDir: WEB_DIR, log: () => undefined });
  server = await listen(app(), 0);
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  (globalThis as { restartApi?: () => Promise<void> }).restartApi = async () => {
    server = await listen(app(), port);
  };
  // Workflow ids are per config key on a shared Temporal: the key carries part of the run's name.
  key = `checkout-db-${stack.taskQueue.slice(-6)}`;
  selector = { app: 'checkout' };
  await stack.fleet({ push: 10, pull: 0, idPrefix: 'checkout', labels: selector });
  tokens.vera = await stack.token('vera', 'viewer');
  tokens.erin = await stack.token('erin', 'approver');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1 });
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  if (server?.listening) await stopServer();
  await stack?.stop();
});

async function screenshot(name: string): Promise<void> {
  const file = path.join(SCREENSHOTS, `${name}.png`);
  // Down to the end of the content, not the viewport: no band of empty page in the README.
  const height = await page.evaluate(() =>
    Math.ceil((globalThis as unknown as { document: { body: { scrollHeight: number } } }).document.body.scrollHeight),
  );
  await page.screenshot({ path: file, fullPage: true, clip: { x: 0, y: 0, width: 1440, height } });
  console.log(`screenshot: ${file}`);
  if (process.env.TOLLGATE_UPDATE_DOCS_IMAGES === '1') {
    mkdirSync(DOCS_IMAGES, { recursive: true });
    copyFileSync(file, path.join(DOCS_IMAGES, `${name}.png`));
  }
}

/**
 * One part of a page (a card, a row), small enough to read in a review: with
 * TOLLGATE_UPDATE_SCREENSHOTS=1 also copied to docs/screenshots.
 */
async function viewShot(selectorOf: string, name: string): Promise<void> {
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.locator(selectorOf).screenshot({ path: file });
  console.log(`screenshot: ${file}`);
  if (process.env.TOLLGATE_UPDATE_SCREENSHOTS === '1') {
    mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
    copyFileSync(file, path.join(DOCS_SCREENSHOTS, `${name}.png`));
  }
}

async function create(body: Record<string, unknown>): Promise<RolloutSummary> {
  const res = await stack.api<RolloutSummary>('POST', '/v1/rollouts', body);
  expect(res.status).toBe(201);
  return res.body;
}

const slowStages = [
  { name: 'canary', percent: 10, bakeSeconds: 2 },
  { name: 'partial', percent: 30, bakeSeconds: 2 },
  { name: 'wide', percent: 60, bakeSeconds: 2 },
  { name: 'full', percent: 100, bakeSeconds: 2 },
];

const headerState = () => page.locator('.rollout-head [data-testid="state"]');
const stageText = (stage: string) => page.locator(`[data-testid="stage-${stage}"] .progress-text`);
const markNoReload = () => page.evaluate(() => ((globalThis as { sameDocument?: boolean }).sameDocument = true));
const stillSameDocument = () => page.evaluate(() => (globalThis as { sameDocument?: boolean }).sameDocument === true);
const live = () => page.locator('[data-testid="live"]');

/** Makes sure `name` is the one signed in, signing out whoever else is (tests can run alone with -t). */
async function signedInAs(secret: string, name: string): Promise<void> {
  await page.locator('[data-testid="signin"], [data-testid="who-name"]:visible').first().waitFor();
  if (await page.locator('[data-testid="signin"]').isVisible()) return signIn(secret, name);
  if ((await page.locator('[data-testid="who-name"]').textContent()) === name) return;
  await page.click('[data-testid="sign-out"]');
  await signIn(secret, name);
}

/** Signs in through the form, as a person would, and waits for their name in the top bar. */
async function signIn(secret: string, name: string): Promise<void> {
  await page.locator('[data-testid="signin"]').waitFor();
  await page.fill('[data-testid="token-input"]', secret);
  await page.click('[data-testid="sign-in"]');
  await page.waitForSelector(`[data-testid="who-name"]:text-is("${name}")`);
}

describe('dashboard', () => {
  it('asks for a token, shows who is signed in, greys out what a viewer cannot do, and lets an approver approve a rollout pending review', async () => {
    // Given a rollout that waits for one approval
    const reviewKey = `payments-${stack.taskQueue.slice(-6)}`;
    expect((await stack.api('PUT', `/v1/configs/${reviewKey}/policy`, { approvals: 1 })).status).toBe(200);
    const r = await create(
      makeRolloutRequest({
        configKey: reviewKey,
        targets: { selector },
        content: { retries: 3, healthy: true },
        stages: slowStages.map((st) => ({ ...st, bakeSeconds: 0.5 })),
        health: { intervalSeconds: 0.25, timeoutMs: 1000, failureThreshold: 1 },
        description: 'three retries for the payment provider',
      }),
    );
    expect(r.state).toBe('pending_review');

    // When someone opens the dashboard, it asks for a token; a wrong one is refused
    await page.goto(`${base}/rollouts/${r.id}`);
    await page.locator('[data-testid="signin"]').waitFor();
    expect(await page.locator('[data-testid="session"]').isHidden()).toBe(true);
    await page.fill('[data-testid="token-input"]', 'tg_not_a_token');
    await page.click('[data-testid="sign-in"]');
    await page.waitForSelector('[data-testid="signin"] [role="alert"]:has-text("refused")');

    // When a viewer signs in, they see who they are, and the page they asked for
    await signIn(tokens.vera!, 'vera');
    expect(await page.locator('[data-testid="who-role"]').textContent()).toBe('viewer');
    await page.waitForSelector('.rollout-head [data-testid="state"][data-state="pending_review"]');
    expect(await page.locator('[data-testid="submitted-by"]').textContent()).toBe('admin');
    // And what their role cannot do is greyed out, saying why; the audit log is not offered
    const approve = page.locator('[data-review="approve"]');
    expect(await approve.isDisabled()).toBe(true);
    expect(await approve.getAttribute('title')).toBe('Needs the approver role (you are viewer)');
    expect(await page.locator('button[data-action="rollback"]').getAttribute('title')).toBe('Needs the deployer role (you are viewer)');
    expect(await page.locator('[data-testid="nav-audit"]').isHidden()).toBe(true);
    // The session outlives a reload of the tab
    await page.reload();
    await page.waitForSelector('[data-testid="who-name"]:text-is("vera")');

    // When they sign out and an approver signs in
    await page.click('[data-testid="sign-out"]');
    await page.locator('[data-testid="signin"]').waitFor();
    await signIn(tokens.erin!, 'erin');
    expect(await page.locator('[data-testid="nav-audit"]').isVisible()).toBe(true);
    await markNoReload();
    await page.waitForSelector('[data-testid="live"][data-state="live"]');
    // And the review panel shows the change against the stable version (none yet: the whole document is new)
    await page.waitForSelector('[data-testid="review-diff-changes"] li');
    expect(await page.locator('[data-testid="review-diff-changes"] li').allTextContents()).toEqual([
      '+ (whole document): {"retries":3,"healthy":true}',
    ]);
    await page.fill('[data-testid="review-comment"]', 'retry budget checked with the provider');
    await screenshot('dashboard-review');
    // Then approving from the page starts the rollout, live, and says who approved it and why
    await page.locator('[data-review="approve"]:not([disabled])').click();
    await page.waitForSelector('.rollout-head [data-testid="state"][data-state="running"]');
    expect(await page.locator('[data-testid="review-panel"]').isHidden()).toBe(true);
    await page.waitForSelector('.rollout-head [data-testid="state"][data-state="completed"]', { timeout: 60_000 });
    const approval = page.locator('[data-testid="people"] [data-kind="approve"]');
    expect(await approval.getAttribute('data-person')).toBe('erin');
    expect(await approval.textContent()).toContain('retry budget checked with the provider');
    expect(await page.locator('[data-testid="review-status"]').textContent()).toBe('1 of 1 approval');
    expect(await page.locator('[data-event-type="reviewed"] [data-testid="event-actor"]').textContent()).toBe('by erin');
    expect(await stillSameDocument()).toBe(true);
  });

  it('shows a rollout advance live, and pauses and resumes it from its page', async () => {
    // Given a slow rollout of a good change
    const r = await create(
      makeRolloutRequest({
        configKey: key,
        targets: { selector },
        content: { pool: 12, region: 'eu-west', timeouts: { connectMs: 250, readMs: 2000 }, healthy: true },
        stages: slowStages,
        health: { intervalSeconds: 0.25, timeoutMs: 1000, maxErrorRate: 0.1, maxLatencyMs: 250, failureThreshold: 1 },
        description: 'raise the pool size for the checkout database',
      }),
    );
    // When an engineer opens its page
    await page.goto(`${base}/rollouts/${r.id}`);
    await markNoReload();
    await page.waitForSelector('[data-testid="live"][data-state="live"]');
    // Then the full stage's progress bar advances as targets take the new version
    const first = await stageText('full').textContent();
    await waitFor('the full stage bar to advance', async () => {
      const now = await stageText('full').textContent();
      return now !== first && Number(/^(\d+)/.exec(now ?? '')?.[1]) > Number(/^(\d+)/.exec(first ?? '')?.[1]);
    });
    const width = await page
      .locator('[data-testid="stage-full"] .progress-fill')
      .evaluate((el) => (el as unknown as { style: { width: string } }).style.width);
    expect(parseFloat(width)).toBeGreaterThan(0);

    // When they press Pause
    await page.locator('button[data-action="pause"]:not([disabled])').click();
    // Then the page says paused, and only the actions a paused rollout allows are enabled
    await page.waitForSelector('.rollout-head [data-testid="state"][data-state="paused"]');
    // (Buttons stay disabled until the action's own request has answered.)
    await page.waitForSelector('button[data-action="resume"]:not([disabled])');
    expect(await page.locator('button[data-action="pause"]').isDisabled()).toBe(true);
    expect(await page.locator('[data-event-type="paused"]').count()).toBe(1);
    // Who paused it is the signed-in token's name
    expect(await page.locator('[data-event-type="paused"] [data-testid="event-actor"]').textContent()).toBe('by erin');
    expect(await page.locator('[data-testid="people"] [data-kind="paused"]').getAttribute('data-person')).toBe('erin');
    await screenshot('dashboard-rollout-paused');

    // When they press Resume, it goes on to the end, on the page as it happens
    await page.locator('button[data-action="resume"]:not([disabled])').click();
    await page.waitForSelector('.rollout-head [data-testid="state"][data-state="completed"]', { timeout: 60_000 });
    await waitFor('the full stage bar to fill', async () => (await stageText('full').textContent()) === '10 / 10 targets');
    await page.waitForSelector('[data-event-type="completed"]');
    await waitFor('every target confirmed', async () => (await page.locator('.tiles .tile-confirmed').count()) === 10);
    expect(await headerState().getAttribute('data-state')).toBe('completed');
    expect(await stillSameDocument()).toBe(true);
    await screenshot('dashboard-rollout');
  });

  it('shows a bad change regress and roll back without a reload, with the evidence and the diff', async () => {
    // Given the page of a change that makes targets fail their health checks
    const r = await create(
      makeRolloutRequest({
        configKey: key,
        targets: { selector },
        content: { pool: 64, region: 'eu-west', timeouts: { connectMs: 250, readMs: 500 }, healthy: false },
        stages: slowStages,
        health: { intervalSeconds: 0.25, timeoutMs: 1000, maxErrorRate: 0.1, maxLatencyMs: 250, failureThreshold: 2 },
        description: 'shrink read timeouts',
      }),
    );
    await page.goto(`${base}/rollouts/${r.id}`);
    await signedInAs(tokens.erin!, 'erin');
    await markNoReload();
    // Then the regression, its evidence and the rollback appear as they happen
    await page.waitForSelector('[data-event-type="regression_detected"]', { timeout: 60_000 });
    await page.waitForSelector('[data-event-type="rolled_back"]', { timeout: 60_000 });
    await page.waitForSelector('.rollout-head [data-testid="state"][data-state="rolled_back"]');
    expect(await stillSameDocument()).toBe(true);
    // And the decision's evidence reads as what was measured against what was allowed, with the
    // failing targets named; the raw record stays one click away, closed
    const decision = page.locator('[data-event-type="regression_detected"]').first();
    const errorRate = decision.locator('[data-check="error-rate"]');
    expect(await errorRate.locator('.check-observed').textContent()).toBe('100% (1 of 1 failed)');
    expect(await errorRate.locator('.check-limit').textContent()).toBe('at most 10%');
    expect(await errorRate.getAttribute('data-verdict')).toBe('over');
    expect(await decision.locator('[data-check="streak"] .check-observed').textContent()).toBe('2 in a row');
    expect(await decision.locator('[data-check="streak"] .check-limit').textContent()).toBe('2 to fail');
    expect(await decision.locator('[data-testid="failing-targets"] tr[data-target]').count()).toBe(1);
    expect(await decision.locator('[data-testid="failing-targets"] tr[data-target] td').allTextContents()).toEqual([
      expect.stringMatching(/^checkout-push-\d+$/),
      'HTTP 500',
      '',
    ]);
    expect(await decision.locator('details.raw').getAttribute('open')).toBeNull();
    expect(await decision.locator('details.raw pre').textContent()).toContain('"status": 500');
    // And the diff shows what changed against version 1
    expect(await page.locator('[data-testid="diff"] .diff-add').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('"healthy": false')]),
    );
    expect(await page.locator('[data-testid="health-chart-canary"] canvas').count()).toBeGreaterThan(0);
    // And the target map catches up: every target assigned and running version 1 again
    await page.waitForFunction(
      `(() => {
        const tiles = [...document.querySelectorAll('[data-target] .tile-versions')];
        return tiles.length > 0 && tiles.every((el) => /assigned v1(?!\\d)/.test(el.textContent) && /running v1(?!\\d)/.test(el.textContent));
      })()`,
      undefined,
      { timeout: 15_000 },
    );
    await screenshot('dashboard-regression');
    await viewShot('[data-event-type="regression_detected"]', 'evidence-regression');
  });

  it('rolls a rollout back from its page: one health sample on a sane axis, stage times that stop, the requester named in the list', async () => {
    // Given a rollout whose canary bakes for minutes and is probed every two: one health sample so far
    const heldKey = `orders-db-${stack.taskQueue.slice(-6)}`;
    const r = await create(
      makeRolloutRequest({
        configKey: heldKey,
        targets: { selector },
        content: { pool: 24, healthy: true },
        stages: [
          { name: 'canary', percent: 10, bakeSeconds: 600 },
          { name: 'full', percent: 100, bakeSeconds: 1 },
        ],
        health: { intervalSeconds: 120, timeoutMs: 1000, maxErrorRate: 0.1, failureThreshold: 2 },
        description: 'orders pool, rolled back by hand',
      }),
    );
    await page.goto(`${base}/rollouts/${r.id}`);
    await signedInAs(tokens.erin!, 'erin');
    await markNoReload();
    // Then its chart spans minutes around the sample, not years
    const chart = page.locator('[data-testid="health-chart-canary"][data-x-from]');
    await chart.waitFor({ timeout: 30_000 });
    const { body: health } = await stack.api<{ items: { at: string }[] }>('GET', `/v1/rollouts/${r.id}/health`);
    expect(health.items).toHaveLength(1);
    const sampleAt = Date.parse(health.items[0]!.at) / 1000;
    const from = Number(await chart.getAttribute('data-x-from'));
    const to = Number(await chart.getAttribute('data-x-to'));
    expect(from).toBeLessThan(sampleAt);
    expect(to).toBeGreaterThan(sampleAt);
    expect(to - from).toBeLessThanOrEqual(15 * 60);
    await viewShot('[data-testid="health-chart-canary"]', 'health-one-sample');

    // When erin rolls it back from the page (and confirms)
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('button[data-action="rollback"]:not([disabled])').click();
    await page.waitForSelector('.rollout-head [data-testid="state"][data-state="rolled_back"]', { timeout: 60_000 });
    expect(await stillSameDocument()).toBe(true);
    // Then the canary's time stops where the rollback cut it: the page, re-drawn every 5 s, shows the same span
    const canary = page.locator('[data-testid="stage-canary"]');
    await page.waitForSelector('[data-testid="stage-canary"][data-finished]');
    const span = await canary.locator('[data-testid="stage-span"]').textContent();
    expect(span).toMatch(/ → /);
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(await canary.locator('[data-testid="stage-span"]').textContent()).toBe(span);
    await viewShot('[data-testid="stages"]', 'stages-rolled-back');
    // And who asked for it is named, in the people panel and the decision's evidence
    expect(await page.locator('[data-testid="people"] [data-kind="rollback_requested"]').getAttribute('data-person')).toBe('erin');
    expect(await page.locator('[data-event-type="rollback_requested"] [data-testid="event-actor"]').textContent()).toBe('by erin');

    // And the list says who asked for the rollback
    await page.goto(`${base}/`);
    const row = page.locator(`tr[data-rollout="${r.id}"]`);
    await row.locator('[data-state="rolled_back"]').waitFor();
    expect(await row.locator('.reason').textContent()).toBe('rollback requested by erin');
    await viewShot(`tr[data-rollout="${r.id}"]`, 'list-rolled-back');
  });

  it('shows canary analysis: the evidence of each metric as a table and canary against baseline as a chart', async () => {
    // Given a rollout judged by canary analysis
    const r = await create({
      configKey: `${key}-analysis`,
      content: { pool: 32 },
      targets: { selector },
      stages: [
        { name: 'canary', percent: 50, bakeSeconds: 3 },
        { name: 'full', percent: 100, bakeSeconds: 1 },
      ],
      health: { intervalSeconds: 0.5, timeoutMs: 1000, maxErrorRate: 0, failureThreshold: 2 },
      analysis: { checks: [{ type: 'http' }], minSamples: 2 },
    });
    await page.goto(`${base}/rollouts/${r.id}`);
    // Then its page shows the latest verdict with, per metric, the samples, medians and test statistics
    const row = (metric: string) => page.locator(`[data-testid="analysis-table"] tr[data-metric="${metric}"]`);
    await row('latency').waitFor({ timeout: 30_000 });
    await page.waitForFunction(
      `(() => { const cells = document.querySelectorAll('[data-testid="analysis-table"] tr[data-metric="latency"] td'); return cells.length > 3 && Number(cells[2].textContent) >= 2; })()`,
      undefined,
      { timeout: 30_000 },
    );
    const latency = await row('latency').locator('td').allTextContents();
    expect(latency[0]).toBe('latency (critical)');
    expect(Number(latency[2])).toBeGreaterThanOrEqual(2);
    expect(Number(latency[3])).toBeGreaterThanOrEqual(2);
    expect(latency[8]).toMatch(/ \/ 200$/);
    expect(await row('errors').count()).toBe(1);
    expect(await page.locator('[data-testid="analysis-verdict"]').textContent()).toMatch(/^canary: /);
    // And a chart of canary against baseline
    expect(await page.locator('[data-testid="analysis-chart"] canvas').count()).toBeGreaterThan(0);
    await screenshot('dashboard-analysis');
    await page.waitForSelector('.rollout-head [data-testid="state"][data-state="completed"]', { timeout: 60_000 });
  });

  it('lists rollouts with their stage progress, live, and says when the stream drops', async () => {
    // Given the list page
    await page.goto(`${base}/`);
    await markNoReload();
    await page.waitForSelector('[data-testid="live"][data-state="live"]');
    await page.waitForSelector('tr[data-rollout] [data-state="rolled_back"]');
    // When a rollout starts, it appears and moves without a reload
    const r = await create(
      makeRolloutRequest({
        configKey: `feature-flags-${stack.taskQueue.slice(-6)}`,
        targets: { selector },
        content: { newCheckout: true },
        stages: slowStages.map((s) => ({ ...s, bakeSeconds: 1 })),
      }),
    );
    const row = page.locator(`tr[data-rollout="${r.id}"]`);
    await row.waitFor();
    // And an emergency is flagged where it cannot be missed
    const emergency = await create(
      makeRolloutRequest({
        configKey: `tls-certs-${stack.taskQueue.slice(-6)}`,
        targets: { selector },
        content: { chain: 'renewed' },
        stages: [{ name: 'all', percent: 100, bakeSeconds: 1 }],
        emergency: { reason: 'INC-2211: certificate expired at 09:00, checkout refusing TLS' },
      }),
    );
    const emergencyRow = page.locator(`tr[data-rollout="${emergency.id}"]`);
    await emergencyRow.locator('[data-testid="emergency"]').waitFor();
    expect(await emergencyRow.locator('[data-testid="submitted-by"]').textContent()).toBe('by admin');
    await waitFor(
      'its canary bar to fill',
      async () => (await row.locator('[data-testid="stage-progress-canary"] .progress-text').textContent()) === '1 / 1',
    );
    await screenshot('dashboard-list');
    await row.locator('[data-state="completed"]').waitFor({ timeout: 60_000 });
    expect(await stillSameDocument()).toBe(true);

    // When the API goes away, the page says the stream dropped; when it is back, it is live again
    await stopServer();
    await page.waitForSelector('[data-testid="live"][data-state="reconnecting"]');
    expect(await live().textContent()).toMatch(/disconnected/i);
    await (globalThis as { restartApi?: () => Promise<void> }).restartApi!();
    await page.waitForSelector('[data-testid="live"][data-state="live"]', { timeout: 20_000 });

    // And the emergency's own page says so first, with its reason
    await emergencyRow.locator('a').click();
    await page.waitForSelector('[data-testid="emergency-banner"]');
    expect(await page.locator('[data-testid="emergency-banner"]').textContent()).toContain(
      'INC-2211: certificate expired at 09:00, checkout refusing TLS',
    );
    await page.waitForSelector('.rollout-head [data-testid="state"][data-state="completed"]', { timeout: 60_000 });
    expect(await page.locator('[data-testid="review-status"]').textContent()).toBe('Skipped: emergency');
    await screenshot('dashboard-emergency');
  });

  it('lists the audit log, filtered, a page at a time', async () => {
    // Given an approver on the list page, they open the audit log from the top bar
    await page.goto(`${base}/`);
    await page.click('[data-testid="nav-audit"]');
    const rows = page.locator('[data-testid="audit"] tr[data-audit]');
    await rows.first().waitFor();
    // Then it lists who did what, newest first: erin's review, pause and resume are there
    const actors = await rows.locator('.audit-actor').allTextContents();
    const actions = (await rows.locator('.audit-action').allTextContents()).map((a, i) => `${actors[i]} ${a}`);
    expect(actions).toEqual(
      expect.arrayContaining(['erin reviewRollout', 'erin pauseRollout', 'erin resumeRollout', 'admin createRollout']),
    );
    await screenshot('dashboard-audit');

    // When they filter by actor, only that actor's entries remain
    await page.fill('[data-filter="actor"]', 'erin');
    await page.press('[data-filter="actor"]', 'Enter');
    await waitFor('only erin', async () => {
      const actors = await page.locator('[data-testid="audit"] .audit-actor').allTextContents();
      return actors.length > 0 && actors.every((a) => a === 'erin');
    });
    expect(new URL(page.url()).search).toBe('?actor=erin');

    // And with a small page, "Load more" follows the cursor
    await page.goto(`${base}/audit?limit=2`);
    await waitFor('a page of two', async () => (await rows.count()) === 2);
    await page.click('[data-testid="audit-more"]');
    await waitFor('a second page', async () => (await rows.count()) === 4);
    const ids = await Promise.all((await rows.all()).map((row) => row.getAttribute('data-audit')));
    expect(new Set(ids).size).toBe(4);
  });

  it('writes the incident report of a bad change: impact, timeline, evidence and diff, and a Markdown download', async () => {
    // Given a stable version, then a schema change that fails every request, rolled back by Tollgate
    const incidentKey = `inventory-db-${stack.taskQueue.slice(-6)}`;
    const change = {
      configKey: incidentKey,
      targets: { selector },
      stages: slowStages.map((st) => ({ ...st, bakeSeconds: 0.5 })),
      health: { intervalSeconds: 0.25, timeoutMs: 1000, failureThreshold: 1 },
    };
    const good = await create(makeRolloutRequest({ ...change, content: { schema: 7, healthy: true } }));
    await stack.untilRollout(good.id, 'completed', (r) => r.state === 'completed', 60_000);
    const bad = await create(makeRolloutRequest({ ...change, content: { schema: 8, healthy: false }, description: 'inventory schema 8' }));
    await stack.untilRollout(bad.id, 'rolled back', (r) => r.state === 'rolled_back', 60_000);

    // When someone opens the rollout and follows its report link
    await page.goto(`${base}/rollouts/${bad.id}`);
    if (await page.locator('[data-testid="signin"]').isVisible()) await signIn(tokens.vera!, 'vera');
    await page.locator('[data-testid="report-link"]').click();
    await page.waitForSelector('[data-testid="report-title"]');
    expect(new URL(page.url()).pathname).toBe(`/rollouts/${bad.id}/report`);

    // Then the report shows what reached the fleet, how fast it was caught and undone, and why
    expect(await page.locator('[data-testid="report-title"]').textContent()).toBe(`Incident: ${incidentKey} v1 → v2 rolled back`);
    expect(await page.locator('[data-testid="report-status"]').textContent()).toBe('safe');
    expect(await page.locator('[data-testid="report-exposed"] .figure-value').textContent()).toBe('1 of 10');
    expect(await page.locator('[data-testid="report-blast-radius"] .figure-value').textContent()).toBe('10%');
    expect(await page.locator('[data-testid="report-tts"] .figure-value').textContent()).toMatch(/^\d+(\.\d+)? m?s$/);
    expect(await page.locator('[data-testid="report-timeline-table"]').textContent()).toContain('regression detected');
    expect(await page.locator('[data-testid="report-checks"]').textContent()).toContain('500');
    expect(await page.locator('[data-testid="report-diff-changes"] li').allTextContents()).toEqual([
      '~ /schema: 7 → 8',
      '~ /healthy: true → false',
    ]);
    expect(await page.locator('[data-testid="report-restored"]').textContent()).toBe('Restored: 1 target.');
    await page.locator('[data-testid="report-corrective"]').waitFor();
    await screenshot('dashboard-report');

    // And the Markdown download is the server's report
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="report-download"]')]);
    expect(download.suggestedFilename()).toBe(`incident-${bad.id}.md`);
    const text = readFileSync(await download.path(), 'utf8');
    expect(text.startsWith(`# Incident: ${incidentKey} v1 → v2 rolled back`)).toBe(true);
    expect(text).toContain('## Corrective measures');
  });

  it('sends the user back to the sign-in form when their token is revoked', async () => {
    const secret = await stack.token('temp-browser', 'viewer');
    const { body: tokenList } = await stack.api<{ items: { id: string; name: string }[] }>('GET', '/v1/tokens');
    await page.click('[data-testid="sign-out"]');
    await signIn(secret, 'temp-browser');
    // (Signed in on the audit page, which a viewer may not read and which has no live stream.)
    expect(await page.locator('[data-testid="live"]').isHidden()).toBe(true);
    await page.click('.brand');
    await page.waitForSelector('[data-testid="live"][data-state="live"]');
    const id = tokenList.items.find((t) => t.name === 'temp-browser')!.id;
    expect((await stack.api('DELETE', `/v1/tokens/${id}`)).status).toBe(200);
    // The next request (here: opening the list) gets 401, and the form comes back saying why
    await page.click('.brand');
    await page.waitForSelector('[data-testid="signin"] [role="alert"]:has-text("Your session ended")');
    expect(await page.locator('[data-testid="session"]').isHidden()).toBe(true);
    expect(await page.evaluate('sessionStorage.getItem("tollgate.token")')).toBeNull();
  });
});
