/** `tollgate rollout ls|get|review|pause|resume|approve|rollback`: reading, reviewing and steering rollouts. */
import { ROLLOUT_ACTION_ROUTES } from '../../api/client';
import { ROLLOUT_ACTIONS, ROLLOUT_STATES, type RolloutAction, type RolloutState } from '../../domain/lifecycle';
import { Id } from '../../domain/schemas';
import { type Command, printJson, printLines, str } from '../command';
import { UsageError } from '../errors';
import { shellWord } from './governance';
import { reviewStatus, rolloutDetail, rolloutsTable, stateColor } from '../render';
import { createCommand } from './create';
import { watchCommand } from './watch';

const ls: Command = {
  name: 'rollout ls',
  summary: 'List rollouts, newest first.',
  description: 'With more rollouts than --limit, the command that shows the next page is printed on stderr (--cursor).',
  usage: '[--config-key KEY] [--state STATE] [--limit N] [--cursor C]',
  options: {
    'config-key': { type: 'string', short: 'k', arg: 'KEY', desc: 'Only rollouts of this config key' },
    state: { type: 'string', arg: 'STATE', desc: `Only rollouts in this state: ${ROLLOUT_STATES.join(', ')}` },
    limit: { type: 'string', arg: 'N', desc: 'At most N rollouts (1-500, default 100)' },
    cursor: { type: 'string', arg: 'C', desc: 'Start after this rollout (the cursor the previous page printed)' },
  },
  positionals: [],
  examples: ['tollgate rollout ls', 'tollgate rollout ls --config-key portal-db --state rolled_back --limit 5'],
  async run(ctx, values) {
    const state = str(values.state);
    if (state !== undefined && !(ROLLOUT_STATES as readonly string[]).includes(state)) {
      throw new UsageError(`--state: "${state}" is not one of ${ROLLOUT_STATES.join(', ')}`, 'rollout ls');
    }
    const key = str(values['config-key']);
    if (key !== undefined && !Id.safeParse(key).success)
      throw new UsageError(`--config-key: "${key}" is not a valid config key`, 'rollout ls');
    const rawLimit = str(values.limit);
    const limit = rawLimit === undefined ? undefined : Number(rawLimit);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 500)) {
      throw new UsageError(`--limit: "${rawLimit}" is not a whole number from 1 to 500`, 'rollout ls');
    }
    const cursor = str(values.cursor);
    const page = await ctx.client.listRollouts({ query: { configKey: key, state: state as RolloutState | undefined, limit, cursor } });
    if (ctx.json) {
      printJson(ctx, page);
      return 0;
    }
    printLines(ctx, rolloutsTable(page.items, ctx.out.style));
    if (page.nextCursor) {
      const again = Object.entries({ 'config-key': key, state, limit, cursor: page.nextCursor })
        .filter(([, v]) => v !== undefined)
        .map(([flag, v]) => `--${flag} ${shellWord(String(v))}`)
        .join(' ');
      ctx.err.write(`more: tollgate rollout ls ${again}\n`);
    }
    return 0;
  },
};

