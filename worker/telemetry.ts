/**
 * The worker's telemetry: the Temporal SDK's runtime installed with its Prometheus exporter on a
 * loopback port (the worker's /metrics serves it, see metrics-server.ts) and its logs, native
 * ones included, written through the worker's pino logger.
 */
import { createServer } from 'node:net';
import type { LogLevel as TemporalLogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import type { Logger } from '../runtime/log';

const LEVELS: Record<TemporalLogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The SDK's logger interface over pino: workflow and activity context (ids, types) become fields. */
export function temporalLogger(log: Logger): TemporalLogger {
  const sdk = log.child({ component: 'temporal' });
  const write = (level: TemporalLogLevel, message: string, meta?: LogMetadata) => sdk[LEVELS[level]]({ ...meta }, message);
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}

/** A free loopback port, asked of the kernel (the SDK's exporter cannot report the port it bound). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Installs the SDK runtime once, before any connection: its metrics exporter listens on
 * 127.0.0.1:`port` (0: a free port), and the returned URL is where the worker's /metrics reads them.
 */
export async function installTemporalRuntime(log: Logger, port: number): Promise<{ metricsUrl: string }> {
  const bound = port === 0 ? await freeLoopbackPort() : port;
  const bindAddress = `127.0.0.1:${bound}`;
  Runtime.install({
    logger: temporalLogger(log),
    telemetryOptions: {
      logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } },
      // The SDK's defaults (milliseconds, counters without _total), as Temporal's metrics reference names them.
      metrics: { prometheus: { bindAddress } },
    },
  });
  return { metricsUrl: `http://${bindAddress}/metrics` };
}
