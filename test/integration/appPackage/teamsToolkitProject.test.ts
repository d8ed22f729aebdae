import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import JSZip from 'jszip';
import { placeholdersIn } from '../../../src/appPackage/placeholders.js';
import { REPO_ROOT } from '../../support/appPackage/projectCopy.js';
import {
  envTemplate,
  readJsonc,
  readProject,
  readProjectText,
  stepLabel,
  stepsOf,
  variablesGenerated,
  variablesRead,
  variablesWritten,
  writtenBeforeProvision,
  type ProjectFile,
} from '../../support/appPackage/toolkitProject.js';

// The Agents Toolkit's own artefacts, from the @microsoft/teamsfx-core devDependency.
const requireToolkit = createRequire(import.meta.url);
const TOOLKIT = join(requireToolkit.resolve('@microsoft/teamsfx-core/package.json'), '..');
const toolkitSchemaPath = (version: string) => join(TOOLKIT, 'resource/yaml-schema', version, 'yaml.schema.json');

/** Compiled as the toolkit's own validator does (build/component/configManager/validator.js). */
function toolkitSchema(version: string): ValidateFunction {
  const ajv = new Ajv.default({ allowUnionTypes: true, allErrors: true });
  ajv.addKeyword('deprecationMessage');
  return ajv.compile(JSON.parse(readFileSync(toolkitSchemaPath(version), 'utf8')) as object);
}

const schemaErrors = (validate: ValidateFunction, project: unknown): string[] =>
  validate(project) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`);

/** Project-file versions used by the templates the toolkit ships (templates/fallback/ts.zip). */
async function templateVersions(): Promise<string[]> {
  const zip = await JSZip.loadAsync(readFileSync(join(TOOLKIT, 'templates/fallback/ts.zip')));
  const versions = new Set<string>();
  for (const file of Object.values(zip.files).filter((f) => /m365agents[^/]*\.yml(\.tpl)?$/.test(f.name))) {
    const version = /^version: (v[\d.]+)$/m.exec(await file.async('string'))?.[1];
    if (version) versions.add(version);
  }
  const numeric = (v: string) => v.slice(1).split('.').map(Number);
  return [...versions].sort((a, b) => numeric(a)[0] - numeric(b)[0] || numeric(a)[1] - numeric(b)[1]);
}

// The toolkit asks for these when they are empty (arm/deploy: "toolkit will prompt you to select").
const ASKED_BY_THE_TOOLKIT = ['AZURE_SUBSCRIPTION_ID', 'AZURE_RESOURCE_GROUP_NAME'];

const PROJECTS = [
  { file: 'teamsapp.local.yml', env: 'local', f5: 'Start Herald Locally' },
  { file: 'teamsapp.yml', env: 'dev', f5: undefined },
] as const;

describe('Agents Toolkit project files, checked with the toolkit package', () => {
  it("use the newest project-file version of the toolkit's bundled templates", async () => {
    const versions = await templateVersions();
    const newest = versions.at(-1);
    assert.ok(newest && existsSync(toolkitSchemaPath(newest)), `templates use ${versions.join(', ')}`);
    for (const { file } of PROJECTS) {
      const text = readProjectText(file);
      assert.equal(readProject(file).version, newest, file);
      assert.equal(text.split('\n')[0], `# yaml-language-server: $schema=https://aka.ms/m365-agents-toolkits/${newest}/yaml.schema.json`, file);
    }
  });

  for (const { file } of PROJECTS) {
    it(`${file} validates against the toolkit's bundled schema of its version`, () => {
      const project = readProject(file);
      assert.deepEqual(schemaErrors(toolkitSchema(project.version), project), []);
    });
  }

  it('the schema check is real: it rejects a wrong type and an unknown action', () => {
    const project = readProject('teamsapp.local.yml');
    const validate = toolkitSchema(project.version);
    const wrongType = structuredClone(project);
    wrongType.provision![1].with!.generateServicePrincipal = 'yes';
    assert.notDeepEqual(schemaErrors(validate, wrongType), []);
    const unknown = structuredClone(project);
    unknown.provision!.push({ uses: 'teamsApp/teleport', with: {} });
    assert.notDeepEqual(schemaErrors(validate, unknown), []);
  });

  it("the toolkit's own project parser accepts both files (schema validation on)", async function () {
    this.timeout(60_000); // loading teamsfx-core takes several seconds
    const { yamlParser } = requireToolkit('@microsoft/teamsfx-core/build/component/configManager/parser.js') as {
      yamlParser: { parse(path: string, validateSchema: boolean): Promise<{ isOk(): boolean; error?: Error; value?: { provision?: { driverDefs: { uses: string }[] } } }> };
    };
    for (const { file } of PROJECTS) {
      const result = await yamlParser.parse(join(REPO_ROOT, file), true);
      assert.ok(result.isOk(), `${file}: ${result.error?.message}`);
      assert.deepEqual(
        result.value?.provision?.driverDefs.map((d) => d.uses),
        readProject(file).provision?.map((s) => s.uses),
      );
    }
  });
});

