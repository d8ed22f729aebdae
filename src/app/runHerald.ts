import type { Logger } from 'pino';
import type { HeraldConfig } from '../config/HeraldConfig.js';
import { createHerald, type HeraldApp } from './createHerald.js';

/** Starts Herald for `npm start` and stops it cleanly on SIGTERM/SIGINT. */
export async function runHerald(config: HeraldConfig, log: Logger): Promise<void> {
  if (config.mode === 'playground') {
    process.stderr.write(
      'Herald has no credentials: set BOT_ID (with BOT_PASSWORD and BOT_TENANT_ID) or AAD_APP_CLIENT_ID (with AAD_APP_CLIENT_SECRET), and PUBLIC_URL, to run live.\n',
    );
    process.exit(1);
  }
  const app: HeraldApp = await createHerald(config, log);
  const url = await app.start();
  log.info({ url, mode: config.mode }, 'Herald is listening');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    app.stop().then(
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
