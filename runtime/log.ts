/**
 * The processes' logs: one JSON object per line on stdout (pino), readable by any log pipeline,
 * or coloured lines for a person when stdout is a terminal. Request lines name the request id and
 * the actor, rollout lines the rollout id, so one grep follows a rollout across API and worker.
 *
 * LOG_LEVEL (trace, debug, info, warn, error, fatal, silent; default info) and LOG_FORMAT (json,
 * pretty, auto; default auto: pretty on a terminal) are read once, by `createLogger`.
 */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { z } from 'zod';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export const LogLevel = z.enum(LOG_LEVELS);
export type LogLevel = z.infer<typeof LogLevel>;
export const LogFormat = z.enum(['json', 'pretty', 'auto']);
export type LogFormat = z.infer<typeof LogFormat>;

export interface LoggerOptions {
  /** `api` or `worker`: every line carries it as `process`. */
  name: string;
  level?: LogLevel;
  format?: LogFormat;
  /** Where lines go (tests); stdout by default. */
  destination?: NodeJS.WritableStream;
}

/**
 * The process's root logger. Pretty output runs pino-pretty as an in-process stream, not as a
 * worker-thread transport: nothing to resolve at run time from dist/, and a line is written
 * before the call returns, so the readiness lines launchers wait for are never held back.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const format = opts.format ?? 'auto';
  const destination = opts.destination ?? process.stdout;
  const isTty = (destination as { isTTY?: boolean }).isTTY === true;
  const base = {
    level: opts.level ?? 'info',
    base: { process: opts.name, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (format === 'pretty' || (format === 'auto' && isTty)) {
    return pino(
      base,
      pretty({
        sync: true,
        colorize: isTty,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,process',
        destination: destination as never,
      }),
    );
  }
  return pino(
    // Level names, not numbers: what people and most log pipelines search for.
    { ...base, formatters: { level: (label: string) => ({ level: label }) } },
    destination === process.stdout ? pino.destination({ dest: 1, sync: true }) : destination,
  );
}

/** Logs nothing: the default of code that takes a logger (tests, libraries). */
export const silentLogger: Logger = pino({ level: 'silent' });

/**
 * What of an error may be logged: name, message, code, stack. Never the error object itself:
 * some carry the request body (config content) or a client's options (credentials).
 */
export function errorFields(err: unknown): { name?: string; message: string; code?: unknown; stack?: string } {
  if (!(err instanceof Error)) return { message: String(err).slice(0, 500) };
  const code = (err as { code?: unknown }).code;
  return { name: err.name, message: err.message, ...(code !== undefined ? { code } : {}), ...(err.stack ? { stack: err.stack } : {}) };
}
