import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManifestSchemaValidator } from './manifestSchema.js';
import { resolveJsonPlaceholders, type JsonValue, type VariableSource } from './placeholders.js';

/** A language file of the manifest's `localizationInfo`, resolved and ready for the zip. */
export interface LanguageFile {
  name: string;
  data: string;
}

interface LocalizationInfo {
  defaultLanguageFile?: string;
  additionalLanguages?: Array<{ languageTag: string; file: string }>;
}

const SCHEMA_VERSION = /\/teams\/(v[0-9A-Za-z.]+)\/MicrosoftTeams(?:\.Localization)?\.schema\.json$/;

function versionOf(schemaUrl: unknown): string | null {
  return typeof schemaUrl === 'string' ? (SCHEMA_VERSION.exec(schemaUrl)?.[1] ?? null) : null;
}

/**
 * The language files a (schema-valid) manifest names, read from the package folder with placeholders
 * resolved like the manifest's, each checked against the Localization schema of the manifest's own
 * version (Teams wants both versions equal:
 * https://learn.microsoft.com/microsoftteams/platform/concepts/build-and-test/apps-localization) and
 * required at the zip root, next to manifest.json. Problems go into `problems`, naming the file.
 */
export async function readLanguageFiles(
  manifest: JsonValue,
  packageDir: string,
  environment: VariableSource,
  validator: ManifestSchemaValidator,
  problems: string[],
): Promise<LanguageFile[]> {
  const root = manifest as { $schema?: unknown; localizationInfo?: LocalizationInfo };
  const info = root.localizationInfo;
  if (!info) return [];
  const names = [...(info.defaultLanguageFile ? [info.defaultLanguageFile] : []), ...(info.additionalLanguages ?? []).map((l) => l.file)];
  const files: LanguageFile[] = [];
  for (const name of names) {
    const where = `appPackage/${name}`;
    if (name.includes('/') || name.includes('\\')) {
      problems.push(`localizationInfo: ${name} must be a file at the package root, next to manifest.json`);
      continue;
    }
    let parsed: JsonValue;
    try {
      parsed = JSON.parse(await readFile(join(packageDir, name), 'utf8')) as JsonValue;
    } catch (error) {
      const reason = error instanceof SyntaxError ? `is not valid JSON: ${error.message}` : `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
      problems.push(`${where} ${reason}`);
      continue;
    }
    const resolved = resolveJsonPlaceholders(parsed, environment, where);
    const schemaUrl = (resolved as { $schema?: unknown }).$schema;
    if (versionOf(schemaUrl) !== versionOf(root.$schema)) {
      problems.push(`${where}: its $schema must be the Localization schema of the manifest's version (${versionOf(root.$schema) ?? 'unknown'})`);
      continue;
    }
    problems.push(...validator.validate(resolved).map((p) => `${where} schema: ${p}`));
    files.push({ name, data: `${JSON.stringify(resolved, null, 2)}\n` });
  }
  return files;
}
