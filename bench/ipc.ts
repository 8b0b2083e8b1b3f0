/**
 * Request/answer over a forked child's IPC channel: the bench runner drives its fleet and load
 * processes this way, so control messages never share a socket with the traffic being measured.
 */
import { fork, type ChildProcess } from 'node:child_process';

export interface IpcRequest {
  rpc: number;
  cmd: string;
  args?: unknown;
}
export interface IpcAnswer {
  rpc: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

/** In a child: answers each request with `handlers[cmd](args)`. */
export function serveIpc(handlers: Record<string, (args: never) => unknown>): void {
  process.on('message', (m: IpcRequest) => {
    void (async () => {
      try {
        const fn = handlers[m.cmd];
        if (!fn) throw new Error(`unknown command ${m.cmd}`);
        const value = await fn(m.args as never);
        process.send?.({ rpc: m.rpc, ok: true, value } satisfies IpcAnswer);
      } catch (err) {
        process.send?.({ rpc: m.rpc, ok: false, error: err instanceof Error ? err.stack : String(err) } satisfies IpcAnswer);
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ rpc: 0, ok: true, value: 'ready' } satisfies IpcAnswer);
}

/** In the runner: a forked child and a typed `call`. */
export class IpcChild {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<void>;

  constructor(
    readonly label: string,
    readonly child: ChildProcess,
  ) {
    this.ready = new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`${label} exited (${code}) before it was ready`)));
      child.on('message', (m: IpcAnswer) => {
        if (m.rpc === 0) return resolve();
        const w = this.waiting.get(m.rpc);
        if (!w) return;
        this.waiting.delete(m.rpc);
        if (m.ok) w.resolve(m.value);
        else w.reject(new Error(`${label}: ${m.error}`));
      });
    });
    child.once('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`${label} exited (${code})`));
      this.waiting.clear();
    });
  }

  static fork(label: string, script: string, args: string[] = [], execArgv: string[] = []): IpcChild {
    return new IpcChild(label, fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv }));
  }

  call<T>(cmd: string, args?: unknown): Promise<T> {
    const rpc = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(rpc, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ rpc, cmd, args } satisfies IpcRequest);
    });
  }

  /** Closes the channel (the child exits on disconnect) and waits for the exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.disconnect();
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  }
}
