import type { Logger } from 'pino';

/** What `npm start` keeps running: Herald itself, or the playground around it. */
export interface Running {
  stop(): Promise<void>;
}

/** The parts of `process` supervision uses (a stand-in in tests). */
export interface SupervisedProcess {
  once(event: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  on(event: 'uncaughtException' | 'unhandledRejection', listener: (error: unknown) => void): unknown;
  exit(code: number): void;
}

/** How long a stop after a crash may take before the process exits anyway. */
export const CRASH_STOP_TIMEOUT_MS = 10_000;

/**
 * Keeps the contract's promise around a running Herald. SIGTERM/SIGINT: stop accepting, finish or
 * persist in-flight work, flush storage, exit 0 (1 when the stop itself failed). An error nothing
 * caught: log it, stop the same way (bounded in time), exit 1 so a supervisor restarts Herald. Takes
 * the start itself, so a signal that arrives while Herald is still starting is not lost.
 */
export function superviseProcess(starting: Promise<Running>, log: Logger, proc: SupervisedProcess = process): void {
  let stopping = false;
  const stop = (code: number, timeoutMs: number | null) => {
    if (stopping) return;
    stopping = true;
    const timer = timeoutMs === null ? null : setTimeout(() => proc.exit(code), timeoutMs);
    starting
      .then((running) => running.stop())
      .then(
        () => proc.exit(code),
        (error: unknown) => {
          log.error({ err: error }, 'unclean stop');
          proc.exit(1);
        },
      )
      .finally(() => {
        if (timer) clearTimeout(timer);
      });
  };
  const onSignal = (signal: string) => () => {
    log.info({ signal }, 'stopping');
    stop(0, null);
  };
  proc.once('SIGTERM', onSignal('SIGTERM'));
  proc.once('SIGINT', onSignal('SIGINT'));
  const onCrash = (kind: string) => (error: unknown) => {
    log.fatal({ err: error, kind }, 'Herald hit an error nothing handled: stopping so it can be restarted');
    stop(1, CRASH_STOP_TIMEOUT_MS);
  };
  proc.on('uncaughtException', onCrash('uncaughtException'));
  proc.on('unhandledRejection', onCrash('unhandledRejection'));
}
