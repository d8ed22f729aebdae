import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AnySchemaObject, ErrorObject, ValidateFunction } from 'ajv';
import ajv2020 from 'ajv/dist/2020.js';
import ajv07 from 'ajv';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { AppPackageError } from './AppPackageError.js';

/** Checks a resolved manifest against the official schema its `$schema` names, offline. */
export interface ManifestSchemaValidator {
  /** Empty when valid; otherwise one readable line per schema error (`/accentColor must match pattern …`). */
  validate(manifest: unknown): string[];
}

// `https://developer.microsoft.com/[en-us/]json-schemas/teams/v1.22/MicrosoftTeams.schema.json`, or the
// same version's `MicrosoftTeams.Localization.schema.json` (a language file of localizationInfo).
const TEAMS_SCHEMA_URL = /^https:\/\/developer\.microsoft\.com\/(?:[a-z]{2}-[a-z]{2}\/)?json-schemas\/teams\/(v[0-9A-Za-z.]+)\/(MicrosoftTeams(?:\.Localization)?\.schema\.json)$/;

/**
 * Path of the copy of a Teams manifest (or localization) schema shipped in @microsoft/app-manifest, or
 * null when the URL is not a Teams schema or that version is not shipped (v1.18 is missing from the package).
 */
export function offlineSchemaPath(schemaUrl: string, resolveModule: (id: string) => string = createRequire(import.meta.url).resolve): string | null {
  const [, version, file] = TEAMS_SCHEMA_URL.exec(schemaUrl) ?? [];
  if (!version || !file) return null;
  try {
    return resolveModule(`@microsoft/app-manifest/build/json-schemas/teams/${version}/${file}`);
  } catch {
    return null;
  }
}

function parseSchema(text: string, path: string): AnySchemaObject {
  try {
    return JSON.parse(text) as AnySchemaObject;
  } catch {
    // Some published schemas contain \a and \v escapes, which JSON does not allow.
    try {
      return JSON.parse(text.replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b')) as AnySchemaObject;
    } catch (error) {
      throw new AppPackageError(`Cannot parse manifest schema ${path}: ${(error as Error).message}`);
    }
  }
}

/** Compiles with the JSON Schema dialect the schema declares (Teams v1.16–v1.22 are draft-04). */
function compile(schema: AnySchemaObject, unicodeRegExp: boolean): ValidateFunction {
  const dialect = typeof schema.$schema === 'string' ? schema.$schema : '';
  const options = { allErrors: true, strictTypes: false, unicodeRegExp } as const;
  const ajv = dialect.includes('draft-04')
    ? new ajvDraft04.default(options)
    : dialect.includes('2020-12')
      ? new ajv2020.default(options)
      : new ajv07.default(options);
  ajvFormats.default(ajv, ['uri', 'email', 'regex']);
  return ajv.compile(schema);
}

function describeError(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(manifest root)' : error.instancePath;
  const params: Record<string, unknown> = error.params;
  let detail = '';
  if (error.keyword === 'additionalProperties') detail = `: "${String(params.additionalProperty)}"`;
  else if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) detail = `: ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${where} ${error.message ?? error.keyword}${detail}`;
}

/**
 * Creates a validator that compiles each schema once (ajv compilation of a Teams schema takes ~0.5 s)
 * and keeps it for the validator's lifetime.
 */
export function createManifestSchemaValidator(readSchemaFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): ManifestSchemaValidator {
  const compiled = new Map<string, ValidateFunction>();
  const validatorFor = (schemaUrl: string): ValidateFunction => {
    const path = offlineSchemaPath(schemaUrl);
    if (path === null) {
      throw new AppPackageError(
        `No offline copy of the manifest schema "${schemaUrl}": use a https://developer.microsoft.com/json-schemas/teams/vX.Y/MicrosoftTeams.schema.json version shipped with @microsoft/app-manifest (not v1.18)`,
      );
    }
    let validate = compiled.get(path);
    if (!validate) {
      // The Localization schemas' key patterns (`\b]`) are valid JavaScript regular expressions only without the u flag.
      validate = compile(parseSchema(readSchemaFile(path), path), !path.endsWith('.Localization.schema.json'));
      compiled.set(path, validate);
    }
    return validate;
  };
  return {
    validate(manifest: unknown): string[] {
      const schemaUrl = typeof manifest === 'object' && manifest !== null && '$schema' in manifest ? manifest.$schema : undefined;
      if (typeof schemaUrl !== 'string') return ['(manifest root) must have a "$schema" naming the Teams manifest schema version'];
      const validate = validatorFor(schemaUrl);
      if (validate(manifest)) return [];
      return [...new Set((validate.errors ?? []).map(describeError))];
    },
  };
}
