import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import JSZip from 'jszip';
import { PNG } from 'pngjs';
import { AppPackageValidationError, UnresolvedPlaceholderError } from '../../../src/appPackage/AppPackageError.js';
import { createManifestSchemaValidator, type ManifestSchemaValidator } from '../../../src/appPackage/manifestSchema.js';
import { buildAppPackage, packageApp } from '../../../src/appPackage/packageApp.js';
import { copyProject, REPO_ROOT, type ProjectCopy } from '../../support/appPackage/projectCopy.js';

const REAL_IDS = {
  TEAMS_APP_ID: '3f1c2a4e-8b7d-4c6e-9a1b-2c3d4e5f6a7b',
  BOT_ID: '5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d',
  AAD_APP_CLIENT_ID: '7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f',
  BOT_DOMAIN: 'herald.contoso.test',
  DEVELOPER_WEBSITE_URL: 'https://contoso.test/herald',
  DEVELOPER_PRIVACY_URL: 'https://contoso.test/privacy',
  DEVELOPER_TERMS_URL: 'https://contoso.test/terms',
};

describe('npm run package', () => {
  // Compiling the Teams schema takes about half a second: once for this file.
  let validator: ManifestSchemaValidator;
  let project: ProjectCopy;

  before(() => {
    validator = createManifestSchemaValidator();
  });

  beforeEach(async () => {
    project = await copyProject();
  });

  afterEach(async () => {
    await project.remove();
  });

  it('writes appPackage.<env>.zip with exactly manifest.json, color.png, outline.png and the language files at the root, placeholders resolved', async () => {
    const packaged = await packageApp({ projectDir: project.dir, envName: 'local', processEnv: {}, validator });
    assert.equal(packaged.zipPath, join(project.dir, 'appPackage/build/appPackage.local.zip'));
    assert.equal(packaged.manifestPath, join(project.dir, 'appPackage/build/manifest.local.json'));

    const zip = await JSZip.loadAsync(await readFile(packaged.zipPath));
    assert.deepEqual(Object.keys(zip.files).sort(), ['color.png', 'de.json', 'es.json', 'fr.json', 'manifest.json', 'outline.png']);
    const manifestText = await zip.file('manifest.json')!.async('string');
    assert.doesNotMatch(manifestText, /\$\{\{/);
    assert.equal(manifestText, await readFile(packaged.manifestPath, 'utf8'));
    const manifest = JSON.parse(manifestText) as { id: string; bots: { botId: string }[]; validDomains: string[] };
    assert.equal(manifest.id, '00000000-0000-4000-8000-000000000001');
    assert.equal(manifest.bots[0].botId, '00000000-0000-4000-8000-000000000002');
    for (const icon of ['color.png', 'outline.png']) {
      assert.deepEqual(await zip.file(icon)!.async('nodebuffer'), await readFile(join(REPO_ROOT, 'appPackage', icon)), icon);
    }
  });

  it('zips each language file with its placeholders resolved, and names a broken one', async () => {
    const built = await buildAppPackage({ projectDir: project.dir, envName: 'local', processEnv: { APP_NAME_SUFFIX: '-dev' }, validator });
    const zip = await JSZip.loadAsync(built.zip);
    const german = JSON.parse(await zip.file('de.json')!.async('string')) as Record<string, string>;
    assert.equal(german['name.short'], 'Herald-dev');
    assert.match(german['description.short'], /Gruppenchat/);

    await project.write('appPackage/fr.json', JSON.stringify({ $schema: 'https://developer.microsoft.com/en-us/json-schemas/teams/v1.30/MicrosoftTeams.Localization.schema.json', 'name.short': 'x'.repeat(31) }));
    await project.write('appPackage/es.json', '{ not json');
    await assert.rejects(buildAppPackage({ projectDir: project.dir, envName: 'local', processEnv: {}, validator }), (error: unknown) => {
      assert.ok(error instanceof AppPackageValidationError);
      assert.match(error.message, /appPackage\/fr\.json schema: .*name\.short.* must NOT have more than 30 characters/);
      assert.match(error.message, /appPackage\/fr\.json schema: .*must have required property 'description\.short'/);
      assert.match(error.message, /appPackage\/es\.json is not valid JSON/);
      return true;
    });
  });

  it('takes values from the process environment first', async () => {
    const built = await buildAppPackage({ projectDir: project.dir, envName: 'local', processEnv: REAL_IDS, validator });
    const manifest = built.manifest as { id: string; validDomains: string[]; webApplicationInfo: { resource: string } };
    assert.equal(manifest.id, REAL_IDS.TEAMS_APP_ID);
    assert.deepEqual(manifest.validDomains, ['herald.contoso.test']);
    assert.equal(manifest.webApplicationInfo.resource, `api://herald.contoso.test/${REAL_IDS.AAD_APP_CLIENT_ID}`);
    assert.deepEqual(built.warnings, []);
  });

  it('warns, without failing, while the env template stand-ins are in use', async () => {
    const built = await buildAppPackage({ projectDir: project.dir, envName: 'local', processEnv: {}, validator });
    assert.equal(built.warnings.length, 1);
    assert.match(built.warnings[0], /stand-in values: TEAMS_APP_ID, DEVELOPER_WEBSITE_URL, DEVELOPER_PRIVACY_URL, DEVELOPER_TERMS_URL, BOT_ID, BOT_DOMAIN, AAD_APP_CLIENT_ID\./);
  });

  it('produces the same bytes for the same inputs', async () => {
    const first = await buildAppPackage({ projectDir: project.dir, envName: 'local', processEnv: {}, validator });
    const second = await buildAppPackage({ projectDir: project.dir, envName: 'local', processEnv: {}, validator });
    assert.deepEqual(first.zip, second.zip);
  });

  it('names the unresolved variables and writes nothing', async () => {
    // The ids and BOT_DOMAIN have stand-ins; the developer details do not.
    const local = await readFile(join(project.dir, 'env/.env.local'), 'utf8');
    await project.write('env/.env.local', local.replace(/^DEVELOPER_NAME=.*$/m, 'DEVELOPER_NAME=').replace(/^DEVELOPER_TERMS_URL=.*$/m, ''));
    await assert.rejects(packageApp({ projectDir: project.dir, envName: 'local', processEnv: {}, validator }), (error: unknown) => {
      assert.ok(error instanceof UnresolvedPlaceholderError);
      assert.deepEqual(error.variables, ['DEVELOPER_NAME', 'DEVELOPER_TERMS_URL']);
      assert.match(error.message, /appPackage\/manifest\.json uses variables that are not set: DEVELOPER_NAME, DEVELOPER_TERMS_URL/);
      return true;
    });
    assert.equal(existsSync(join(project.dir, 'appPackage/build')), false);
  });

  it('fills the stand-ins in memory only: env/.env.local keeps its ids empty for provision', async () => {
    const before = await readFile(join(project.dir, 'env/.env.local'), 'utf8');
    for (const name of ['TEAMS_APP_ID', 'BOT_ID', 'AAD_APP_CLIENT_ID', 'BOT_ENDPOINT', 'BOT_DOMAIN']) assert.match(before, new RegExp(`^${name}=$`, 'm'), name);
    const packaged = await packageApp({ projectDir: project.dir, envName: 'local', processEnv: {}, validator });
    assert.equal((packaged.manifest as { webApplicationInfo: { id: string } }).webApplicationInfo.id, '00000000-0000-4000-8000-000000000003');
    assert.equal(await readFile(join(project.dir, 'env/.env.local'), 'utf8'), before);
    assert.equal(existsSync(join(project.dir, 'env/.env.local.user')), false);
  });

  it('prefers a value provision wrote over the stand-in', async () => {
    const local = await readFile(join(project.dir, 'env/.env.local'), 'utf8');
    await project.write('env/.env.local', local.replace(/^BOT_ID=$/m, `BOT_ID=${REAL_IDS.BOT_ID}`));
    const built = await buildAppPackage({ projectDir: project.dir, envName: 'local', processEnv: {}, validator });
    assert.equal((built.manifest as { bots: { botId: string }[] }).bots[0].botId, REAL_IDS.BOT_ID);
    assert.doesNotMatch(built.warnings[0], /BOT_ID/);
  });

  it('reports schema and icon problems together', async () => {
    const template = await readFile(join(project.dir, 'appPackage/manifest.json'), 'utf8');
    await project.write('appPackage/manifest.json', template.replace('"accentColor": "#4B3CA7"', '"accentColor": "indigo"'));
    const red = new PNG({ width: 32, height: 32 });
    red.data.fill(0);
    red.data.set([255, 0, 0, 255], 0);
    await project.write('appPackage/outline.png', PNG.sync.write(red));
    await assert.rejects(buildAppPackage({ projectDir: project.dir, envName: 'local', processEnv: {}, validator }), (error: unknown) => {
      assert.ok(error instanceof AppPackageValidationError);
      assert.deepEqual(error.problems, [
        'schema: /accentColor must match pattern "^#[0-9a-fA-F]{6}$"',
        'outline.png must be white (255, 255, 255) on transparent: 1 visible pixel(s) are not white (first at x=0, y=0: rgba(255, 0, 0, 255))',
      ]);
      assert.match(error.message, /appPackage\/manifest\.json \(environment "local"\) is not a valid Teams app package/);
      return true;
    });
  });

  it('reports a missing icon file and a manifest that is not JSON', async () => {
    await project.write('appPackage/color.png', '');
    const template = await readFile(join(project.dir, 'appPackage/manifest.json'), 'utf8');
    await project.write('appPackage/manifest.json', template.replace('"color.png"', '"colour.png"'));
    await assert.rejects(buildAppPackage({ projectDir: project.dir, envName: 'local', processEnv: {}, validator }), (error: unknown) => {
      assert.ok(error instanceof AppPackageValidationError);
      assert.deepEqual(error.problems, ['appPackage/colour.png cannot be read (ENOENT)']);
      return true;
    });
    await project.write('appPackage/manifest.json', '{ "id": ');
    await assert.rejects(buildAppPackage({ projectDir: project.dir, envName: 'local', processEnv: {}, validator }), /appPackage\/manifest\.json is not valid JSON/);
  });

  describe('command line', () => {
    // Not import.meta.resolve: under tsx it evaluates this test file a second time.
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const script = join(REPO_ROOT, 'scripts/packageApp.ts');
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', tsx, script, ...args], { cwd: project.dir, env: { PATH: process.env.PATH } }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
      );

    it('builds the local package by default and exits 0', async () => {
      const { code, stdout, stderr } = await run([]);
      assert.equal(code, 0, stderr);
      assert.match(stdout, /appPackage\/build\/appPackage\.local\.zip \(manifest\.json, color\.png, outline\.png, de\.json, fr\.json, es\.json\)/);
      assert.match(stderr, /^warning: still the env template's stand-in values/m);
      assert.ok(existsSync(join(project.dir, 'appPackage/build/appPackage.local.zip')));
    });

    it('exits non-zero naming what is wrong: unset variables, unknown environment', async () => {
      const dev = await run(['--env', 'dev']);
      assert.equal(dev.code, 1);
      assert.match(dev.stderr, /^error: appPackage\/manifest\.json uses variables that are not set: TEAMS_APP_ID, BOT_ID, BOT_DOMAIN, AAD_APP_CLIENT_ID/m);
      assert.match(dev.stderr, /provision creates these apps and writes their ids and host into env\/\.env\.dev: run "atk provision --env dev" \(the Microsoft 365 Agents Toolkit CLI: npm install -g @microsoft\/m365agentstoolkit-cli\), then "npm run package -- --env dev" again/);
      const unknown = await run(['--env=staging']);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /Unknown environment "staging": cannot read env\/\.env\.staging/);
    });
  });
});
