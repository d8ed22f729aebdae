import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { AppPackageError, AppPackageValidationError, UnresolvedPlaceholderError } from './AppPackageError.js';
import { checkColorIcon, checkOutlineIcon, type IconFile } from './iconCheck.js';
import { readLanguageFiles } from './languageFiles.js';
import { checkManifestConsistency, type SchemaValidManifest } from './manifestConsistency.js';
import type { ManifestSchemaValidator } from './manifestSchema.js';
import { placeholdersIn, resolveJsonPlaceholders, type JsonValue } from './placeholders.js';
import { loadTeamsEnvironment, type TeamsEnvironment } from './teamsEnvironment.js';
import { variablesWithTemplateValues, withStandIns } from './templateValues.js';
import { zipAppPackage } from './zipAppPackage.js';

/** Where the package sources live and where the build goes, relative to the project root. */
export const APP_PACKAGE_DIR = 'appPackage';
export const MANIFEST_TEMPLATE = join(APP_PACKAGE_DIR, 'manifest.json');
export const BUILD_DIR = join(APP_PACKAGE_DIR, 'build');

export interface BuildAppPackageOptions {
  projectDir: string;
  /** Teams Toolkit environment: reads env/.env.<envName> and env/.env.<envName>.user. */
  envName: string;
  processEnv: NodeJS.ProcessEnv;
  validator: ManifestSchemaValidator;
}

export interface BuiltAppPackage {
  envName: string;
  /** The manifest with every placeholder resolved. */
  manifest: JsonValue;
  manifestJson: string;
  zip: Buffer;
  /** Zip entry names, in order. */
  entries: string[];
  /** Not errors: e.g. stand-ins are still in use for ids the env template leaves empty. */
  warnings: string[];
}

export interface PackagedApp extends BuiltAppPackage {
  zipPath: string;
  manifestPath: string;
}

async function readIcon(projectDir: string, name: string, problems: string[]): Promise<IconFile | null> {
  const path = join(projectDir, APP_PACKAGE_DIR, name);
  try {
    return { name, data: await readFile(path) };
  } catch (error) {
    problems.push(`${relative(projectDir, path)} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    return null;
  }
}

function iconName(manifest: JsonValue, key: 'color' | 'outline'): string {
  const icons = typeof manifest === 'object' && manifest !== null && !Array.isArray(manifest) ? manifest.icons : undefined;
  const name = typeof icons === 'object' && icons !== null && !Array.isArray(icons) ? icons[key] : undefined;
  return typeof name === 'string' ? name : `${key}.png`;
}

/**
 * Resolves the manifest template for one environment, validates it (offline schema, Teams' extra rules,
 * icons, language files) and zips manifest.json, both icons and the language files at the zip root. Throws an AppPackageError naming every
 * problem found.
 */
export async function buildAppPackage(options: BuildAppPackageOptions): Promise<BuiltAppPackage> {
  const { projectDir, envName } = options;
  const environment = withStandIns(await loadTeamsEnvironment({ projectDir, envName, processEnv: options.processEnv }));

  const templateText = await readFile(join(projectDir, MANIFEST_TEMPLATE), 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new AppPackageError(`Cannot read ${MANIFEST_TEMPLATE} (${error.code ?? error.message})`);
  });
  let template: JsonValue;
  try {
    template = JSON.parse(templateText) as JsonValue;
  } catch (error) {
    throw new AppPackageError(`${MANIFEST_TEMPLATE} is not valid JSON: ${(error as Error).message}`);
  }
  const manifest = resolveWithProvisionHint(template, environment, envName);

  const problems = options.validator.validate(manifest).map((p) => `schema: ${p}`);
  if (problems.length === 0) problems.push(...checkManifestConsistency(manifest as unknown as SchemaValidManifest));
  const color = await readIcon(projectDir, iconName(manifest, 'color'), problems);
  const outline = await readIcon(projectDir, iconName(manifest, 'outline'), problems);
  if (color) problems.push(...checkColorIcon(color));
  if (outline) problems.push(...checkOutlineIcon(outline));
  const languages = problems.length === 0 ? await readLanguageFiles(manifest, join(projectDir, APP_PACKAGE_DIR), environment, options.validator, problems) : [];
  if (problems.length > 0 || !color || !outline) throw new AppPackageValidationError(`${MANIFEST_TEMPLATE} (environment "${envName}")`, problems);

  const manifestJson = `${JSON.stringify(manifest, null, 2)}\n`;
  const entries = [
    { name: 'manifest.json', data: manifestJson },
    { name: color.name, data: color.data },
    { name: outline.name, data: outline.data },
    ...languages,
  ];
  const standIns = variablesWithTemplateValues(placeholdersIn(templateText), environment.values);
  return {
    envName,
    manifest,
    manifestJson,
    zip: await zipAppPackage(entries),
    entries: entries.map((e) => e.name),
    warnings:
      standIns.length === 0
        ? []
        : [
            `still the env template's stand-in values: ${standIns.join(', ')}. The package is well-formed and can be uploaded, ` +
              `but Teams reaches Herald only once they hold your real ids and host ("atk provision --env ${envName}" fills them into env/.env.${envName}).`,
          ],
  };
}

/**
 * The manifest with its variables filled in. The ids and host it needs are created by the Agents Toolkit's
 * provision, which writes them into env/.env.<environment> ("local" has stand-ins until then): a missing one
 * says so, with the command.
 */
function resolveWithProvisionHint(template: JsonValue, environment: TeamsEnvironment, envName: string): JsonValue {
  try {
    return resolveJsonPlaceholders(template, environment, MANIFEST_TEMPLATE);
  } catch (error) {
    if (!(error instanceof UnresolvedPlaceholderError)) throw error;
    throw error.withHint(
      `provision creates these apps and writes their ids and host into env/.env.${envName}: run "atk provision --env ${envName}" ` +
        `(the Microsoft 365 Agents Toolkit CLI: npm install -g @microsoft/m365agentstoolkit-cli), then "npm run package -- --env ${envName}" again`,
    );
  }
}

/** Builds the package and writes appPackage/build/appPackage.<env>.zip and manifest.<env>.json. */
export async function packageApp(options: BuildAppPackageOptions): Promise<PackagedApp> {
  const built = await buildAppPackage(options);
  const buildDir = join(options.projectDir, BUILD_DIR);
  await mkdir(buildDir, { recursive: true });
  const zipPath = join(buildDir, `appPackage.${built.envName}.zip`);
  const manifestPath = join(buildDir, `manifest.${built.envName}.json`);
  await writeFile(zipPath, built.zip);
  await writeFile(manifestPath, built.manifestJson);
  return { ...built, zipPath, manifestPath };
}
