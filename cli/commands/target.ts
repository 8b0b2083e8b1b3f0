/** `tollgate target ls|put|rm`: the registry of whatever receives configuration. */
import { Labels, TargetInput } from '../../domain/schemas';
import { fieldName } from '../../api/http';
import { type Command, printJson, printLines, str } from '../command';
import { UsageError } from '../errors';
import { targetsTable, targetText } from '../render';

const ls: Command = {
  name: 'target ls',
  summary: 'List targets, optionally those matching a label selector.',
  usage: '[--selector k=v,k2=v2]',
  options: { selector: { type: 'string', short: 'l', arg: 'k=v,...', desc: 'Only targets with all these labels' } },
  positionals: [],
  examples: [
    'tollgate target ls',
    'tollgate target ls --selector app=portal,region=eu-west',
    'tollgate target ls --json | jq -r ".items[].id"',
  ],
  async run(ctx, values) {
    const res = await ctx.client.listTargets({ query: { selector: str(values.selector) } });
    if (ctx.json) printJson(ctx, res);
    else printLines(ctx, targetsTable(res.items, ctx.out.style));
    return 0;
  },
};

/** `--label k=v` (repeatable, or k=v,k2=v2) into a label map. */
export function parseLabels(raw: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of raw.flatMap((r) => r.split(',')).filter((p) => p.trim() !== '')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UsageError(`--label: "${part}" is not of the form key=value`, 'target put');
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  const r = Labels.safeParse(out);
  if (!r.success) throw new UsageError(`--label: ${r.error.issues[0]?.message ?? 'invalid'}`, 'target put');
  return out;
}

const put: Command = {
  name: 'target put',
  summary: 'Register a target, or replace its registration.',
  description:
    'PUT replaces the whole registration: labels and URLs not given are removed.\n' +
    'With --apply-url Tollgate pushes each version to the target; without it the target pulls its\n' +
    'assignment from GET /v1/targets/ID/configs/KEY and reports the version it loaded.',
  usage: 'ID [--label k=v]... [--health-url URL] [--apply-url URL]',
  options: {
    label: { type: 'string', multiple: true, arg: 'k=v', desc: 'A label (repeat the flag, or k=v,k2=v2)' },
    'health-url': { type: 'string', arg: 'URL', desc: 'Probed with GET while a stage bakes' },
    'apply-url': { type: 'string', arg: 'URL', desc: 'Push delivery: receives POST {configKey, version, content, rolloutId}' },
  },
  positionals: ['ID'],
  examples: [
    'tollgate target put web-1 --label app=portal --label region=eu-west --health-url http://10.0.0.1:8080/health --apply-url http://10.0.0.1:8080/apply',
    'tollgate target put batch-7 --label app=portal,tier=batch   # pulls its config',
  ],
  async run(ctx, values, [id]) {
    const input = {
      labels: parseLabels((values.label as string[] | undefined) ?? []),
      ...(str(values['health-url']) ? { healthUrl: str(values['health-url']) } : {}),
      ...(str(values['apply-url']) ? { applyUrl: str(values['apply-url']) } : {}),
    };
    const r = TargetInput.safeParse(input);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      const flag =
        { healthUrl: '--health-url', applyUrl: '--apply-url', labels: '--label' }[String(issue.path[0])] ?? fieldName(issue.path);
      throw new UsageError(`${flag}: ${issue.message}`, 'target put');
    }
    const t = await ctx.client.putTarget({ params: { targetId: id! }, body: r.data });
    if (ctx.json) printJson(ctx, t);
    else printLines(ctx, targetText(t));
    return 0;
  },
};

const rm: Command = {
  name: 'target rm',
  summary: 'Remove a target. Refused while an active rollout includes it.',
  usage: 'ID',
  options: {},
  positionals: ['ID'],
  examples: ['tollgate target rm web-1'],
  async run(ctx, _values, [id]) {
    await ctx.client.deleteTarget({ params: { targetId: id! } });
    if (ctx.json) printJson(ctx, { id, deleted: true });
    else printLines(ctx, [`target ${id} removed`]);
    return 0;
  },
};

export const targetCommands = [ls, put, rm];
