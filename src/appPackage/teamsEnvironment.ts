import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parse } from 'dotenv';
import { AppPackageError } from './AppPackageError.js';
import type { VariableSource } from './placeholders.js';

/** One Teams Toolkit environment (`env/.env.<name>`), merged the way Teams Toolkit resolves `${{VAR}}`. */
export interface TeamsEnvironment extends VariableSource {
  name: string;
}

export interface LoadTeamsEnvironmentOptions {
  projectDir: string;
  envName: string;
  processEnv: NodeJS.ProcessEnv;
  /** Default `env` (teamsapp.yml's `environmentFolderPath`). */
  envFolder?: string;
}

const ENV_NAME = /^[A-Za-z0-9_-]+$/;

async function readEnvFile(path: string, required: boolean): Promise<Record<string, string>> {
  try {
    return parse(await readFile(path));
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}

/**
 * Precedence, as in Teams Toolkit: process environment > `env/.env.<name>` > `env/.env.<name>.user`
 * (the git-ignored `.user` file only fills in what the others leave undefined).
 */
export async function loadTeamsEnvironment(options: LoadTeamsEnvironmentOptions): Promise<TeamsEnvironment> {
  const { projectDir, envName, processEnv } = options;
  if (!ENV_NAME.test(envName)) throw new AppPackageError(`"${envName}" is not an environment name (letters, digits, - and _ only)`);
  const folder = join(projectDir, options.envFolder ?? 'env');
  const envPath = join(folder, `.env.${envName}`);
  const userPath = `${envPath}.user`;
  let fromEnvFile: Record<string, string>;
  try {
    fromEnvFile = await readEnvFile(envPath, true);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message;
    throw new AppPackageError(`Unknown environment "${envName}": cannot read ${relative(projectDir, envPath)} (${reason})`);
  }
  const fromUserFile = await readEnvFile(userPath, false);
  // An exported-but-empty variable does not hide a value from the files.
  const fromProcess = Object.fromEntries(
    Object.entries(processEnv).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
  return {
    name: envName,
    values: { ...fromUserFile, ...fromEnvFile, ...fromProcess },
    searched: ['process environment', relative(projectDir, envPath), relative(projectDir, userPath)],
  };
}
