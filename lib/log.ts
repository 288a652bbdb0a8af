import pino, { type Logger } from 'pino';

export type { Logger };

/** One JSON logger per process, to stderr so stdout stays free for command output. */
export function createLogger(name: string, bindings: Record<string, unknown> = {}): Logger {
  return pino(
    { name, level: process.env.LOG_LEVEL ?? 'info', base: { pid: process.pid, ...bindings } },
    pino.destination({ fd: 2, sync: false }),
  );
}
