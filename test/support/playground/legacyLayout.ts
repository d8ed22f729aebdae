/** DATA_DIR as versions before `DATA_DIR/playground/herald/` left it: the playground's Herald files at its top level. */
import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { playgroundHeraldDir } from '../../../sim/playground/playgroundConfig.js';
import { startPlaygroundRun } from './playgroundHarness.js';

/** Runs a playground with Herald installed on `dataDir`, stops it, and moves Herald's files to the old place. */
export async function makeLegacyPlaygroundDataDir(dataDir: string): Promise<void> {
  const run = await startPlaygroundRun({ dataDir });
  try {
    await run.installWithWindowZero();
  } finally {
    await run.close({ keepData: true });
  }
  await moveToLegacyLayout(dataDir);
}

/** Moves the playground's Herald files from `DATA_DIR/playground/herald/` to the top of DATA_DIR. */
export async function moveToLegacyLayout(dataDir: string): Promise<void> {
  const herald = playgroundHeraldDir(dataDir);
  for (const name of await readdir(herald)) await rename(join(herald, name), join(dataDir, name));
  await rm(herald, { recursive: true });
}
