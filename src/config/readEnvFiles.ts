import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';

/**
 * Merges `.localConfigs` (written by Teams Toolkit's local deploy) and `.env` from `dir` under the real
 * environment: real environment variables win, then `.localConfigs`, then `.env`.
 */
export function readEnvFiles(dir: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const fromFile = (name: string): Record<string, string> => {
    const path = join(dir, name);
    return existsSync(path) ? parse(readFileSync(path)) : {};
  };
  return { ...fromFile('.env'), ...fromFile('.localConfigs'), ...env };
}
