import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkManifestConsistency, type SchemaValidManifest } from '../../../src/appPackage/manifestConsistency.js';
import { createManifestSchemaValidator, offlineSchemaPath, type ManifestSchemaValidator } from '../../../src/appPackage/manifestSchema.js';
import { resolveJsonPlaceholders, type JsonValue } from '../../../src/appPackage/placeholders.js';
import { loadTeamsEnvironment } from '../../../src/appPackage/teamsEnvironment.js';
import { withStandIns } from '../../../src/appPackage/templateValues.js';
import { REPO_ROOT } from '../../support/appPackage/projectCopy.js';

type Manifest = Record<string, JsonValue> & SchemaValidManifest;

async function shippedManifest(envName: string): Promise<Manifest> {
  const template = JSON.parse(readFileSync(join(REPO_ROOT, 'appPackage/manifest.json'), 'utf8')) as JsonValue;
  const environment = withStandIns(await loadTeamsEnvironment({ projectDir: REPO_ROOT, envName, processEnv: {} }));
  return resolveJsonPlaceholders(template, environment, 'appPackage/manifest.json') as Manifest;
}

describe('Herald Teams manifest', () => {
  // Compiling the Teams schema takes about half a second: once for this file.
  let validator: ManifestSchemaValidator;
  let manifest: Manifest;

  before(async () => {
    validator = createManifestSchemaValidator();
    manifest = await shippedManifest('local');
  });

  const broken = (change: (m: Manifest) => void): Manifest => {
    const copy = structuredClone(manifest);
    change(copy);
    return copy;
  };

  it('resolves with the local env template and passes the offline v1.30 schema', () => {
    assert.equal(manifest.$schema, 'https://developer.microsoft.com/en-us/json-schemas/teams/v1.30/MicrosoftTeams.schema.json');
    assert.equal(manifest.manifestVersion, '1.30');
    assert.deepEqual(validator.validate(manifest), []);
    assert.deepEqual(checkManifestConsistency(manifest), []);
  });

  it('declares the group-chat bot, its commands, the chat tab, SSO and the chat RSC permissions', async () => {
    const { values } = withStandIns(await loadTeamsEnvironment({ projectDir: REPO_ROOT, envName: 'local', processEnv: {} }));
    const value = (name: string) => values[name];
    const domain = value('BOT_DOMAIN');
    const clientId = value('AAD_APP_CLIENT_ID');
    assert.equal(manifest.id, value('TEAMS_APP_ID'));
    assert.equal((manifest.name as { short: string }).short, `Herald${value('APP_NAME_SUFFIX')}`);
    const [bot] = manifest.bots as [{ botId: string; scopes: string[]; commandLists: { scopes: string[]; commands: { title: string }[] }[] }];
    assert.equal(bot.botId, value('BOT_ID'));
    assert.ok(bot.scopes.includes('groupChat'));
    const groupChatCommands = bot.commandLists.find((list) => list.scopes.includes('groupChat'))?.commands.map((c) => c.title);
    assert.deepEqual(groupChatCommands, ['help', 'status', 'settings']);
    assert.deepEqual(manifest.configurableTabs, [
      { id: 'herald-chat-tab', configurationUrl: `https://${domain}/tab/config.html`, canUpdateConfiguration: true, scopes: ['groupChat'], context: ['privateChatTab', 'meetingChatTab'] },
    ]);
    assert.equal(manifest.staticTabs?.[0].contentUrl, `https://${domain}/tab/index.html`);
    assert.deepEqual(manifest.validDomains, [domain]);
    assert.deepEqual(manifest.webApplicationInfo, { id: clientId, resource: `api://${domain}/${clientId}` });
    assert.deepEqual(manifest.authorization, {
      permissions: {
        resourceSpecific: [
          { name: 'ChatMember.Read.Chat', type: 'Application' },
          { name: 'Chat.Manage.Chat', type: 'Application' },
        ],
      },
    });
  });

  it('declares German, French and Spanish with language files that pass the offline v1.30 Localization schema', () => {
    assert.deepEqual(manifest.localizationInfo, {
      defaultLanguageTag: 'en',
      additionalLanguages: [
        { languageTag: 'de', file: 'de.json' },
        { languageTag: 'fr', file: 'fr.json' },
        { languageTag: 'es', file: 'es.json' },
      ],
    });
    const english = manifest as unknown as { name: { short: string }; bots: Array<{ commandLists: Array<{ commands: unknown[] }> }> };
    for (const language of ['de', 'fr', 'es']) {
      const file = JSON.parse(readFileSync(join(REPO_ROOT, 'appPackage', `${language}.json`), 'utf8')) as Record<string, string>;
      assert.equal(file.$schema, 'https://developer.microsoft.com/en-us/json-schemas/teams/v1.30/MicrosoftTeams.Localization.schema.json', language);
      assert.deepEqual(validator.validate(file), [], language);
      assert.equal(file['name.short'], 'Herald${{APP_NAME_SUFFIX}}', `${language}: the same name and suffix as the manifest`);
      // Every command's description is translated; the titles are what people type, so they stay.
      english.bots[0].commandLists.forEach((list, l) => list.commands.forEach((_c, c) => assert.ok(file[`bots[0].commandLists[${l}].commands[${c}].description`], `${language} command ${l}/${c}`)));
    }
    assert.ok(english.name.short.startsWith('Herald'));
  });

  it('rejects a bad accentColor, a missing developer and a wrong RSC permission type with the schema error text', () => {
    const errors = validator.validate(
      broken((m) => {
        m.accentColor = 'purple';
        delete m.developer;
        (m.authorization as { permissions: { resourceSpecific: { type: string }[] } }).permissions.resourceSpecific[1].type = 'Application-Only';
      }),
    );
    assert.ok(errors.includes('/accentColor must match pattern "^#[0-9a-fA-F]{6}$"'), errors.join('\n'));
    assert.ok(errors.includes("(manifest root) must have required property 'developer'"), errors.join('\n'));
    assert.ok(
      errors.includes('/authorization/permissions/resourceSpecific/1/type must be equal to one of the allowed values: "Application", "Delegated"'),
      errors.join('\n'),
    );
  });

  it('rejects properties the declared schema version does not know, naming them', () => {
    const errors = validator.validate(broken((m) => ((m.bots as Record<string, JsonValue>[])[0].botType = 'x')));
    assert.ok(errors.includes('/bots/0 must NOT have additional properties: "botType"'), errors.join('\n'));
  });

  it('rejects a manifest without $schema, and a schema version with no offline copy', () => {
    assert.deepEqual(validator.validate(broken((m) => delete (m as Partial<Manifest>).$schema)), ['(manifest root) must have a "$schema" naming the Teams manifest schema version']);
    assert.throws(() => validator.validate(broken((m) => (m.$schema = 'https://developer.microsoft.com/json-schemas/teams/v1.18/MicrosoftTeams.schema.json'))), /No offline copy of the manifest schema/);
  });

  it('finds the shipped schema with or without the locale segment in the URL', () => {
    const withLocale = offlineSchemaPath('https://developer.microsoft.com/en-us/json-schemas/teams/v1.22/MicrosoftTeams.schema.json');
    assert.ok(withLocale?.endsWith(join('teams', 'v1.22', 'MicrosoftTeams.schema.json')));
    assert.equal(offlineSchemaPath('https://developer.microsoft.com/json-schemas/teams/v1.22/MicrosoftTeams.schema.json'), withLocale);
    assert.equal(offlineSchemaPath('https://example.com/v1.22/MicrosoftTeams.schema.json'), null);
  });

  describe('rules beyond the schema', () => {
    it('requires manifestVersion to match the $schema version', () => {
      assert.deepEqual(checkManifestConsistency(broken((m) => (m.manifestVersion = '1.17'))), ['/manifestVersion "1.17" does not match the $schema version "1.30"']);
    });

    it('requires tab and SSO hosts in validDomains (wildcards allowed)', () => {
      assert.deepEqual(checkManifestConsistency(broken((m) => (m.validDomains = ['other.example.com']))), [
        `/configurableTabs/0/configurationUrl host "${manifest.validDomains?.[0]}" must be listed in /validDomains`,
        `/staticTabs/0/contentUrl host "${manifest.validDomains?.[0]}" must be listed in /validDomains`,
        `/webApplicationInfo/resource host "${manifest.validDomains?.[0]}" must be listed in /validDomains`,
      ]);
      const parent = (manifest.validDomains?.[0] ?? '').split('.').slice(1).join('.');
      assert.deepEqual(checkManifestConsistency(broken((m) => (m.validDomains = [`*.${parent}`]))), []);
    });

    it('requires the icons to be files at the package root', () => {
      assert.deepEqual(checkManifestConsistency(broken((m) => (m.icons = { color: 'img/color.png', outline: '..' }))), [
        '/icons/color "img/color.png" must be a file name at the package root',
        '/icons/outline ".." must be a file name at the package root',
      ]);
    });
  });
});
