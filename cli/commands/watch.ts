/**
 * `tollgate rollout watch`: follows a rollout to its end and exits with a code a pipeline can
 * gate on (0 completed, 3 rolled back, 4 failed, 5 rejected in review). A rollout pending review
 * is watched on: it starts once approved. It reads the rollout first, then follows the
 * live event stream (SSE), reconnecting with Last-Event-ID; a server without the stream is
 * polled instead. On a terminal it redraws a live display; otherwise it prints one line per event.
 */
import { isTerminal } from '../../domain/lifecycle';
import type { HealthSample, RolloutDetail, RolloutEvent, RolloutSummary } from '../../domain/schemas';
import { type Command, type Context, type OptionSpec, str, type Values } from '../command';
import { Exit, exitCodeFor, isAuthError, UsageError } from '../errors';
import { eventLine, finalLine, watchFrame, type WatchView } from '../render';
import { followSse, sleep, SseUnavailable } from '../sse';

export const WATCH_OPTIONS: Record<string, OptionSpec> = {
  poll: { type: 'boolean', desc: 'Poll the rollout instead of following its event stream' },
  interval: { type: 'string', arg: 'SECONDS', desc: 'Seconds between polls (default 1)' },
};

export interface WatchSettings {
  forcePoll: boolean;
  pollMs: number;
  /** While streaming, how often to re-read the rollout in case the stream missed its end. */
  checkMs: number;
  /** How long the server may stay unreachable before watch gives up (exit 1). */
  giveUpMs: number;
}

export function watchSettings(values: Values): WatchSettings {
  const raw = str(values.interval);
  const seconds = raw === undefined ? 1 : Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0.1)
    throw new UsageError(`--interval: "${raw}" is not a number of seconds (at least 0.1)`, 'rollout watch');
  return { forcePoll: values.poll === true, pollMs: seconds * 1000, checkMs: 15_000, giveUpMs: 60_000 };
}

/** Where the watch goes: a live display, plain lines, or JSON lines. */
interface Sink {
  start(d: RolloutDetail): void;
  event(e: RolloutEvent, s: RolloutSummary): void;
  /** A newer summary that came without an event (a poll, or the periodic check). */
  update(s: RolloutSummary): void;
  health(stage: string, sample: HealthSample): void;
  feed(f: WatchView['feed'], note: string): void;
  tick(): void;
  end(s: RolloutSummary | null): void;
}

function plainSink(ctx: Context): Sink {
  let id = '';
  return {
    start(d) {
      id = d.id;
      for (const e of d.events) this.event(e, d);
    },
    event(e) {
      ctx.out.write(`${eventLine(id, e, ctx.out.style)}\n`);
    },
    update() {},
    health() {},
    feed(_f, note) {
      ctx.err.write(`${note}\n`);
    },
    tick() {},
    end(s) {
      if (s) ctx.out.write(`${finalLine(s, ctx.out.style)}\n`);
    },
  };
}

function jsonSink(ctx: Context): Sink {
  let id = '';
  const line = (v: unknown) => ctx.out.write(`${JSON.stringify(v)}\n`);
  return {
    start(d) {
      id = d.id;
      for (const e of d.events) this.event(e, d);
    },
    event(e, s) {
      line({ kind: 'event', rolloutId: id, state: s.state, event: e });
    },
    update() {},
    health(stage, sample) {
      line({ kind: 'health', rolloutId: id, stage, sample });
    },
    feed(_f, note) {
      ctx.err.write(`${note}\n`);
    },
    tick() {},
    end(s) {
      if (s) line({ kind: 'summary', rolloutId: id, summary: s });
    },
  };
}

