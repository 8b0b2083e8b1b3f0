/** `tollgate freeze` and `tollgate unfreeze`: stop the line now, and lift it. */
import type { FreezeState } from '../../domain/policy';
import { type Command, type Context, printJson, printLines, str } from '../command';
import { UsageError } from '../errors';

/** What holds now, one line each: for a terminal, and as the answer to a stop or a lift. */
export function freezeStateText(state: FreezeState): string[] {
  if (!state.active) return ['no freeze holds: rollouts may start and go on'];
  return [
    ...state.stopTheLine.map(
      (stop) => `stop-the-line ${stop.scope === '*' ? 'for every key' : `for ${stop.scope}`}: ${stop.reason} (by ${stop.by} at ${stop.at})`,
    ),
    ...state.windows.map(
      (window) =>
        `freeze window ${window.scope === '*' ? 'of the default policy' : `of ${window.scope}`}: ${window.reason} (until ${window.endsAt})`,
    ),
  ];
}

async function show(ctx: Context, state: FreezeState): Promise<number> {
  if (ctx.json) printJson(ctx, state);
  else printLines(ctx, freezeStateText(state));
  return 0;
}

const freeze: Command = {
  name: 'freeze',
  summary: 'Stop the line now: new rollouts are refused and running ones hold before their next stage.',
  description:
    'For every key, or only the keys given. Health is still watched while frozen, and a regression still\n' +
    'rolls back. Approvers and admins may stop the line; only an admin lifts it (tollgate unfreeze).',
  usage: '--reason TEXT [--keys KEY,...] | --status',
  options: {
    reason: { type: 'string', short: 'r', arg: 'TEXT', desc: 'Why (recorded, shown to everyone refused)' },
    keys: { type: 'string', short: 'k', arg: 'KEY,...', desc: 'Only these config keys (default: every key)' },
    status: { type: 'boolean', desc: 'Only show what holds now' },
  },
  positionals: [],
  examples: [
    'tollgate freeze --reason "incident 4711: payments degraded"',
    'tollgate freeze --reason "db migration" --keys payments-db,portal-db',
    'tollgate freeze --status',
  ],
  async run(ctx, values) {
    if (values.status === true) return show(ctx, await ctx.client.getFreeze());
    const reason = str(values.reason);
    if (!reason) throw new UsageError('--reason: say why the line stops (or --status to see what holds)', 'freeze');
    const keys = str(values.keys)
      ?.split(',')
      .map((k) => k.trim())
      .filter((k) => k !== '');
    const state = await ctx.client.stopTheLine({ body: { reason, ...(keys?.length ? { configKeys: keys } : {}) } });
    return show(ctx, state);
  },
};

const unfreeze: Command = {
  name: 'unfreeze',
  summary: 'Lift stop-the-line (admin): held rollouts go on by themselves. Freeze windows of a policy still hold.',
  usage: '',
  options: {},
  positionals: [],
  examples: ['tollgate unfreeze'],
  async run(ctx) {
    return show(ctx, await ctx.client.liftFreeze());
  },
};

export const freezeCommands = [freeze, unfreeze];