const get: Command = {
  name: 'rollout get',
  summary: 'Show a rollout: its state, stages, per-target versions and latest events.',
  usage: 'ID [--events N]',
  options: { events: { type: 'string', arg: 'N', desc: 'How many of the latest events to show (default 10)' } },
  positionals: ['ID'],
  examples: ['tollgate rollout get r0mh3k2x5a9f3c1d2e', 'tollgate rollout get r0mh3k2x5a9f3c1d2e --json | jq ".events[-1]"'],
  async run(ctx, values, [id]) {
    const raw = str(values.events);
    const n = raw === undefined ? 10 : Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--events: "${raw}" is not a whole number`, 'rollout get');
    const d = await ctx.client.getRollout({ params: { rolloutId: id! } });
    if (ctx.json) printJson(ctx, d);
    else printLines(ctx, rolloutDetail(d, ctx.out.style, n));
    return 0;
  },
};

const ACTION_HELP: Record<RolloutAction, { summary: string; description: string }> = {
  pause: {
    summary: 'Hold a running rollout where it is.',
    description: 'Health is still probed while held. Resume to go on, or roll back.',
  },
  resume: {
    summary: 'Let a paused rollout go on.',
    description: 'A rollout waiting at an approval gate needs approve, not resume. Needs role deployer.',
  },
  approve: {
    summary: 'Approve the stage a rollout waits at.',
    description:
      'Needs role approver; under a policy with approvals, someone other than the submitter, and as many\n' +
      'distinct approvers as the policy asks. On a paused rollout, approve resumes it.',
  },
  rollback: {
    summary: 'Return every target the rollout touched to its previous version.',
    description:
      'Works on a running, paused or waiting rollout, and on a completed one while its version is the newest.\nNeeds role deployer.',
  },
};

function actionCommand(action: RolloutAction): Command {
  return {
    name: `rollout ${action}`,
    summary: ACTION_HELP[action].summary,
    description: `${ACTION_HELP[action].description}\nThe timeline records the reason and, as the actor, the name of your token (TOLLGATE_TOKEN).`,
    usage: 'ID [--reason TEXT]',
    options: {
      reason: { type: 'string', short: 'm', arg: 'TEXT', desc: 'Why, for the timeline' },
    },
    positionals: ['ID'],
    examples: [`tollgate rollout ${action} r0mh3k2x5a9f3c1d2e --reason "error budget burning in eu-west"`],
    async run(ctx, values, [id]) {
      const reason = str(values.reason);
      const s = await ctx.client[ROLLOUT_ACTION_ROUTES[action]]({ params: { rolloutId: id! }, body: reason ? { reason } : {} });
      if (ctx.json) printJson(ctx, s);
      else {
        const next = s.allowedActions.length > 0 ? `; next: ${s.allowedActions.join(', ')}` : '';
        printLines(ctx, [`rollout ${s.id}: ${action} accepted, now ${stateColor(s.state, ctx.out.style)(s.state)}${next}`]);
      }
      return 0;
    },
  };
}

const review: Command = {
  name: 'rollout review',
  summary: 'Approve or reject a rollout pending review.',
  description:
    'Under a policy with approvals (PUT /v1/configs/KEY/policy {"approvals": N}) a rollout waits in\n' +
    'pending_review until N approvers other than its submitter approve it; one rejection ends it\n' +
    'without touching a target. Needs role approver; the submitter cannot review their own rollout.',
  usage: 'ID --approve|--reject [--comment TEXT]',
  options: {
    approve: { type: 'boolean', desc: 'Approve: the rollout starts once it has enough approvals' },
    reject: { type: 'boolean', desc: 'Reject: the rollout ends, no target touched' },
    comment: { type: 'string', short: 'm', arg: 'TEXT', desc: 'Why, recorded with the review' },
  },
  positionals: ['ID'],
  examples: [
    'tollgate rollout review r0mh3k2x5a9f3c1d2e --approve --comment "diff checked against TICKET-481"',
    'tollgate rollout review r0mh3k2x5a9f3c1d2e --reject -m "pool 0 would stop checkout"',
  ],
  async run(ctx, values, [id]) {
    if ((values.approve === true) === (values.reject === true)) {
      throw new UsageError('give exactly one of --approve and --reject', 'rollout review');
    }
    const decision = values.approve === true ? 'approve' : 'reject';
    const comment = str(values.comment);
    const s = await ctx.client.reviewRollout({ params: { rolloutId: id! }, body: { decision, ...(comment ? { comment } : {}) } });
    if (ctx.json) printJson(ctx, s);
    else {
      const state = stateColor(s.state, ctx.out.style)(s.state);
      printLines(ctx, [`rollout ${s.id}: ${decision === 'approve' ? 'approved' : 'rejected'}; review ${reviewStatus(s)}; now ${state}`]);
    }
    return 0;
  },
};

export const rolloutCommands = [createCommand, watchCommand, ls, get, review, ...ROLLOUT_ACTIONS.map(actionCommand)];
