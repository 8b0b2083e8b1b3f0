/**
 * What every command shares: its declared options (which drive both `util.parseArgs` and the
 * generated `--help`), the global options and environment, and how output reaches the terminal.
 */
import { parseArgs } from 'node:util';
import type { ApiClient } from '../api/client';
import { cliClient } from './client';
import { UsageError } from './errors';
import { makeStyle, type Style } from './render';

export const DEFAULT_URL = 'http://localhost:3000';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Placeholder in help, e.g. FILE. */
  arg?: string;
  desc: string;
}

export interface Command {
  /** `rollout create` */
  name: string;
  summary: string;
  /** After `tollgate <name> `, e.g. `ID [--reason TEXT]`. */
  usage: string;
  description?: string;
  options: Record<string, OptionSpec>;
  /** Names of positional arguments, all required. */
  positionals: string[];
  examples: string[];
  run(ctx: Context, values: Values, positionals: string[]): Promise<number>;
}

export type Values = Record<string, string | boolean | string[] | undefined>;

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  url: { type: 'string', arg: 'URL', desc: `Tollgate API (default: $TOLLGATE_URL, else ${DEFAULT_URL})` },
  json: { type: 'boolean', desc: 'Machine-readable JSON output' },
  'no-color': { type: 'boolean', desc: 'No colours (also: NO_COLOR set in the environment)' },
  help: { type: 'boolean', short: 'h', desc: 'Show help' },
};

export interface Output {
  write(s: string): void;
  isTTY: boolean;
  columns: number;
  rows: number;
  style: Style;
}

export interface Context {
  /** The typed client of the contract, with the CLI's deadline and errors (cli/client.ts). */
  client: ApiClient;
  json: boolean;
  out: Output;
  err: Output;
  env: NodeJS.ProcessEnv;
  /** Aborts on Ctrl-C; long-running commands stop at it. */
  signal: AbortSignal;
}

export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
}

function colorWanted(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv, noColor: boolean): boolean {
  // https://no-color.org: any non-empty NO_COLOR turns colour off.
  return Boolean(stream.isTTY) && !noColor && !env.NO_COLOR && env.TERM !== 'dumb';
}

function output(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv, noColor: boolean): Output {
  return {
    write: (s) => void stream.write(s),
    isTTY: Boolean(stream.isTTY),
    columns: stream.columns || 100,
    rows: stream.rows || 40,
    style: makeStyle(colorWanted(stream, env, noColor)),
  };
}

export function makeContext(values: Values, io: Io): Context {
  const env = io.env;
  const noColor = values['no-color'] === true;
  const url = (typeof values.url === 'string' ? values.url : undefined) ?? env.TOLLGATE_URL ?? DEFAULT_URL;
  if (!/^https?:\/\/[^/]/.test(url)) throw new UsageError(`--url / TOLLGATE_URL: "${url}" is not an http(s) URL`);
  return {
    // Who acts is the token's name on the server: there is no other identity to send.
    client: cliClient({ baseUrl: url, token: env.TOLLGATE_TOKEN?.trim() || undefined }),
    json: values.json === true,
    out: output(io.stdout, env, noColor),
    err: output(io.stderr, env, noColor),
    env,
    signal: io.signal,
  };
}

/** Parses a command's arguments; every mistake becomes a UsageError that names the flag. */
export function parseCommand(cmd: Command, args: string[]): { values: Values; positionals: string[] } {
  const specs = { ...cmd.options, ...GLOBAL_OPTIONS };
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, o]) => [
      name,
      { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) },
    ]),
  );
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true }) as { values: Values; positionals: string[] };
  } catch (err) {
    throw new UsageError(parseArgsMessage(err), cmd.name);
  }
  if (parsed.values.help === true) return parsed;
  const { positionals } = parsed;
  if (positionals.length < cmd.positionals.length) {
    throw new UsageError(`missing ${cmd.positionals.slice(positionals.length).join(' ')}`, cmd.name);
  }
  if (positionals.length > cmd.positionals.length) {
    throw new UsageError(`unexpected argument "${positionals[cmd.positionals.length]}"`, cmd.name);
  }
  return parsed;
}

/** Node's messages mention its own API; say what the user typed instead. */
export function parseArgsMessage(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const msg = e?.message ?? String(err);
  const quoted = /'([^']+)'/.exec(msg)?.[1] ?? '';
  const flag = /--[A-Za-z0-9-]+/.exec(quoted)?.[0] ?? /-[A-Za-z0-9]/.exec(quoted)?.[0];
  switch (e?.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${flag ?? msg}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /argument missing/.test(msg) ? `${flag ?? 'option'} needs a value` : `${flag ?? 'option'} takes no value`;
    default:
      return msg;
  }
}

export function helpText(cmd: Command): string {
  const lines = [`Usage: tollgate ${cmd.name} ${cmd.usage}`.trimEnd(), '', cmd.summary];
  if (cmd.description) lines.push('', cmd.description);
  const optionLines = (specs: Record<string, OptionSpec>) => {
    const rows = Object.entries(specs).map(([name, o]) => [
      `${o.short ? `-${o.short}, ` : '    '}--${name}${o.arg ? ` ${o.arg}` : ''}`,
      `${o.desc}${o.multiple ? ' (repeatable)' : ''}`,
    ]);
    const w = Math.max(...rows.map(([l]) => l!.length));
    return rows.map(([l, d]) => `  ${l!.padEnd(w)}  ${d}`);
  };
  if (Object.keys(cmd.options).length > 0) lines.push('', 'Options:', ...optionLines(cmd.options));
  lines.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS));
  if (cmd.examples.length > 0) lines.push('', 'Examples:', ...cmd.examples.map((e) => `  ${e}`));
  return `${lines.join('\n')}\n`;
}

export function str(v: Values[string]): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function printJson(ctx: Context, value: unknown): void {
  ctx.out.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLines(ctx: Context, lines: string[]): void {
  ctx.out.write(lines.length > 0 ? `${lines.join('\n')}\n` : '');
}
