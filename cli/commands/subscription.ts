/**
 * `tollgate subscription add|ls|rm|deliveries` (admin): where rollout events are sent, and what
 * became of each notification. The request is checked against the API's schema before it is
 * sent, so a mistake names the flag.
 */
import { CreateSubscriptionRequest, DELIVERIES_KEPT, NOTIFICATION_EVENTS } from '../../domain/notifications';
import { type Command, printJson, printLines, str, type Values } from '../command';
import { UsageError } from '../errors';
import { deliveriesTable, subscriptionsTable } from '../render';

const FLAGS: Record<string, string> = {
  url: '--url',
  events: '--events',
  format: '--format',
  configKeys: '--config-keys',
  secret: '--secret-env',
};

function list(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  return raw
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** The request from flags. The secret comes from an environment variable, never a flag: flags end up in shell history and `ps`. */
export function buildSubscriptionRequest(values: Values, env: NodeJS.ProcessEnv): CreateSubscriptionRequest {
  const secretEnv = str(values['secret-env']);
  const secret = secretEnv !== undefined ? env[secretEnv] : undefined;
  if (secretEnv !== undefined && secret === undefined) throw new UsageError(`--secret-env: $${secretEnv} is not set`, 'subscription add');
  const events = list(str(values.events));
  const configKeys = list(str(values['config-keys']));
  const request = {
    url: str(values.url),
    ...(events !== undefined ? { events } : {}),
    ...(str(values.format) !== undefined ? { format: str(values.format) } : {}),
    ...(configKeys !== undefined ? { configKeys } : {}),
    ...(secret !== undefined ? { secret } : {}),
  };
  const r = CreateSubscriptionRequest.safeParse(request);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const top = String(issue.path[0] ?? '');
  const message = top === 'url' && request.url === undefined ? 'is required' : issue.message;
  throw new UsageError(`${FLAGS[top] ?? `--${top}`}: ${message}`, 'subscription add');
}

const add: Command = {
  name: 'subscription add',
  summary: 'Send rollout events to a URL (JSON, or a Slack incoming webhook).',
  description:
    `Events: ${NOTIFICATION_EVENTS.join(', ')} (default: all).\n` +
    'With --secret-env NAME each POST is signed with the secret in $NAME (header Tollgate-Signature);\n' +
    'the secret is never shown again. See docs/notifications.md for the payload and how to verify it.',
  usage: '--url URL [--events e1,e2] [--format json|slack] [--config-keys k1,k2] [--secret-env NAME]',
  options: {
    url: { type: 'string', arg: 'URL', desc: 'Receives a POST per event' },
    events: { type: 'string', arg: 'e1,e2', desc: 'Only these events' },
    format: { type: 'string', arg: 'json|slack', desc: 'The body: the notification as it is (json) or a Slack message' },
    'config-keys': { type: 'string', arg: 'k1,k2', desc: 'Only rollouts of these config keys' },
    'secret-env': { type: 'string', arg: 'NAME', desc: 'Sign with the secret in this environment variable' },
  },
  positionals: [],
  examples: [
    'tollgate subscription add --url https://hooks.slack.com/services/T0/B0/XXX --format slack --events regression,rolled_back,failed',
    'HOOK_SECRET=$(openssl rand -hex 32) tollgate subscription add --url https://pager.example.com/tollgate --secret-env HOOK_SECRET',
  ],
  async run(ctx, values) {
    const sub = await ctx.client.createSubscription({ body: buildSubscriptionRequest(values, ctx.env) });
    if (ctx.json) printJson(ctx, sub);
    else printLines(ctx, [`subscription ${sub.id} created`, ...subscriptionsTable([sub], ctx.out.style)]);
    return 0;
  },
};

const ls: Command = {
  name: 'subscription ls',
  summary: 'List subscriptions (never their secrets).',
  usage: '',
  options: {},
  positionals: [],
  examples: ['tollgate subscription ls', 'tollgate subscription ls --json | jq -r ".items[].id"'],
  async run(ctx) {
    const res = await ctx.client.listSubscriptions();
    if (ctx.json) printJson(ctx, res);
    else printLines(ctx, subscriptionsTable(res.items, ctx.out.style));
    return 0;
  },
};

const rm: Command = {
  name: 'subscription rm',
  summary: 'Remove a subscription and its delivery records.',
  usage: 'ID',
  options: {},
  positionals: ['ID'],
  examples: ['tollgate subscription rm sub_3f9c0a1b2c3d4e5f'],
  async run(ctx, _values, [id]) {
    await ctx.client.deleteSubscription({ params: { subscriptionId: id! } });
    if (ctx.json) printJson(ctx, { id, deleted: true });
    else printLines(ctx, [`subscription ${id} removed`]);
    return 0;
  },
};

const deliveries: Command = {
  name: 'subscription deliveries',
  summary: "A subscription's notifications, newest first: status, attempts, latency.",
  usage: `ID [--limit N]`,
  options: { limit: { type: 'string', arg: 'N', desc: `How many (1-${DELIVERIES_KEPT}, default 50)` } },
  positionals: ['ID'],
  examples: ['tollgate subscription deliveries alert-webhook', 'tollgate subscription deliveries sub_3f9c0a1b2c3d4e5f --limit 200 --json'],
  async run(ctx, values, [id]) {
    const raw = str(values.limit);
    const limit = raw === undefined ? undefined : Number(raw);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > DELIVERIES_KEPT))
      throw new UsageError(`--limit: must be a whole number from 1 to ${DELIVERIES_KEPT}`, 'subscription deliveries');
    const res = await ctx.client.listDeliveries({ params: { subscriptionId: id! }, query: { limit } });
    if (ctx.json) printJson(ctx, res);
    else printLines(ctx, deliveriesTable(res.items, ctx.out.style));
    return 0;
  },
};

export const subscriptionCommands = [add, ls, rm, deliveries];
