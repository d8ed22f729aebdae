// `npm run package [-- --env local|dev]`: builds the Teams app package for one Teams Toolkit environment
// into appPackage/build/ (appPackage.<env>.zip, manifest.<env>.json). Exits non-zero on any problem.
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { AppPackageError } from '../src/appPackage/AppPackageError.js';
import { createManifestSchemaValidator } from '../src/appPackage/manifestSchema.js';
import { packageApp } from '../src/appPackage/packageApp.js';

const USAGE = `usage: npm run package [-- --env <name>]

Resolves \${{VAR}} placeholders in appPackage/manifest.json from the process environment,
env/.env.<name> and env/.env.<name>.user (in that order), validates the result against the
Teams manifest schema (offline) and the icons, and writes appPackage/build/appPackage.<name>.zip.

  --env <name>   Teams Toolkit environment: local (default) or dev
  -h, --help     show this help`;

async function main(): Promise<number> {
  let envName: string;
  try {
    const { values } = parseArgs({ options: { env: { type: 'string', default: 'local' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    envName = values.env;
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }

  const projectDir = process.cwd();
  try {
    const packaged = await packageApp({ projectDir, envName, processEnv: process.env, validator: createManifestSchemaValidator() });
    console.log(`Packaged Herald for environment "${envName}":`);
    console.log(`  ${relative(projectDir, packaged.zipPath)} (${packaged.entries.join(', ')})`);
    console.log(`  ${relative(projectDir, packaged.manifestPath)}`);
    for (const warning of packaged.warnings) console.warn(`warning: ${warning}`);
    return 0;
  } catch (error) {
    if (error instanceof AppPackageError) {
      console.error(`error: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main();
