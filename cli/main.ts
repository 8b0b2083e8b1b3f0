/**
 * The `tollgate` command line: finds the command, parses its arguments, runs it, and turns every
 * failure into `error: <message>` on stderr with a stable exit code (see cli/errors.ts).
 */
import { type Command, type Context, GLOBAL_OPTIONS, helpText, type Io, makeContext, parseCommand } from './command';
import { auditCommand, tokenCommands, whoamiCommand } from './commands/governance';
import { targetCommands } from './commands/target';
import { rolloutCommands } from './commands/rollout';
import { policyCommands } from './commands/policy';
import { freezeCommands } from './commands/freeze';
import { subscriptionCommands } from './commands/subscription';
import { diffCommand, reportCommand } from './commands/report';
import { ApiError, Exit, UsageError } from './errors';

export const COMMANDS: Command[] = [
  ...rolloutCommands,
  ...targetCommands,
  ...tokenCommands,
  auditCommand,
  whoamiCommand,
  ...policyCommands,
  ...freezeCommands,
  ...subscriptionCommands,
  reportCommand,
  diffCommand,
];

const GROUPS: Record<string, string> = {
  rollout: 'Start, follow, review and steer staged rollouts',
  target: 'Register and list the targets that receive configuration',
  token: 'Create, list and revoke API tokens (admin)',
  policy: "Read and set a config key's rollout policy",
  subscription: 'Send rollout events to webhooks and Slack, and see their deliveries (admin)',
};

function overview(group?: string): string {
  const cmds = COMMANDS.filter((c) => !group || c.name.startsWith(`${group} `));
  const w = Math.max(...cmds.map((c) => c.name.length));
  const lines = [
    group
      ? `Usage: tollgate ${group} <command> [options]`
      : 'Usage: tollgate <rollout|target|token|policy> <command> [options] | tollgate <audit|whoami|report|diff|freeze> [options]',
    '',
    group ? (GROUPS[group] ?? '') : 'Staged configuration rollouts with health-gated automatic rollback.',
    '',
    'Commands:',
    ...cmds.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'Global options:',
    ...Object.entries(GLOBAL_OPTIONS).map(
      ([n, o]) => `  ${`${o.short ? `-${o.short}, ` : '    '}--${n}${o.arg ? ` ${o.arg}` : ''}`.padEnd(16)}  ${o.desc}`,
    ),
    '',
    'Environment:',
    `  TOLLGATE_URL     The API (default http://localhost:3000)`,
    `  TOLLGATE_TOKEN   Your API token, sent as "Authorization: Bearer <token>"; its name is the actor on every record`,
    `  NO_COLOR         Set to turn colours off`,
    '',
    'Exit codes: 0 ok / rollout completed, 1 error, 2 usage error, 3 rolled back, 4 failed, 5 rejected in review.',
    `Run "tollgate ${group ?? '<group>'} <command> --help" for a command's options and examples.`,
  ];
  return `${lines.join('\n')}\n`;
}

export async function run(argv: string[], io: Io): Promise<number> {
  const [group, sub, ...rest] = argv;
  const say = (s: string) => void io.stderr.write(s);
  if (group === undefined || group === '--help' || group === '-h' || group === 'help') {
    (group === undefined ? io.stderr : io.stdout).write(overview());
    return group === undefined ? Exit.Usage : Exit.Ok;
  }
  // A command of one word (`whoami`, `audit`, `freeze`, `unfreeze`): everything after it is its arguments.
  const single = COMMANDS.find((c) => c.name === group);
  if (!single && !GROUPS[group]) {
    say(`error: unknown command "${group}"\n\n${overview()}`);
    return Exit.Usage;
  }
  if (!single && (sub === undefined || sub === '--help' || sub === '-h')) {
    (sub === undefined ? io.stderr : io.stdout).write(overview(group));
    return sub === undefined ? Exit.Usage : Exit.Ok;
  }
  const cmd =
    single ??
    COMMANDS.find((c) => c.name === `${group} ${sub}`) ??
    (sub === 'list' ? COMMANDS.find((c) => c.name === `${group} ls`) : undefined);
  if (!cmd) {
    say(`error: unknown command "${group} ${sub ?? ''}"\n\n${overview(group)}`);
    return Exit.Usage;
  }
  const args = single ? argv.slice(1) : rest;
  let ctx: Context | undefined;
  try {
    const { values, positionals } = parseCommand(cmd, args);
    if (values.help === true) {
      io.stdout.write(helpText(cmd));
      return Exit.Ok;
    }
    ctx = makeContext(values, io);
    return await cmd.run(ctx, values, positionals);
  } catch (err) {
    if (err instanceof UsageError) {
      say(`error: ${err.message}\nsee: tollgate ${err.command ?? cmd.name} --help\n`);
      return Exit.Usage;
    }
    if (err instanceof ApiError) {
      say(`error: ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`);
      return Exit.Error;
    }
    say(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return Exit.Error;
  }
}

function start(): void {
  const ac = new AbortController();
  const interrupt = () => {
    // A second Ctrl-C means "now": do not wait for a clean stop.
    if (ac.signal.aborted) process.exit(Exit.Interrupted);
    ac.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  // Piped into `head`: the reader left, which is no error of ours.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(Exit.Ok);
    throw err;
  });
  run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: ac.signal }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = Exit.Error;
    },
  );
}

start();
