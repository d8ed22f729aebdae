import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseEnv } from 'dotenv';
import YAML from 'yaml';
import { placeholdersIn } from '../../../src/appPackage/placeholders.js';
import { REPO_ROOT } from '../../support/appPackage/projectCopy.js';

interface Step {
  uses: string;
  name?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  writeToEnvironmentFile?: Record<string, string>;
}

interface ProjectFile {
  version: string;
  environmentFolderPath?: string;
  provision?: Step[];
  deploy?: Step[];
  publish?: Step[];
}

/** Required inputs and outputs of the actions Herald uses, as the Teams Toolkit v1.7 yaml schema defines them. */
const ACTIONS: Record<string, { with: string[]; outputs?: string[]; secretOutputs?: string[] }> = {
  'teamsApp/create': { with: ['name'], outputs: ['teamsAppId'] },
  'aadApp/create': { with: ['name', 'generateClientSecret', 'signInAudience'], outputs: ['clientId', 'objectId', 'clientSecret'], secretOutputs: ['clientSecret'] },
  'botFramework/create': { with: ['botId', 'name', 'messagingEndpoint'] },
  'teamsApp/validateManifest': { with: ['manifestPath'] },
  'teamsApp/zipAppPackage': { with: ['manifestPath', 'outputZipPath', 'outputFolder'] },
  'teamsApp/validateAppPackage': { with: ['appPackagePath'] },
  'teamsApp/update': { with: ['appPackagePath'] },
  'teamsApp/publishAppPackage': { with: ['appPackagePath'], outputs: ['publishedAppId'] },
  'aadApp/update': { with: ['manifestPath', 'outputFilePath'] },
  'cli/runNpmCommand': { with: ['args'] },
  'file/createOrUpdateEnvironmentFile': { with: ['target', 'envs'] },
};
const AAD_SIGN_IN_AUDIENCES = ['AzureADMyOrg', 'AzureADMultipleOrgs', 'AzureADandPersonalMicrosoftAccount', 'PersonalMicrosoftAccount'];
const LIFECYCLES = ['provision', 'deploy', 'publish'] as const;

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const manifestVariables = placeholdersIn(read('appPackage/manifest.json'));
const stepsOf = (project: ProjectFile) => LIFECYCLES.flatMap((lifecycle) => project[lifecycle] ?? []);