/** Redraws in place: moves the cursor up over the last frame, clears to the end, writes the new one. */
function ttySink(ctx: Context, maxEvents: number): Sink {
  let view: WatchView | null = null;
  let drawn = 0;
  const draw = () => {
    if (!view) return;
    const rows = Math.max(5, ctx.out.rows - 1);
    let frame = watchFrame(view, { now: Date.now(), width: ctx.out.columns, style: ctx.out.style, events: maxEvents });
    // A frame taller than the screen cannot be redrawn in place: keep its head.
    if (frame.length > rows) frame = frame.slice(0, rows);
    ctx.out.write(`${drawn > 0 ? `\x1b[${drawn}A\r` : ''}\x1b[J${frame.join('\n')}\n`);
    drawn = frame.length;
  };
  return {
    start(d) {
      ctx.out.write('\x1b[?25l');
      view = { summary: d, events: [...d.events], health: {}, feed: 'live' };
      draw();
    },
    event(e, s) {
      if (!view) return;
      view.events.push(e);
      if (view.events.length > 200) view.events.splice(0, view.events.length - 200);
      view.summary = s;
      draw();
    },
    update(s) {
      if (!view || s.updatedAt < view.summary.updatedAt) return;
      view.summary = s;
      draw();
    },
    health(stage, sample) {
      if (!view) return;
      view.health[stage] = sample;
      draw();
    },
    feed(f) {
      if (!view) return;
      view.feed = f;
      draw();
    },
    tick: draw,
    end(s) {
      if (view && s) {
        view.summary = s;
        draw();
      }
      ctx.out.write('\x1b[?25h');
      if (s) ctx.out.write(`${finalLine(s, ctx.out.style)}\n`);
    },
  };
}

interface StreamData {
  rolloutId?: string;
  event?: RolloutEvent;
  summary?: RolloutSummary;
  stage?: string;
  sample?: HealthSample;
}

/** Follows the rollout to its end; the exit code says how it ended. */
export async function watchRollout(ctx: Context, id: string, o: WatchSettings, maxEvents = 6): Promise<number> {
  const first = await ctx.client.getRollout({ params: { rolloutId: id }, query: { targets: 'none' } });
  const sink = ctx.json ? jsonSink(ctx) : ctx.out.isTTY ? ttySink(ctx, maxEvents) : plainSink(ctx);
  sink.start(first);
  if (isTerminal(first.state)) {
    sink.end(first);
    return exitCodeFor(first.state);
  }

  let lastSeq = Math.max(0, ...first.events.map((e) => e.seq));
  let final: RolloutSummary | null = null;
  const done = new AbortController();
  const stop = () => done.abort();
  ctx.signal.addEventListener('abort', stop, { once: true });

  const onEvent = (e: RolloutEvent, s: RolloutSummary) => {
    if (e.seq <= lastSeq) return;
    lastSeq = e.seq;
    sink.event(e, s);
    if (isTerminal(s.state)) {
      final = s;
      done.abort();
    }
  };
  /** Catches up from a fresh read: any events not seen yet, and the end if it came. */
  const catchUp = (d: RolloutDetail) => {
    for (const e of d.events) onEvent(e, d);
    sink.update(d);
    if (isTerminal(d.state) && !final) {
      final = d;
      done.abort();
    }
  };
  const ticker = ctx.out.isTTY && !ctx.json ? setInterval(() => sink.tick(), 1000) : undefined;

  try {
    let streamed = false;
    if (!o.forcePoll) {
      const checker = setInterval(() => {
        ctx.client.getRollout({ params: { rolloutId: id }, query: { targets: 'none' } }).then(catchUp, () => undefined);
      }, o.checkMs);
      try {
        await followSse({
          url: ctx.client.url('streamRolloutEvents', { params: { rolloutId: id }, query: { replay: '1' } }),
          headers: ctx.client.headers(),
          signal: done.signal,
          giveUpAfterMs: o.giveUpMs,
          onOpen: (reconnect) => {
            streamed = true;
            if (reconnect) sink.feed('live', `event stream reconnected`);
          },
          onDrop: (err) => {
            if (streamed) sink.feed('reconnecting', `event stream dropped (${describe(err)}); reconnecting`);
          },
          onMessage: (m) => {
            let data: StreamData;
            try {
              data = JSON.parse(m.data) as StreamData;
            } catch {
              return;
            }
            if (m.event === 'rollout' && data.event && data.summary) onEvent(data.event, data.summary);
            else if (m.event === 'health' && data.stage && data.sample) sink.health(data.stage, data.sample);
          },
        });
        streamed = true;
      } catch (err) {
        if (!(err instanceof SseUnavailable)) throw err;
        sink.feed('polling', `no event stream on this server (HTTP ${err.status}); polling every ${o.pollMs / 1000} s`);
      } finally {
        clearInterval(checker);
      }
    }
    if (!streamed || o.forcePoll) await poll(ctx, id, o, done.signal, catchUp);
  } finally {
    if (ticker) clearInterval(ticker);
    ctx.signal.removeEventListener('abort', stop);
  }

  const ended = final as RolloutSummary | null;
  sink.end(ended);
  if (!ended) {
    ctx.err.write(`stopped watching ${id}; the rollout goes on\n`);
    return Exit.Interrupted;
  }
  return exitCodeFor(ended.state);
}

async function poll(ctx: Context, id: string, o: WatchSettings, signal: AbortSignal, catchUp: (d: RolloutDetail) => void): Promise<void> {
  let failingSince: number | null = null;
  while (!signal.aborted) {
    await sleep(o.pollMs, signal);
    if (signal.aborted) return;
    try {
      catchUp(await ctx.client.getRollout({ params: { rolloutId: id }, query: { targets: 'none' } }));
      failingSince = null;
    } catch (err) {
      if (isAuthError(err)) throw err;
      failingSince ??= Date.now();
      if (Date.now() - failingSince > o.giveUpMs) throw err;
    }
  }
}

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string } };
  return e?.cause?.code ?? e?.message ?? String(err);
}

export const watchCommand: Command = {
  name: 'rollout watch',
  summary: 'Follow a rollout until it ends; the exit code says how it ended.',
  description:
    'On a terminal the display redraws in place: per stage a progress bar of targets on the new\n' +
    'version, the stage state, the bake time left and the latest health sample, then the newest\n' +
    'events. Piped, it prints one line per event. With --json, one JSON object per line\n' +
    '({"kind":"event"|"health"|"summary",...}), the last one the final summary.\n\n' +
    'A rollout pending review is watched until a reviewer decides; it then runs or ends rejected.\n\n' +
    'Exit codes: 0 completed, 3 rolled back, 4 failed, 5 rejected in review, 1 error (e.g. server\n' +
    'unreachable for 60 s, or the token refused), 130 interrupted (the rollout goes on).',
  usage: 'ID [--poll] [--interval SECONDS]',
  options: { ...WATCH_OPTIONS, events: { type: 'string', arg: 'N', desc: 'Recent events shown on a terminal (default 6)' } },
  positionals: ['ID'],
  examples: [
    'tollgate rollout watch r0mh3k2x5a9f3c1d2e',
    'tollgate rollout watch "$ID" || { echo "rollout did not complete"; exit 1; }',
    'tollgate rollout watch "$ID" --json | jq -c "select(.kind == \\"event\\") | .event.type"',
  ],
  async run(ctx, values, [id]) {
    const raw = str(values.events);
    const n = raw === undefined ? 6 : Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--events: "${raw}" is not a whole number`, 'rollout watch');
    return watchRollout(ctx, id!, watchSettings(values), n);
  },
};