for (const { file, env, f5 } of PROJECTS) {
  describe(`Agents Toolkit project file ${file}`, () => {
    const project: ProjectFile = readProject(file);
    const template = envTemplate(env);

    it('reads the env folder and has provision and deploy steps', () => {
      assert.equal(project.environmentFolderPath, './env');
      assert.ok((project.provision ?? []).length > 0 && (project.deploy ?? []).length > 0);
    });

    it('creates every Entra app with a service principal (single-tenant bots need one: AADSTS7000229)', () => {
      const creates = stepsOf(project).filter((s) => s.uses === 'aadApp/create');
      assert.equal(creates.length, 2);
      for (const step of creates) assert.equal(step.with?.generateServicePrincipal, true, String(step.with?.name));
      const bot = creates.find((s) => s.writeToEnvironmentFile?.clientId === 'BOT_ID');
      assert.equal(bot?.with?.signInAudience, 'AzureADMyOrg');
    });

    it('writes secrets, and only secrets, to SECRET_ variables', () => {
      for (const step of stepsOf(project)) {
        for (const [output, variable] of Object.entries(step.writeToEnvironmentFile ?? {})) {
          assert.equal(variable.startsWith('SECRET_'), output === 'clientSecret', `${step.uses} output ${output} → ${variable}`);
        }
      }
    });

    it(`on a fresh clone, every \${{VAR}} a step reads is set by then: env/.env.${env}, an earlier step${f5 ? ' or the F5 tunnel task' : ''}`, () => {
      // An empty value in the template does not count: the toolkit leaves such a placeholder unresolved.
      const defined = new Set(Object.entries(template).filter(([, value]) => value !== '').map(([name]) => name));
      for (const name of ASKED_BY_THE_TOOLKIT) defined.add(name);
      if (f5) for (const name of writtenBeforeProvision(f5, env)) defined.add(name);
      // Lifecycles run in this order (deploy after provision), and outputs persist in the env file.
      for (const step of stepsOf(project)) {
        for (const name of variablesGenerated(step)) defined.add(name);
        const undefinedHere = variablesRead(step).filter((name) => !defined.has(name));
        assert.deepEqual(undefinedHere, [], `${stepLabel(step)} reads variables nothing has set`);
        for (const name of variablesWritten(step)) defined.add(name);
      }
    });

    it(`leaves every id provision creates empty in env/.env.${env} (the toolkit skips creation for a set id)`, () => {
      for (const step of (project.provision ?? []).filter((s) => s.uses.endsWith('/create'))) {
        for (const name of Object.values(step.writeToEnvironmentFile ?? {})) {
          if (!name.startsWith('SECRET_')) assert.equal(template[name], '', `${name} (${step.uses}) must be declared empty`);
        }
      }
    });

    it('points at files that exist and builds where npm run package does', () => {
      for (const step of stepsOf(project)) {
        for (const key of ['manifestPath', 'ignoreFile']) {
          const path = step.with?.[key];
          if (typeof path === 'string') assert.ok(existsSync(join(REPO_ROOT, path)), path);
        }
        for (const t of (step.with?.templates as { path: string; parameters: string }[] | undefined) ?? []) {
          assert.ok(existsSync(join(REPO_ROOT, t.path)) && existsSync(join(REPO_ROOT, t.parameters)), t.path);
        }
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

    it('then validates, zips, validates and uploads the package', () => {
      const provision = (project.provision ?? []).map((s) => s.uses);
      assert.deepEqual(provision.slice(-4), ['teamsApp/validateManifest', 'teamsApp/zipAppPackage', 'teamsApp/validateAppPackage', 'teamsApp/update']);
    });

    it('exposes the tab SSO scope through aad.manifest.json, after the Graph app exists', () => {
      const steps = stepsOf(project).map((s) => s.uses);
      const update = stepsOf(project).find((s) => s.uses === 'aadApp/update');
      assert.equal(update?.with?.manifestPath, './aad.manifest.json');
      const graphAppIndex = stepsOf(project).findIndex((s) => s.uses === 'aadApp/create' && s.writeToEnvironmentFile?.clientId === 'AAD_APP_CLIENT_ID');
      assert.ok(graphAppIndex >= 0 && graphAppIndex < steps.indexOf('aadApp/update'));
      const aad = JSON.parse(readProjectText('aad.manifest.json')) as { identifierUris: string[]; oauth2Permissions: { value: string }[]; preAuthorizedApplications: { appId: string }[] };
      // Must equal the Teams manifest's webApplicationInfo.resource.
      const teamsManifest = JSON.parse(readProjectText('appPackage/manifest.json')) as { webApplicationInfo: { resource: string } };
      assert.deepEqual(aad.identifierUris, [teamsManifest.webApplicationInfo.resource]);
      assert.deepEqual(aad.oauth2Permissions.map((p) => p.value), ['access_as_user']);
      assert.deepEqual(aad.preAuthorizedApplications.map((a) => a.appId).sort(), ['1fec8e78-bce4-4aaf-ab1b-5451cc387264', '5e3ce6c0-2b1f-4285-8d4b-75ee78787346']);
      for (const variable of placeholdersIn(readProjectText('aad.manifest.json'))) {
        assert.ok(variable in template, `aad.manifest.json uses \${{${variable}}} which env/.env.${env} does not declare`);
      }
    });

    it(`keeps secrets out of the committed env/.env.${env}`, () => {
      assert.equal(template.TEAMSFX_ENV, env);
      for (const [name, value] of Object.entries(template)) {
        if (name.startsWith('SECRET_')) assert.equal(value, '', `${name} belongs in env/.env.${env}.user`);
      }
      assert.match(readProjectText('.gitignore'), /^env\/\.env\.\*\.user$/m);
    });
  });
}

describe('Agents Toolkit local provision and deploy', () => {
  const project = readProject('teamsapp.local.yml');

  it('registers the bot on dev.botframework.com at BOT_ENDPOINT/api/messages before packaging', () => {
    const provision = (project.provision ?? []).map((s) => s.uses);
    assert.ok(provision.indexOf('botFramework/create') < provision.indexOf('teamsApp/validateManifest'));
    const bot = project.provision?.find((s) => s.uses === 'botFramework/create');
    assert.equal(bot?.with?.botId, '${{BOT_ID}}');
    assert.equal(bot?.with?.messagingEndpoint, '${{BOT_ENDPOINT}}/api/messages');
    assert.deepEqual(bot?.with?.channels, [{ name: 'msteams' }]);
  });

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

describe('Agents Toolkit cloud provision and deploy (Azure)', () => {
  const project = readProject('teamsapp.yml');

  it('creates the Azure resources after the apps they name and before the Entra manifest needs BOT_DOMAIN', () => {
    const provision = (project.provision ?? []).map((s) => s.uses);
    const armDeploy = provision.indexOf('arm/deploy');
    assert.ok(armDeploy > provision.lastIndexOf('aadApp/create') && armDeploy > provision.indexOf('teamsApp/create'));
    assert.ok(armDeploy < provision.indexOf('aadApp/update'));
    // The Azure Bot resource (infra/azure.bicep) is the registration: no second one on dev.botframework.com.
    assert.equal(provision.includes('botFramework/create'), false);
  });

  it('installs and builds with npm, then zip-deploys to the App Service arm/deploy created', () => {
    assert.deepEqual(
      project.deploy?.map((s) => [s.uses, s.with?.args]),
      [
        ['cli/runNpmCommand', 'install --no-audit'],
        ['cli/runNpmCommand', 'run build'],
        ['azureAppService/zipDeploy', undefined],
      ],
    );
    const zipDeploy = project.deploy?.[2].with;
    assert.equal(zipDeploy?.resourceId, '${{AZURE_APP_SERVICE_RESOURCE_ID}}');
    assert.equal(zipDeploy?.artifactFolder, '.');
    const ignored = readProjectText(String(zipDeploy?.ignoreFile)).split('\n');
    for (const entry of ['node_modules/', 'env/', '.localConfigs', 'data/']) assert.ok(ignored.includes(entry), `${entry} is not uploaded`);
    for (const needed of ['src/', 'bin/', 'sim/', 'package.json', 'package-lock.json']) assert.equal(ignored.includes(needed), false, needed);
  });
});

describe('scripts/ensureSecret.mjs (the toolkit script step that generates the database password)', () => {
  const run = async (env: Record<string, string>) => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    return (await promisify(execFile)(process.execPath, ['scripts/ensureSecret.mjs', 'SECRET_POSTGRES_ADMIN_PASSWORD'], { cwd: REPO_ROOT, env: { PATH: process.env.PATH, ...env } })).stdout;
  };
  const { parseSetOutputCommand } = requireToolkit('@microsoft/teamsfx-core/build/component/driver/script/scriptDriver.js') as {
    parseSetOutputCommand(output: string): Record<string, string>;
  };

  it("prints a new URL-safe value the toolkit's script driver reads, while the secret is empty", async () => {
    const outputs = parseSetOutputCommand(await run({ SECRET_POSTGRES_ADMIN_PASSWORD: '' }));
    assert.deepEqual(Object.keys(outputs), ['SECRET_POSTGRES_ADMIN_PASSWORD']);
    const password = outputs.SECRET_POSTGRES_ADMIN_PASSWORD;
    assert.match(password, /^[A-Za-z0-9_-]{40,}$/);
    assert.ok(/[A-Z]/.test(password) && /[a-z]/.test(password) && /\d/.test(password) && /[-_]/.test(password), 'Azure complexity rule');
    assert.notEqual(parseSetOutputCommand(await run({})).SECRET_POSTGRES_ADMIN_PASSWORD, password);
  });

  it('keeps an existing value: prints nothing', async () => {
    assert.equal(await run({ SECRET_POSTGRES_ADMIN_PASSWORD: 'kept-from-env-dev-user' }), '');
  });
});

describe('.vscode (F5 with the Agents Toolkit extension)', () => {
  it('parses, and every compound and dependsOn names a task or configuration that exists', () => {
    const launch = readJsonc<{ configurations: { name: string }[]; compounds: { configurations: string[]; preLaunchTask: string }[] }>('.vscode/launch.json');
    const tasks = readJsonc<{ tasks: { label: string; dependsOn?: string[] }[] }>('.vscode/tasks.json');
    const labels = new Set(tasks.tasks.map((t) => t.label));
    const configurations = new Set(launch.configurations.map((c) => c.name));
    for (const compound of launch.compounds) {
      assert.ok(labels.has(compound.preLaunchTask), compound.preLaunchTask);
      for (const name of compound.configurations) assert.ok(configurations.has(name), name);
    }
    for (const task of tasks.tasks) for (const name of task.dependsOn ?? []) assert.ok(labels.has(name), `${task.label} → ${name}`);
  });

  it('starts a dev tunnel writing BOT_ENDPOINT and BOT_DOMAIN, then provisions, deploys and starts Herald', () => {
    const tasks = readJsonc<{ tasks: { label: string; command?: string; args?: { env?: string }; dependsOn?: string[] }[] }>('.vscode/tasks.json');
    const byLabel = new Map(tasks.tasks.map((t) => [t.label, t]));
    const sequence = byLabel.get('Start Herald Locally')?.dependsOn?.map((label) => byLabel.get(label)?.command);
    assert.deepEqual(sequence, ['debug-check-prerequisites', 'debug-start-local-tunnel', 'provision', 'deploy', 'npm run build --silent && node --inspect=9239 dist/bin/herald.js']);
    assert.deepEqual(writtenBeforeProvision('Start Herald Locally', 'local').sort(), ['BOT_DOMAIN', 'BOT_ENDPOINT']);
    for (const label of ['Provision', 'Deploy']) assert.equal(byLabel.get(label)?.args?.env, 'local');
  });
});
