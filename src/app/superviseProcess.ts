import type { Logger } from 'pino';

/** What `npm start` keeps running: Herald itself, or the playground around it. */
export interface Running {
  stop(): Promise<void>;
}

/**
 * Stops `running` cleanly on SIGTERM/SIGINT (stop accepting, finish or persist in-flight work, flush
 * storage) and exits 0, or 1 when the stop itself failed.
 */
export function superviseProcess(running: Running, log: Logger): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
