import type { Logger } from 'pino';
import type { HeraldConfig } from '../config/HeraldConfig.js';
import { startPlaygroundHerald } from '../playground/startPlaygroundHerald.js';
import { createHerald } from './createHerald.js';

interface Running {
  stop(): Promise<void>;
}

/**
 * Starts Herald for `npm start` and stops it cleanly on SIGTERM/SIGINT. Without credentials it runs the
 * playground: the same Herald, wired to simulated Teams, Graph and login services on loopback.
 */
export async function runHerald(config: HeraldConfig, log: Logger): Promise<void> {
  let running: Running;
  if (config.mode === 'playground') {
    const playground = await startPlaygroundHerald({ config, log });
    running = playground;
    log.info({ url: playground.url, mode: config.mode, dataDir: config.dataDir }, 'Herald is listening (playground)');
    // One plain line a person can click, whatever the log format.
    process.stdout.write(`Herald playground: ${playground.playgroundUrl}\n`);
  } else {
    const app = await createHerald(config, log);
    const url = await app.start();
    running = app;
    log.info({ url, mode: config.mode }, 'Herald is listening');
  }

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
