import type { Logger } from 'pino';
import type { HeraldConfig } from '../config/HeraldConfig.js';
import { createHerald } from './createHerald.js';
import type { Running } from './superviseProcess.js';

/** Herald against the configured Graph, login and Bot Framework endpoints (mode `live`). */
export async function startLiveHerald(config: HeraldConfig, log: Logger): Promise<Running> {
  const app = await createHerald(config, log);
  const url = await app.start();
  log.info({ url, mode: config.mode }, 'Herald is listening');
  return app;
}