for (const { file, env } of [
  { file: 'teamsapp.local.yml', env: 'local' },
  { file: 'teamsapp.yml', env: 'dev' },
]) {
  describe(`Teams Toolkit project file ${file}`, () => {
    const text = read(file);
    const project = YAML.parse(text) as ProjectFile;
    const envTemplate = parseEnv(read(`env/.env.${env}`));

    it('parses as a v1.7 project file reading the env folder', () => {
      assert.equal(project.version, 'v1.7');
      assert.equal(project.environmentFolderPath, './env');
      assert.match(text.split('\n')[0], /^# yaml-language-server: \$schema=https:\/\/aka\.ms\/teams-toolkit\/v1\.7\/yaml\.schema\.json$/);
      assert.ok((project.provision ?? []).length > 0 && (project.deploy ?? []).length > 0);
    });

    it('uses only known actions, each with its required inputs and outputs', () => {
      for (const step of stepsOf(project)) {
        const action = ACTIONS[step.uses];
        assert.ok(action, `unknown action ${step.uses}`);
        for (const input of action.with) assert.ok(step.with && input in step.with, `${step.uses} needs with.${input}`);
        for (const output of action.outputs ?? []) assert.ok(step.writeToEnvironmentFile?.[output], `${step.uses} needs writeToEnvironmentFile.${output}`);
        for (const [output, variable] of Object.entries(step.writeToEnvironmentFile ?? {})) {
          assert.match(variable, /^[A-Z][A-Z0-9_]*$/, `${step.uses} output ${output}`);
          assert.equal(variable.startsWith('SECRET_'), (action.secretOutputs ?? []).includes(output), `${step.uses} output ${output} → ${variable}: secrets, and only secrets, are SECRET_`);
        }
        if (step.uses === 'aadApp/create') assert.ok(AAD_SIGN_IN_AUDIENCES.includes(String(step.with?.signInAudience)));
      }
    });

    it(`defines every \${{VAR}} it or the manifest uses in env/.env.${env} or an earlier step's outputs`, () => {
      const defined = new Set(Object.keys(envTemplate));
      // Lifecycles run in this order (deploy after provision), and outputs persist in the env file.
      for (const step of stepsOf(project)) {
        const packagesManifest = step.with !== undefined && ('manifestPath' in step.with || 'appPackagePath' in step.with);
        const used = [...placeholdersIn(JSON.stringify(step)), ...(packagesManifest ? manifestVariables : [])];
        const undefinedHere = used.filter((name) => !defined.has(name));
        assert.deepEqual(undefinedHere, [], `${step.uses}${step.name ? ` (${step.name})` : ''} uses undefined variables`);
        for (const variable of Object.values(step.writeToEnvironmentFile ?? {})) defined.add(variable);
      }
    });

    it('points at files that exist and builds where npm run package does', () => {
      for (const step of stepsOf(project)) {
        const manifestPath = step.with?.manifestPath;
        if (typeof manifestPath === 'string') assert.ok(existsSync(join(REPO_ROOT, manifestPath)), manifestPath);
        const zipPath = step.with?.outputZipPath ?? step.with?.appPackagePath;
        if (zipPath !== undefined) assert.equal(zipPath, './appPackage/build/appPackage.${{TEAMSFX_ENV}}.zip');
      }
    });

    it('creates a multi-tenant Entra app with a secret for Graph and SSO', () => {
      const graphApp = stepsOf(project).find((s) => s.uses === 'aadApp/create' && s.writeToEnvironmentFile?.clientId === 'AAD_APP_CLIENT_ID');
      assert.ok(graphApp);
      assert.equal(graphApp.with?.signInAudience, 'AzureADMultipleOrgs');
      assert.equal(graphApp.with?.generateClientSecret, true);
      assert.equal(graphApp.writeToEnvironmentFile?.clientSecret, 'SECRET_AAD_APP_CLIENT_SECRET');
      assert.equal(graphApp.writeToEnvironmentFile?.tenantId, 'AAD_APP_TENANT_ID');
    });

    it('registers the bot for Teams at BOT_ENDPOINT/api/messages, then validates, zips, validates and uploads the package', () => {
      const provision = (project.provision ?? []).map((s) => s.uses);
      assert.deepEqual(provision.slice(-4), ['teamsApp/validateManifest', 'teamsApp/zipAppPackage', 'teamsApp/validateAppPackage', 'teamsApp/update']);
      assert.ok(provision.indexOf('botFramework/create') < provision.indexOf('teamsApp/validateManifest'));
      const bot = project.provision?.find((s) => s.uses === 'botFramework/create');
      assert.equal(bot?.with?.botId, '${{BOT_ID}}');
      assert.equal(bot?.with?.messagingEndpoint, '${{BOT_ENDPOINT}}/api/messages');
      assert.deepEqual(bot?.with?.channels, [{ name: 'msteams' }]);
    });

    it('exposes the tab SSO scope through aad.manifest.json, after the Graph app exists', () => {
      const steps = stepsOf(project).map((s) => s.uses);
      const update = stepsOf(project).find((s) => s.uses === 'aadApp/update');
      assert.equal(update?.with?.manifestPath, './aad.manifest.json');
      const graphAppIndex = stepsOf(project).findIndex((s) => s.uses === 'aadApp/create' && s.writeToEnvironmentFile?.clientId === 'AAD_APP_CLIENT_ID');
      assert.ok(graphAppIndex >= 0 && graphAppIndex < steps.indexOf('aadApp/update'));
      const aad = JSON.parse(read('aad.manifest.json')) as { identifierUris: string[]; oauth2Permissions: { value: string }[]; preAuthorizedApplications: { appId: string }[] };
      // Must equal the Teams manifest's webApplicationInfo.resource.
      const teamsManifest = JSON.parse(read('appPackage/manifest.json')) as { webApplicationInfo: { resource: string } };
      assert.deepEqual(aad.identifierUris, [teamsManifest.webApplicationInfo.resource]);
      assert.deepEqual(aad.oauth2Permissions.map((p) => p.value), ['access_as_user']);
      assert.deepEqual(aad.preAuthorizedApplications.map((a) => a.appId).sort(), ['1fec8e78-bce4-4aaf-ab1b-5451cc387264', '5e3ce6c0-2b1f-4285-8d4b-75ee78787346']);
      const outputs = new Set(stepsOf(project).flatMap((s) => Object.values(s.writeToEnvironmentFile ?? {})));
      for (const variable of placeholdersIn(read('aad.manifest.json'))) {
        assert.ok(variable in envTemplate || outputs.has(variable), `aad.manifest.json uses \${{${variable}}} which env/.env.${env} does not define`);
      }
    });

    it(`keeps secrets out of the committed env/.env.${env}`, () => {
      assert.equal(envTemplate.TEAMSFX_ENV, env);
      for (const [name, value] of Object.entries(envTemplate)) {
        if (name.startsWith('SECRET_')) assert.equal(value, '', `${name} belongs in env/.env.${env}.user`);
      }
      assert.match(read('.gitignore'), /^env\/\.env\.\*\.user$/m);
    });
  });
}

describe('Teams Toolkit local deploy', () => {
  const project = YAML.parse(read('teamsapp.local.yml')) as ProjectFile;

  it('installs dependencies and writes .localConfigs with everything npm start needs', () => {
    assert.deepEqual(
      project.deploy?.map((s) => s.uses),
      ['cli/runNpmCommand', 'file/createOrUpdateEnvironmentFile'],
    );
    assert.match(String(project.deploy?.[0].with?.args), /^install\b/);
    const write = project.deploy?.[1].with;
    assert.equal(write?.target, './.localConfigs');
    assert.deepEqual(write?.envs, {
      BOT_ID: '${{BOT_ID}}',
      BOT_PASSWORD: '${{SECRET_BOT_PASSWORD}}',
      BOT_TYPE: 'SingleTenant',
      BOT_TENANT_ID: '${{BOT_TENANT_ID}}',
      AAD_APP_CLIENT_ID: '${{AAD_APP_CLIENT_ID}}',
      AAD_APP_CLIENT_SECRET: '${{SECRET_AAD_APP_CLIENT_SECRET}}',
      AAD_APP_TENANT_ID: '${{AAD_APP_TENANT_ID}}',
      PUBLIC_URL: '${{BOT_ENDPOINT}}',
      TEAMS_APP_ID: '${{TEAMS_APP_ID}}',
    });
  });
});

describe('Teams Toolkit cloud deploy', () => {
  const project = YAML.parse(read('teamsapp.yml')) as ProjectFile;

  it('installs and builds with npm', () => {
    assert.deepEqual(
      project.deploy?.map((s) => [s.uses, s.with?.args]),
      [
        ['cli/runNpmCommand', 'install --no-audit'],
        ['cli/runNpmCommand', 'run build'],
      ],
    );
  });
});
