import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/config/ConfigError.js';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { readEnvFiles } from '../../../src/config/readEnvFiles.js';

const CLIENT = '11111111-2222-3333-4444-555555555555';
const TENANT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env, '/srv/herald');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('configuration', () => {
  it('runs the playground when no credentials are set, with the contract defaults', () => {
    const config = loadConfig({}, '/srv/herald');
    assert.equal(config.mode, 'playground');
    assert.equal(config.port, 3978);
    assert.equal(config.aad.authorityHost, 'https://login.microsoftonline.com');
    assert.equal(config.graph.endpoint, 'https://graph.microsoft.com');
    assert.equal(config.dataDir, '/srv/herald/data');
    assert.equal(config.logLevel, 'info');
    assert.equal(config.bot.appType, 'SingleTenant');
  });

  it('refuses live mode with a blank BOT_ID unless BOT_AUTH=off, naming BOT_ID and BOT_AUTH', () => {
    const problems = problemsOf({ AAD_APP_CLIENT_ID: CLIENT, AAD_APP_CLIENT_SECRET: 's', PUBLIC_URL: 'https://herald.example.com/' });
    const problem = problems.find((p) => p.startsWith('BOT_ID:'));
    assert.ok(problem, problems.join('\n'));
    assert.match(problem, /BOT_AUTH=off/);
  });

  it('keeps inbound auth on whenever BOT_ID is set, even with BOT_AUTH=off', () => {
    const config = loadConfig({ BOT_ID: CLIENT, BOT_PASSWORD: 'pw', AAD_APP_TENANT_ID: TENANT, PUBLIC_URL: 'https://h.example.com', BOT_AUTH: 'off' }, '/');
    assert.equal(config.bot.auth, 'on');
  });

  it('names a BOT_AUTH value it does not know', () => {
    assert.ok(problemsOf({ BOT_AUTH: 'disabled' }).some((p) => p.startsWith('BOT_AUTH:')));
  });

  it('needs no flag for the playground', () => {
    assert.equal(loadConfig({}, '/').bot.auth, 'off');
  });

  it('runs live with BOT_ID blank, AAD_APP_CLIENT_ID set and BOT_AUTH=off', () => {
    const config = loadConfig({ BOT_AUTH: 'off', AAD_APP_CLIENT_ID: CLIENT, AAD_APP_CLIENT_SECRET: 's', PUBLIC_URL: 'https://herald.example.com/' }, '/');
    assert.equal(config.mode, 'live');
    assert.equal(config.bot.appId, '');
    assert.equal(config.bot.auth, 'off');
    assert.equal(config.publicUrl, 'https://herald.example.com');
  });

  it('defaults the Graph app to the bot credentials and the bot tenant to the app tenant', () => {
    const config = loadConfig({ BOT_ID: CLIENT, BOT_PASSWORD: 'pw', AAD_APP_TENANT_ID: TENANT, PUBLIC_URL: 'https://h.example.com' }, '/');
    assert.equal(config.aad.clientId, CLIENT);
    assert.equal(config.aad.clientSecret, 'pw');
    assert.equal(config.bot.tenantId, TENANT);
  });

  it('names every missing live setting', () => {
    const problems = problemsOf({ AAD_APP_CLIENT_ID: CLIENT });
    assert.ok(problems.some((p) => p.startsWith('AAD_APP_CLIENT_SECRET: required to call Microsoft Graph (it defaults to BOT_PASSWORD)')));
    assert.ok(problems.some((p) => p.startsWith('PUBLIC_URL')));
  });

  it('with BOT_ID alone, names only what the user set or must set: BOT_PASSWORD covers the Graph secret', () => {
    const problems = problemsOf({ BOT_ID: CLIENT });
    assert.ok(problems.includes('BOT_PASSWORD: required when BOT_ID is set (AAD_APP_CLIENT_SECRET, not set, defaults to it: Herald calls Microsoft Graph with it)'), problems.join(' | '));
    assert.ok(!problems.some((p) => p.startsWith('AAD_APP_CLIENT_SECRET')), problems.join(' | '));
    assert.ok(problems.some((p) => p.startsWith('BOT_TENANT_ID')));
    assert.ok(problems.some((p) => p.startsWith('PUBLIC_URL')));
  });

  it('blames a malformed BOT_ID on BOT_ID alone, saying that AAD_APP_CLIENT_ID defaults to it', () => {
    const problems = problemsOf({ BOT_ID: 'x' });
    assert.ok(problems.includes('BOT_ID: "x" is not a GUID (AAD_APP_CLIENT_ID, not set, defaults to it)'), problems.join(' | '));
    assert.ok(!problems.some((p) => p.startsWith('AAD_APP_CLIENT_ID')), problems.join(' | '));
  });

  it('names a malformed AAD_APP_CLIENT_ID the user did set, beside a malformed BOT_ID', () => {
    const problems = problemsOf({ BOT_ID: 'x', AAD_APP_CLIENT_ID: 'y' });
    assert.ok(problems.includes('BOT_ID: "x" is not a GUID'), problems.join(' | '));
    assert.ok(problems.includes('AAD_APP_CLIENT_ID: "y" is not a GUID'), problems.join(' | '));
  });

  it('names malformed settings', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      BOT_TYPE: 'Galactic',
      GRAPH_ENDPOINT: 'http://graph.example.com',
      AAD_AUTHORITY_HOST: 'not a url',
      GRAPH_BILLING_MODEL: 'Z',
      LOG_LEVEL: 'loud',
      NOTIFICATION_CERT_FILE: 'cert.pem',
    });
    for (const name of ['PORT', 'BOT_TYPE', 'GRAPH_ENDPOINT', 'AAD_AUTHORITY_HOST', 'GRAPH_BILLING_MODEL', 'LOG_LEVEL', 'NOTIFICATION_KEY_FILE']) {
      assert.ok(problems.some((p) => p.startsWith(name)), `expected a problem naming ${name}: ${problems.join(' | ')}`);
    }
  });

  it('accepts MultiTenant in any casing and passes botbuilder cloud settings through', () => {
    const config = loadConfig({ BOT_TYPE: 'multitenant', ToChannelFromBotOAuthScope: 'https://api.botframework.us', ChannelService: 'https://botframework.azure.us' }, '/');
    assert.equal(config.bot.appType, 'MultiTenant');
    assert.deepEqual(config.bot.cloudSettings, { ToChannelFromBotOAuthScope: 'https://api.botframework.us', ChannelService: 'https://botframework.azure.us' });
  });

  it('requires https for PUBLIC_URL except on loopback', () => {
    assert.ok(problemsOf({ AAD_APP_CLIENT_ID: CLIENT, AAD_APP_CLIENT_SECRET: 's', PUBLIC_URL: 'http://herald.example.com' }).some((p) => p.startsWith('PUBLIC_URL')));
    const config = loadConfig({ BOT_AUTH: 'off', AAD_APP_CLIENT_ID: CLIENT, AAD_APP_CLIENT_SECRET: 's', PUBLIC_URL: 'http://127.0.0.1:3978' }, '/');
    assert.equal(config.publicUrl, 'http://127.0.0.1:3978');
  });

  describe('HERALD_INSTANCE_ID', () => {
    it('takes the name it is given', () => {
      assert.equal(loadConfig({ HERALD_INSTANCE_ID: 'web-2' }, '/').instanceId, 'web-2');
    });

    it('refuses a name with spaces or other characters, naming the setting', () => {
      assert.throws(() => loadConfig({ HERALD_INSTANCE_ID: 'web 2' }, '/'), /HERALD_INSTANCE_ID: "web 2" must be 1-128 letters/);
    });
  });

  describe('DATABASE_URL', () => {
    it('keeps the embedded store when it is blank', () => {
      assert.equal(loadConfig({}, '/').databaseUrl, null);
      assert.equal(loadConfig({ DATABASE_URL: '  ' }, '/').databaseUrl, null);
    });

    it('takes a postgres:// or postgresql:// URL as given', () => {
      assert.equal(loadConfig({ DATABASE_URL: 'postgres://herald:pw@db.example.com:5432/herald' }, '/').databaseUrl, 'postgres://herald:pw@db.example.com:5432/herald');
      assert.equal(loadConfig({ DATABASE_URL: 'postgresql://db.example.com/herald?sslmode=require' }, '/').databaseUrl, 'postgresql://db.example.com/herald?sslmode=require');
    });

    it('refuses another scheme, naming DATABASE_URL and never echoing the password', () => {
      const problems = problemsOf({ DATABASE_URL: 'mysql://herald:s3cret@db.example.com/herald' });
      const problem = problems.find((p) => p.startsWith('DATABASE_URL:'));
      assert.ok(problem, problems.join('\n'));
      assert.match(problem, /postgres:\/\//);
      assert.doesNotMatch(problem, /s3cret/);
    });

    it('refuses what is not a URL, without repeating it', () => {
      const problem = problemsOf({ DATABASE_URL: 'host=db password=s3cret' }).find((p) => p.startsWith('DATABASE_URL:'));
      assert.ok(problem);
      assert.match(problem, /not a URL/);
      assert.doesNotMatch(problem, /s3cret/);
    });
  });

  describe('env files', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'herald-env-'));
    });
    afterEach(async () => rm(dir, { recursive: true, force: true }));

    it('reads .localConfigs and .env, with real environment variables winning', async () => {
      await writeFile(join(dir, '.env'), 'PORT=1000\nLOG_LEVEL=debug\nDATA_DIR=./from-env\n');
      await writeFile(join(dir, '.localConfigs'), 'PORT=2000\nLOG_LEVEL=warn\n');
      const env = readEnvFiles(dir, { LOG_LEVEL: 'error' });
      const config = loadConfig(env, dir);
      assert.equal(config.port, 2000);
      assert.equal(config.logLevel, 'error');
      assert.equal(config.dataDir, join(dir, 'from-env'));
    });
  });
});
