/** `tollgate report ID` and `tollgate diff KEY`: what went wrong in a rollout, and what changed between two versions. */
import { Id } from '../../domain/schemas';
import { type Command, printJson, printLines, str } from '../command';
import { UsageError } from '../errors';
import { configDiffLines } from '../render';

export const reportCommand: Command = {
  name: 'report',
  summary: 'The incident report of a rollout that rolled back, failed or regressed: a postmortem draft in Markdown.',
  description:
    'Summary, impact (targets exposed, for how long, blast radius), timeline, failing checks with their numbers,\n' +
    'the config diff against the stable version, time to detect and to safety, what was and was not restored,\n' +
    'and an empty corrective-measures section to fill in. A rollout without an incident is refused (NoIncident).\n' +
    'Definitions of every time: docs/reports.md.',
  usage: 'ID [--json]',
  options: {},
  positionals: ['ID'],
  examples: ['tollgate report r0mh3k2x5a9f3c1d2e > incident.md', 'tollgate report r0mh3k2x5a9f3c1d2e --json | jq .detection'],
  async run(ctx, _values, [id]) {
    if (ctx.json) printJson(ctx, await ctx.client.getRolloutReport({ params: { rolloutId: id! } }));
    else ctx.out.write(await ctx.client.text('getRolloutReport', { params: { rolloutId: id! } }));
    return 0;
  },
};

function versionFlag(raw: string | undefined, flag: '--from' | '--to', min: 0 | 1): number {
  if (raw === undefined) throw new UsageError(`${flag} N: the ${flag === '--from' ? 'old' : 'new'} version is required`, 'diff');
  const n = Number(raw);
  if (!/^\d{1,9}$/.test(raw) || n < min) {
    throw new UsageError(`${flag}: "${raw}" is not a version number${min === 0 ? ' (0 for none)' : ''}`, 'diff');
  }
  return n;
}

export const diffCommand: Command = {
  name: 'diff',
  summary: 'What changed between two versions of a config: each operation (RFC 6902), then the changed lines.',
  description: '--from 0 diffs against no version (the whole document is added). --json prints the JSON Patch and the rest.',
  usage: 'KEY --from N --to M [--json]',
  options: {
    from: { type: 'string', arg: 'N', desc: 'The old version (0: none)' },
    to: { type: 'string', arg: 'M', desc: 'The new version' },
  },
  positionals: ['KEY'],
  examples: ['tollgate diff portal-db --from 1 --to 2', 'tollgate diff portal-db --from 1 --to 2 --json | jq .patch'],
  async run(ctx, values, [key]) {
    if (!Id.safeParse(key).success) throw new UsageError(`KEY: "${key}" is not a valid config key`, 'diff');
    const from = versionFlag(str(values.from), '--from', 0);
    const to = versionFlag(str(values.to), '--to', 1);
    const d = await ctx.client.getConfigDiff({ params: { configKey: key! }, query: { from, to } });
    if (ctx.json) printJson(ctx, d);
    else printLines(ctx, configDiffLines(d, ctx.out.style));
    return 0;
  },
};
