import type { Logger } from 'pino';
import type { Running } from '../../src/app/superviseProcess.js';
import type { HeraldConfig } from '../../src/config/HeraldConfig.js';
import { startPlaygroundHerald } from './startPlaygroundHerald.js';

/** `npm start` without credentials: Herald wired to the simulated Teams, Graph and login on loopback. */
export async function runPlayground(config: HeraldConfig, log: Logger): Promise<Running> {
  const playground = await startPlaygroundHerald({ config, log });
  log.info({ url: playground.url, mode: config.mode, dataDir: config.dataDir }, 'Herald is listening (playground)');
  // One plain line a person can click, set apart from the JSON log lines around it.
  process.stdout.write(`\n  ──────────────────────────────────────────────\nHerald playground: ${playground.playgroundUrl}\n  ──────────────────────────────────────────────\n\n`);
  return playground;
}
