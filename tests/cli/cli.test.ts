/**
 * The `tollgate` command as a user runs it: a real process (dist/cli/main.js) against the real
 * stack and a fleet of real HTTP targets, asserting on its output and exit codes. Each run gets
 * TOLLGATE_TOKEN: by default an admin token named `ci`, so `ci` is the actor on every record.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RolloutDetail, RolloutEvent, RolloutSummary } from '../../domain/schemas';
import { testEnv, waitFor } from '../helpers/env';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
/** Secrets of the tokens the tests act with, by name. */
const tokens: Record<string, string> = {};
let dir: string;
let selector: string;
let n = 0;
const MAIN = join(testEnv().dist, 'cli', 'main.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function tollgate(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, TOLLGATE_URL: stack.apiUrl, TOLLGATE_TOKEN: tokens.ci!, ...env },
        timeout: 60_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

/** A long-running command (watch) whose output the test reads as it comes. */
function started(args: string[], env: Record<string, string> = {}): { output: () => Run; done: Promise<Run> } {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TOLLGATE_URL: stack.apiUrl, TOLLGATE_TOKEN: tokens.ci!, ...env },
  });
  const run: Run = { code: null, stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (run.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (run.stderr += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const done = new Promise<Run>((resolve) =>
    child.once('close', (code) => {
      clearTimeout(killer);
      resolve({ ...run, code });
    }),
  );
  return { output: () => run, done };
}

function nextKey(): string {
  n += 1;
  return `${stack.taskQueue}-k${n}`;
}

/** A rollout request file, as an engineer would write it. */
function changeFile(key: string, content: string, bakeSeconds = 0.3): string {
  const path = join(dir, `${key}.yaml`);
  writeFileSync(
    path,
    [
      `configKey: ${key}`,
      'content:',
      ...content.split('\n').map((l) => `  ${l}`),
      'targets:',
      `  selector: { app: ${selector} }`,
      'stages:',
      `  - { name: canary, percent: 25, bakeSeconds: ${bakeSeconds} }`,
      `  - { name: full, percent: 100, bakeSeconds: ${bakeSeconds} }`,
      'health: { intervalSeconds: 0.2, timeoutMs: 1000, failureThreshold: 1 }',
      '',
    ].join('\n'),
  );
  return path;
}

async function create(file: string, ...extra: string[]): Promise<RolloutSummary> {
  const r = await tollgate(['rollout', 'create', '-f', file, '--json', ...extra]);
  expect(r).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(r.stdout) as RolloutSummary;
}

async function detail(id: string): Promise<RolloutDetail> {
  return (await stack.api<RolloutDetail>('GET', `/v1/rollouts/${id}`)).body;
}

beforeAll(async () => {
  stack = await startStack('cli');
  for (const [name, role] of [
    ['ci', 'admin'],
    ['alice', 'deployer'],
    ['dana', 'deployer'],
    ['erin', 'approver'],
    ['frank', 'approver'],
  ] as const)
    tokens[name] = await stack.token(name, role);
  selector = `${stack.taskQueue}-app`;
  await stack.fleet({ push: 4, pull: 0, idPrefix: stack.taskQueue, labels: { app: selector } });
  dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-'));
});
afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('targets', () => {
  it('puts, lists with labels, and removes a target', async () => {
    const id = `${stack.taskQueue}-extra`;
    const put = await tollgate([
      'target',
      'put',
      id,
      '--label',
      'app=extra',
      '--label',
      'region=eu-west',
      '--health-url',
      'http://127.0.0.1:9/health',
    ]);
    expect(put.code).toBe(0);
    expect(put.stdout).toContain(`target ${id}`);
    expect(put.stdout).toMatch(/labels\s+app=extra,region=eu-west/);

    const ls = await tollgate(['target', 'ls', '--selector', 'app=extra,region=eu-west']);
    expect(ls.code).toBe(0);
    expect(ls.stdout.split('\n')[0]).toMatch(/^ID\s+LABELS\s+DELIVERY\s+HEALTH URL$/);
    expect(ls.stdout).toMatch(new RegExp(`${id}\\s+app=extra,region=eu-west\\s+pull\\s+http://127.0.0.1:9/health`));

    const json = await tollgate(['target', 'ls', '--json', '--selector', `app=${selector}`]);
    expect((JSON.parse(json.stdout) as { items: { id: string }[] }).items).toHaveLength(4);

    expect((await tollgate(['target', 'rm', id])).stdout).toBe(`target ${id} removed\n`);
    const again = await tollgate(['target', 'rm', id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`error: targetId: no target ${id}\n`);
  });

  it('refuses a bad URL before sending it', async () => {
    const r = await tollgate(['target', 'put', 'x', '--health-url', 'ftp://nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --health-url: must be an http or https URL/);
  });
});

describe('a rollout from a YAML file', () => {
  it('is created, listed, shown, and watched to completion (exit 0, plain lines when piped)', async () => {
    const key = nextKey();
    const created = await tollgate(['rollout', 'create', '-f', changeFile(key, 'pool: 20\nhealthy: true'), '--description', 'pool to 20']);
    expect(created.code).toBe(0);
    const id = /^rollout (\S+) created: /.exec(created.stdout)?.[1];
    expect(id).toBeDefined();
    expect(created.stdout).toContain(`follow it: tollgate rollout watch ${id}`);

    const watch = await tollgate(['rollout', 'watch', id!]);
    expect(watch.code).toBe(0);
    const lines = watch.stdout.trimEnd().split('\n');
    // Not a terminal: one plain line per event, no escape codes, then how it ended.
    expect(watch.stdout).not.toContain('\x1b');
    expect(lines[0]).toMatch(
      new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ rollout ${id} - rollout_started version 1 of ${key} to 4 targets$`),
    );
    expect(lines).toContainEqual(expect.stringMatching(/ canary stage_completed stage canary healthy after 0.3 s bake$/));
    expect(lines.at(-2)).toMatch(/ - completed version 1 confirmed running on all 4 targets$/);
    expect(lines.at(-1)).toBe(`rollout ${id} completed`);

    const ls = await tollgate(['rollout', 'ls', '--config-key', key]);
    expect(ls.stdout.split('\n')[0]).toMatch(/^ID\s+CONFIG\s+VERSION\s+STATE\s+STAGE\s+PROGRESS\s+SUBMITTED BY\s+CREATED$/);
    expect(ls.stdout).toMatch(new RegExp(`${id}\\s+${key}\\s+1\\s+completed\\s+-\\s+4/4\\s+ci\\s+\\d{4}-`));

    const get = await tollgate(['rollout', 'get', id!]);
    expect(get.code).toBe(0);
    expect(get.stdout).toMatch(/^state\s+completed$/m);
    expect(get.stdout).toMatch(/^description pool to 20$/m);
    expect(get.stdout).toMatch(/^\s+canary\s+25%\s+0s\s+no\s+\[##########\] 1\/1\s+completed$/m);
    expect(get.stdout).toMatch(/^\s+ID\s+RUNNING\s+THIS ROLLOUT\s+BEFORE\s+RESTORED$/m);
    expect(get.stdout).toMatch(new RegExp(`^\\s+${stack.taskQueue}-push-0\\s+1\\s+1 at \\d\\d:\\d\\d:\\d\\d\\s+none\\s+-$`, 'm'));

    // An ended rollout: watch prints its history and exits at once.
    const again = await tollgate(['rollout', 'watch', id!, '--json']);
    expect(again.code).toBe(0);
    const objects = again.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; summary?: RolloutSummary });
    expect(objects.at(-1)).toMatchObject({ kind: 'summary', summary: { id, state: 'completed' } });
  });

  it('exits 3 when the change is rolled back, with the evidence in the stream', async () => {
    const key = nextKey();
    const bad = changeFile(key, 'healthy: false');
    const r = await tollgate(['rollout', 'create', '-f', bad, '--watch', '--json']);
    expect(r.code).toBe(3);
    const objects = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; event?: RolloutEvent; summary?: RolloutSummary });
    const regression = objects.find((o) => o.event?.type === 'regression_detected')!;
    expect(regression.event!.message).toMatch(/^error rate 100% exceeds 0% \(1\/1 failed\)$/);
    expect((regression.event!.detail.sample as { failures: unknown[] }).failures[0]).toMatchObject({ status: 500 });
    expect(objects.at(-1)).toMatchObject({ kind: 'summary', summary: { state: 'rolled_back' } });

    const plain = await tollgate(['rollout', 'watch', objects.at(-1)!.summary!.id]);
    expect(plain.code).toBe(3);
    expect(plain.stdout).toMatch(
      / canary regression_detected error rate 100% exceeds 0% \(1\/1 failed\) \[failing: \S+-push-\d: HTTP 500\]\n/,
    );

    // The canary target's row says what this rollout gave it and what the rollback restored (nothing: the key was new)
    const get = await tollgate(['rollout', 'get', objects.at(-1)!.summary!.id]);
    expect(get.stdout).toMatch(/^\s+\S+-push-\d+\s+.+\s+1 at \d\d:\d\d:\d\d\s+none\s+none at \d\d:\d\d:\d\d$/m);
  });
});

describe('steering', () => {
  it('pauses and resumes a rollout, and reports a refused action as an error', async () => {
    const key = nextKey();
    const r = await create(changeFile(key, 'pool: 5', 3));
    await waitFor('canary baking', async () => (await detail(r.id)).stages[0]!.state === 'baking');

    const pause = await tollgate(['rollout', 'pause', r.id, '--reason', 'looking at dashboards']);
    expect(pause).toMatchObject({ code: 0, stdout: `rollout ${r.id}: pause accepted, now paused; next: resume, approve, rollback\n` });
    // The actor is the token's name: nothing on the command line can claim another.
    const paused = await detail(r.id);
    expect(paused.events.find((e) => e.type === 'paused')?.detail).toMatchObject({ actor: 'ci', reason: 'looking at dashboards' });

    const again = await tollgate(['rollout', 'pause', r.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: .*paused/);

    const resume = await tollgate(['rollout', 'resume', r.id, '--json'], { TOLLGATE_TOKEN: tokens.alice! });
    expect(resume.code).toBe(0);
    expect(JSON.parse(resume.stdout)).toMatchObject({ id: r.id, state: 'running' });
    expect((await detail(r.id)).events.find((e) => e.type === 'resumed')?.message).toBe('resumed by alice');

    expect((await tollgate(['rollout', 'watch', r.id])).code).toBe(0);
  });
});

describe('tokens', () => {
  it('creates a token (secret on stdout, once), lists and revokes it; the revoked token then gets 401 saying what to do', async () => {
    const name = `viewer-${stack.taskQueue.slice(-8)}`;
    const created = await tollgate(['token', 'create', '--name', name, '--role', 'viewer', '--expires-at', '30d']);
    expect(created.code).toBe(0);
    // stdout is the secret alone, so TOKEN=$(tollgate token create ...) works; the rest is on stderr.
    expect(created.stdout).toMatch(/^\S{20,}\n$/);
    const secret = created.stdout.trim();
    const id = /^token (tok_[0-9a-f]{16}) created: /.exec(created.stderr)?.[1];
    expect(id).toBeDefined();
    expect(created.stderr).toContain(`${name}, role viewer, expires 20`);
    expect(created.stderr).toContain('its secret, shown this once:');
    expect(created.stderr).toContain('cannot be shown again');

    const me = await tollgate(['whoami'], { TOLLGATE_TOKEN: secret });
    expect(me).toMatchObject({ code: 0, stderr: '' });
    expect(me.stdout).toMatch(new RegExp(`^name {5}${name}\nrole {5}viewer\nvia {6}token ${id}\nexpires  20`));

    const ls = await tollgate(['token', 'ls']);
    expect(ls.code).toBe(0);
    expect(ls.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+ROLE\s+TARGETS\s+CREATED\s+BY\s+EXPIRES\s+STATUS$/);
    expect(ls.stdout).toMatch(new RegExp(`${id}\\s+${name}\\s+viewer\\s+-\\s+\\S+\\s+ci\\s+20\\S+\\s+active\n`));
    expect(ls.stdout).not.toContain(secret);

    const revoked = await tollgate(['token', 'revoke', id!]);
    expect(revoked).toMatchObject({ code: 0, stdout: `token ${id} (${name}, viewer) revoked by ci\n` });
    expect((await tollgate(['token', 'ls'])).stdout).toMatch(new RegExp(`${id}\\s+${name}\\s.*revoked \\S+ by ci\n`));

    const refused = await tollgate(['rollout', 'ls'], { TOLLGATE_TOKEN: secret });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(
      'error: unauthenticated: authorization: unknown, revoked or expired token\n' +
        'hint: TOLLGATE_TOKEN was refused: it is unknown, revoked or expired. Ask an admin for a new one (tollgate token create) and set TOLLGATE_TOKEN to it.\n',
    );
    // The live stream refuses it too, at once: watch does not retry a refused token.
    const watch = await tollgate(['rollout', 'watch', 'r-any'], { TOLLGATE_TOKEN: secret });
    expect(watch.code).toBe(1);
    expect(watch.stderr).toMatch(/^error: unauthenticated: /);
  });

  it('says to set TOLLGATE_TOKEN when there is none, and names the role a refused command needs', async () => {
    const none = await tollgate(['rollout', 'ls'], { TOLLGATE_TOKEN: '' });
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(
      'error: unauthenticated: authorization: send Authorization: Bearer <token>\n' +
        'hint: set TOLLGATE_TOKEN to an API token; an admin creates one with: tollgate token create --name NAME --role ROLE\n',
    );
    const low = await tollgate(['token', 'ls'], { TOLLGATE_TOKEN: tokens.alice! });
    expect(low.code).toBe(1);
    expect(low.stderr).toMatch(
      /^error: forbidden: alice \(deployer\) may not do this: it needs role admin or higher\nhint: the role of TOLLGATE_TOKEN is too low/,
    );
  });
});

describe('review and emergency', () => {
  async function requireApprovals(key: string, approvals: number): Promise<void> {
    const r = await stack.api('PUT', `/v1/configs/${key}/policy`, { approvals });
    expect(r.status).toBe(200);
  }

  it('a rollout under a policy with approvals waits for review; watch follows it through the approval to the end', async () => {
    // Given a key whose policy asks for one approval
    const key = nextKey();
    await requireApprovals(key, 1);
    // When a deployer submits a change
    const created = await tollgate(['rollout', 'create', '-f', changeFile(key, 'pool: 11')], { TOLLGATE_TOKEN: tokens.dana! });
    expect(created.code).toBe(0);
    const id = /^rollout (\S+) created: /.exec(created.stdout)?.[1];
    expect(created.stdout).toContain(
      `  pending review: 0 of 1 approval (waiting for 1 more); an approver runs: tollgate rollout review ${id} --approve`,
    );

    // Then it waits, shown as pending review with its submitter
    const get = await tollgate(['rollout', 'get', id!]);
    expect(get.stdout).toMatch(/^state\s+pending_review - waiting for 1 approval$/m);
    expect(get.stdout).toMatch(/^submitted\s+by dana$/m);
    expect(get.stdout).toMatch(/^review\s+0 of 1 approval \(waiting for 1 more\)$/m);
    expect(get.stdout).toMatch(new RegExp(`^actions\\s+review \\(tollgate rollout review ${id} --approve\\|--reject\\)$`, 'm'));
    const ls = await tollgate(['rollout', 'ls', '--config-key', key]);
    expect(ls.stdout).toMatch(new RegExp(`${id}\\s+${key}\\s+1\\s+pending_review\\s+-\\s+0/4\\s+dana\\s+\\d{4}-`));

    // And watch keeps watching while it waits
    const watching = started(['rollout', 'watch', id!]);
    await waitFor('watch to print the history', async () => watching.output().stdout.includes(' review_requested '));
    // A deployer may not review; an approver may
    const deployer = await tollgate(['rollout', 'review', id!, '--approve'], { TOLLGATE_TOKEN: tokens.alice! });
    expect(deployer.code).toBe(1);
    expect(deployer.stderr).toMatch(/^error: forbidden: alice \(deployer\) may not do this: it needs role approver or higher\n/);
    const approved = await tollgate(['rollout', 'review', id!, '--approve', '--comment', 'diff looks right'], {
      TOLLGATE_TOKEN: tokens.erin!,
    });
    expect(approved).toMatchObject({ code: 0, stdout: `rollout ${id}: approved; review 1 of 1 approval; now running\n` });

    const watch = await watching.done;
    expect(watch.code).toBe(0);
    expect(watch.stdout).toMatch(/ - review_requested version 1 of \S+ waits for 1 approval before it starts\n/);
    expect(watch.stdout).toMatch(/ - reviewed approved by erin \(1 of 1\)\n/);
    expect(watch.stdout.trimEnd().split('\n').at(-1)).toBe(`rollout ${id} completed`);

    const after = await tollgate(['rollout', 'get', id!]);
    expect(after.stdout).toMatch(/^reviews and approvals\n\s+AT\s+BY\s+DECISION\s+COMMENT\n\s+\S+Z\s+erin\s+approved\s+diff looks right$/m);
  });

  it('the submitter cannot review their own rollout; a rejection ends it and watch exits 5', async () => {
    const key = nextKey();
    await requireApprovals(key, 1);
    const r = await create(changeFile(key, 'pool: 12'), '--description', 'submitted by an approver');
    // ci is an admin: four eyes still applies to it.
    const own = await tollgate(['rollout', 'review', r.id, '--approve']);
    expect(own.code).toBe(1);
    expect(own.stderr).toBe(
      `error: four_eyes: ci submitted rollout ${r.id} and may not review it\n` +
        'hint: four eyes: someone other than the submitter, with the approver role, must do this.\n',
    );
    const rejected = await tollgate(['rollout', 'review', r.id, '--reject', '-m', 'wrong pool size'], { TOLLGATE_TOKEN: tokens.frank! });
    expect(rejected).toMatchObject({
      code: 0,
      stdout: `rollout ${r.id}: rejected; review rejected by frank: wrong pool size; now rejected\n`,
    });
    const watch = await tollgate(['rollout', 'watch', r.id]);
    expect(watch.code).toBe(5);
    expect(watch.stdout).toMatch(/ - rejected rejected by frank: wrong pool size; no target was touched\n/);
    expect(watch.stdout.trimEnd().split('\n').at(-1)).toBe(`rollout ${r.id} rejected: rejected by frank: wrong pool size`);
  });

  it('an emergency skips review, is admin only, and is flagged in create, get and ls', async () => {
    const key = nextKey();
    await requireApprovals(key, 1);
    const reason = 'INC-42: pool exhausted, checkout down';
    const file = changeFile(key, 'pool: 40');
    const deployer = await tollgate(['rollout', 'create', '-f', file, '--emergency-reason', reason], { TOLLGATE_TOKEN: tokens.dana! });
    expect(deployer.code).toBe(1);
    expect(deployer.stderr).toMatch(/^error: forbidden: emergency: dana \(deployer\) may not set it: it needs role admin\n/);

    const created = await tollgate(['rollout', 'create', '-f', file, '--emergency-reason', reason, '--watch']);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/ - rollout_started version 1 of \S+ to 4 targets \(EMERGENCY\)\n/);
    const id = /^rollout (\S+) created/.exec(created.stderr)?.[1];
    const get = await tollgate(['rollout', 'get', id!]);
    expect(get.stdout.split('\n').slice(0, 2)).toEqual([
      `EMERGENCY: ${reason}`,
      '  started on the emergency path: no review, no staging minimums (never without health checks)',
    ]);
    expect(get.stdout).toMatch(/^review\s+skipped \(emergency\)$/m);
    const ls = await tollgate(['rollout', 'ls', '--config-key', key]);
    expect(ls.stdout.split('\n')[0]).toMatch(/\s+CREATED\s+EMERGENCY$/);
    expect(ls.stdout).toMatch(new RegExp(`${id}\\s.*completed.*\\sci\\s+\\S+\\s+EMERGENCY: INC-42`));
  });
});

describe('rollout ls pages', () => {
  it('prints the command for the next page on stderr, and that command shows the next rollouts', async () => {
    // Earlier tests in this file have started several rollouts.
    const json = JSON.parse((await tollgate(['rollout', 'ls', '--limit', '1', '--json'])).stdout) as {
      items: { id: string }[];
      nextCursor: string | null;
    };
    expect(json.items).toHaveLength(1);
    expect(json.nextCursor).toEqual(expect.any(String));

    const first = await tollgate(['rollout', 'ls', '--limit', '1']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(json.items[0]!.id);
    const more = /^more: tollgate rollout ls (--limit 1 --cursor \S+)\n$/.exec(first.stderr);
    expect(more).not.toBeNull();
    const second = await tollgate(['rollout', 'ls', ...more![1]!.split(' ')]);
    expect(second.code).toBe(0);
    expect(second.stdout.split('\n')).toHaveLength(3);
    expect(second.stdout).not.toContain(json.items[0]!.id);
  });
});

describe('audit', () => {
  it('lists who did what, newest first, filtered; deployers may not read it', async () => {
    const key = nextKey();
    const r = await create(changeFile(key, 'pool: 13', 3));
    await waitFor('canary baking', async () => (await detail(r.id)).stages[0]!.state === 'baking');
    expect((await tollgate(['rollout', 'pause', r.id], { TOLLGATE_TOKEN: tokens.alice! })).code).toBe(0);
    expect((await tollgate(['rollout', 'rollback', r.id, '-m', 'not today'])).code).toBe(0);

    // Entries are written once each answer has gone out: wait for the third. (Only the creation
    // names the config key, so the rollout's entries are picked out by its id.)
    const read = () => tollgate(['audit', '--since', '10m', '--limit', '500'], { TOLLGATE_TOKEN: tokens.erin! });
    const audit = await waitFor('three audit entries', async () => {
      const a = await read();
      return a.stdout.split('\n').filter((l) => l.includes(r.id)).length === 3 ? a : undefined;
    });
    expect(audit.code).toBe(0);
    const lines = audit.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^AT\s+ACTOR\s+ROLE\s+ACTION\s+STATUS\s+CONFIG\s+ROLLOUT/);
    expect(lines.filter((l) => l.includes(r.id)).map((l) => l.split(/\s+/).slice(1, 5))).toEqual([
      ['ci', 'admin', 'rollbackRollout', '202'],
      ['alice', 'deployer', 'pauseRollout', '202'],
      ['ci', 'admin', 'createRollout', '201'],
    ]);
    const byKey = await tollgate(['audit', '--config-key', key], { TOLLGATE_TOKEN: tokens.erin! });
    expect(byKey.stdout).toMatch(new RegExp(`\\sci\\s+admin\\s+createRollout\\s+201\\s+${key}\\s+${r.id}`));

    const alice = await tollgate(['audit', '--actor', 'alice', '--since', '10m', '--limit', '1', '--json'], {
      TOLLGATE_TOKEN: tokens.erin!,
    });
    const page = JSON.parse(alice.stdout) as { items: { actor: string; action: string }[]; nextCursor: string | null };
    expect(page.items).toEqual([expect.objectContaining({ actor: 'alice', action: 'pauseRollout' })]);

    const more = await tollgate(['audit', '--actor', 'ci', '--limit', '1'], { TOLLGATE_TOKEN: tokens.erin! });
    expect(more.stderr).toMatch(/^more: tollgate audit --actor ci --limit 1 --cursor \d+-\d+\n$/);

    const denied = await tollgate(['audit'], { TOLLGATE_TOKEN: tokens.alice! });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^error: forbidden: alice \(deployer\) may not do this: it needs role approver or higher\n/);
  });
});

describe('watch without an event stream', () => {
  let proxy: Server;
  let proxyUrl: string;

  /** An older server: every route but the event stream, which answers 404. */
  beforeAll(async () => {
    proxy = createServer((req, res) => {
      if (/\/events(\?|$)/.test(req.url ?? '')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"NotFound","message":"no route"}}');
        return;
      }
      const authorization = req.headers.authorization ?? '';
      void fetch(`${stack.apiUrl}${req.url}`, { method: req.method, headers: { accept: 'application/json', authorization } }).then(
        async (up) =>
          res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' }).end(await up.text()),
      );
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
  });

  it('falls back to polling and still exits with the outcome', async () => {
    const key = nextKey();
    const created = await stack.api<RolloutSummary>('POST', '/v1/rollouts', {
      configKey: key,
      content: { pool: 7 },
      targets: { selector: { app: selector } },
      stages: [
        { name: 'canary', percent: 25, bakeSeconds: 1 },
        { name: 'full', percent: 100, bakeSeconds: 1 },
      ],
      health: { intervalSeconds: 0.2, timeoutMs: 1000, failureThreshold: 1 },
    });
    const r = created.body;
    // Held until the watcher has fallen back to polling, so it sees the rollout move.
    expect((await stack.api('POST', `/v1/rollouts/${r.id}/pause`)).status).toBe(202);
    const watching = started(['rollout', 'watch', r.id, '--interval', '0.2'], { TOLLGATE_URL: proxyUrl });
    await waitFor('watch to fall back to polling', async () => watching.output().stderr.includes('polling'));
    expect((await stack.api('POST', `/v1/rollouts/${r.id}/resume`)).status).toBe(202);
    const watch = await watching.done;
    expect(watch.code).toBe(0);
    expect(watch.stderr).toBe('no event stream on this server (HTTP 404); polling every 0.2 s\n');
    expect(watch.stdout).toMatch(/ - completed version 1 confirmed running on all 4 targets\n/);
    // Each event once, in order, though polls overlap.
    const seqTypes = watch.stdout.split('\n').filter((l) => / rollout_started | stage_started /.test(l));
    expect(seqTypes).toHaveLength(3);
  });
});

describe('usage and connection errors', () => {
  it.each([
    [
      ['rollout', 'create', '--config-key', 'k', '--content', '{}', '--selector', 'app=x', '--on-regression', 'rollbak'],
      /^error: --on-regression: onRegression: /,
    ],
    [
      ['rollout', 'create', '--config-key', 'k', '--content', '{}', '--selector', 'app=x', '--stages', 'canary:5'],
      /^error: --stages: "canary:5" is not/,
    ],
    [['rollout', 'ls', '--colour'], /^error: unknown option --colour\nsee: tollgate rollout ls --help\n$/],
    [['rollout', 'ls', '--state', 'done'], /^error: --state: "done" is not one of pending_review, running, /],
    [['rollout', 'watch'], /^error: missing ID\n/],
    [['rollout', 'create', '-f'], /^error: --file needs a value\n/],
    [['rollouts', 'ls'], /^error: unknown command "rollouts"\n/],
    [['rollout', 'pause', 'r1', '--actor', 'alice'], /^error: unknown option --actor\n/],
    [['rollout', 'review', 'r1'], /^error: give exactly one of --approve and --reject\n/],
    [
      ['token', 'create', '--name', 'x', '--role', 'root'],
      /^error: --role: "root" is not one of viewer, deployer, approver, admin, agent\n/,
    ],
    [
      ['token', 'create', '--name', 'x', '--role', 'agent'],
      /^error: --targets-ids or --targets-selector: an agent token needs a target scope\n/,
    ],
    [['token', 'revoke', 'alice'], /^error: ID: "alice" must be a token id like tok_0123456789abcdef/],
    [['audit', '--since', 'yesterday'], /^error: --since: "yesterday" is neither an ISO 8601 time/],
    [['audit', '--limit', '0'], /^error: --limit: "0" is not a whole number from 1 to 500\n/],
    [
      ['rollout', 'create', '--config-key', 'k', '--content', '{}', '--selector', 'app=x', '--emergency-reason', 'asap'],
      /^error: --emergency-reason: emergency.reason: an emergency needs a reason of at least 10 characters\n/,
    ],
  ])('%j exits 2 naming the mistake', async (args, message) => {
    const r = await tollgate(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('a typo in a request file never reaches the server', async () => {
    const path = join(dir, 'typo.json');
    writeFileSync(path, JSON.stringify({ configKey: 'k', content: {}, targets: { selector: { app: 'x' } }, onRegresion: 'pause' }));
    const r = await tollgate(['rollout', 'create', '-f', path], { TOLLGATE_URL: 'http://127.0.0.1:1' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*typo\.json: .*onRegresion/);
  });

  it('prints help with examples and exits 0', async () => {
    const r = await tollgate(['rollout', 'watch', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: tollgate rollout watch ID/);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('0 completed, 3 rolled back, 4 failed');
  });

  it('exits 1 when the server cannot be reached', async () => {
    // A port that was free a moment ago: nothing listens there.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((r) => closed.close(r));
    const r = await tollgate(['rollout', 'ls'], { TOLLGATE_URL: url });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: cannot reach Tollgate at ${url} (ECONNREFUSED); set TOLLGATE_URL or --url\n`);
  });

  it('reports the server’s 404 as an error', async () => {
    const r = await tollgate(['rollout', 'get', 'r-none']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: rolloutId: /);
  });
});

const ESC = String.fromCharCode(27);
// `script` (util-linux, in Debian's essential bsdutils) gives the watcher a real pseudo-terminal.
describe('on a terminal', () => {
  beforeAll(() => {
    if (spawnSync('script', ['--version']).status !== 0) throw new Error('`script` (util-linux) is needed for the terminal test');
  });

  it('redraws a live display with progress bars and leaves the final state', async () => {
    const key = nextKey();
    const r = await create(changeFile(key, 'pool: 9', 0.5));
    // `script` gives the command a pseudo-terminal, as an engineer's shell would.
    const cmd = `${process.execPath} ${MAIN} rollout watch ${r.id}`;
    const out = await new Promise<Run>((resolve) =>
      execFile(
        'script',
        ['-qfec', cmd, '/dev/null'],
        {
          env: { PATH: process.env.PATH, TERM: 'xterm', TOLLGATE_URL: stack.apiUrl, TOLLGATE_TOKEN: tokens.ci!, NO_COLOR: '1' },
          timeout: 60_000,
        },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
      ),
    );
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('\x1b[?25l');
    expect(out.stdout).toMatch(new RegExp(`${ESC}\\[\\d+A`));
    expect(out.stdout).toMatch(/canary\s+\[##########\] 1\/1\s+completed/);
    expect(out.stdout).toMatch(/full\s+\[##########\] 4\/4\s+completed/);
    expect(out.stdout).toContain(`rollout ${r.id} completed`);
    // NO_COLOR: cursor movement, but no colour.
    expect(out.stdout).not.toMatch(new RegExp(`${ESC}\\[3\\dm`));
  });
});
