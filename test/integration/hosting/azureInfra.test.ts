import assert from 'node:assert/strict';
import { placeholdersIn } from '../../../src/appPackage/placeholders.js';
import { readBicep, readProject, readProjectText } from '../../support/appPackage/toolkitProject.js';

// No Bicep compiler is published on npm and none can be downloaded here, so these checks read the
// template line by line and cross-check it with the parameters file, teamsapp.yml and Herald's settings.
const bicep = readBicep('infra/azure.bicep');
const text = readProjectText('infra/azure.bicep');
const parameters = (JSON.parse(readProjectText('infra/azure.parameters.json')) as { parameters: Record<string, { value: string }> }).parameters;

/** The body of one `resource name 'Type@version' = { … }` block. */
function resource(name: string): string {
  const start = text.indexOf(`\nresource ${name} '`);
  assert.ok(start >= 0, `resource ${name}`);
  const end = text.indexOf('\n}\n', start);
  return text.slice(start, end);
}

describe('infra/azure.bicep (Azure hosting for environment dev)', () => {
  it('gets every parameter without a default from azure.parameters.json, and nothing it does not declare', () => {
    const declared = new Set(bicep.params.map((p) => p.name));
    for (const name of Object.keys(parameters)) assert.ok(declared.has(name), `azure.parameters.json sets undeclared ${name}`);
    for (const param of bicep.params.filter((p) => !p.hasDefault)) assert.ok(param.name in parameters, `${param.name} has no value`);
  });

  it('passes every toolkit secret into a @secure() parameter, and no secret anywhere else', () => {
    for (const [name, { value }] of Object.entries(parameters)) {
      const secret = placeholdersIn(value).some((v) => v.startsWith('SECRET_'));
      assert.equal(bicep.params.find((p) => p.name === name)?.secure, secret, `${name} = ${value}`);
    }
  });

  it("runs Herald on App Service with Node LTS and npm start, healthy at /healthz, HTTPS only", () => {
    const site = resource('webApp');
    // npm start compiles first when needed (prestart), which needs the dev dependencies' type definitions.
    assert.match(readProjectText('package.json'), /"prestart": "node scripts\/buildIfChanged\.mjs"/);
    assert.match(site, /name: 'SCM_DO_BUILD_DURING_DEPLOYMENT'\n\s+value: 'true'/);
    assert.match(site, /name: 'NPM_CONFIG_PRODUCTION'\n\s+value: 'false'/);
    assert.match(site, /linuxFxVersion: 'NODE\|24-lts'/);
    assert.match(site, /appCommandLine: 'npm start'/);
    assert.match(site, /healthCheckPath: '\/healthz'/);
    assert.match(site, /httpsOnly: true/);
  });

  it("sets Herald's runtime settings as app settings, DATABASE_URL pointing at the PostgreSQL server", () => {
    assert.deepEqual(
      // Less App Service's own build settings (SCM_DO_BUILD_DURING_DEPLOYMENT, NPM_CONFIG_PRODUCTION).
      bicep.appSettings.filter((name) => !['SCM_DO_BUILD_DURING_DEPLOYMENT', 'NPM_CONFIG_PRODUCTION'].includes(name)).sort(),
      ['AAD_APP_CLIENT_ID', 'AAD_APP_CLIENT_SECRET', 'AAD_APP_TENANT_ID', 'BOT_ID', 'BOT_PASSWORD', 'BOT_TENANT_ID', 'BOT_TYPE', 'DATABASE_URL', 'DATA_DIR', 'PORT', 'PUBLIC_URL', 'TEAMS_APP_ID'],
    );
    assert.match(text, /var databaseUrl = 'postgres:\/\/\$\{postgresAdminLogin\}:\$\{postgresAdminPassword\}@\$\{postgres\.properties\.fullyQualifiedDomainName\}:5432\/\$\{postgresDatabaseName\}\?sslmode=require'/);
    assert.match(resource('postgres'), /'Microsoft\.DBforPostgreSQL\/flexibleServers@/);
    assert.match(resource('postgresDatabase'), /parent: postgres/);
    assert.match(text, /name: 'BOT_TYPE'\n\s+value: 'SingleTenant'/);
  });

  it('registers the Azure Bot for the single-tenant BOT_ID at the site /api/messages, with the Teams channel', () => {
    const bot = resource('bot');
    assert.match(bot, /'Microsoft\.BotService\/botServices@/);
    assert.match(bot, /endpoint: 'https:\/\/\$\{webApp\.properties\.defaultHostName\}\/api\/messages'/);
    assert.match(bot, /msaAppId: botAppId/);
    assert.match(bot, /msaAppType: 'SingleTenant'/);
    assert.match(bot, /msaAppTenantId: botTenantId/);
    assert.equal(parameters.botAppId.value, '${{BOT_ID}}');
    assert.equal(parameters.botTenantId.value, '${{BOT_TENANT_ID}}');
    assert.match(resource('botTeamsChannel'), /channelName: 'MsTeamsChannel'/);
  });

  it('outputs, as env variable names, the address Teams needs and the resource id deploy needs', () => {
    for (const name of bicep.outputs) assert.match(name, /^[A-Z][A-Z0-9_]*$/);
    for (const name of ['BOT_ENDPOINT', 'BOT_DOMAIN', 'AZURE_APP_SERVICE_RESOURCE_ID']) assert.ok(bicep.outputs.includes(name), name);
    const deployReads = (readProject('teamsapp.yml').deploy ?? []).flatMap((s) => placeholdersIn(JSON.stringify(s.with)));
    assert.deepEqual(deployReads, ['AZURE_APP_SERVICE_RESOURCE_ID']);
  });

  it('balances its braces and brackets (a cheap guard against a broken edit)', () => {
    const count = (c: string) => text.split(c).length - 1;
    assert.equal(count('{'), count('}'));
    assert.equal(count('['), count(']'));
  });
});
