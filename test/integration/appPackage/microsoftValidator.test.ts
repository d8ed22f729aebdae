import assert from 'node:assert/strict';
import { AppManifestUtils } from '@microsoft/app-manifest';
import { createManifestSchemaValidator } from '../../../src/appPackage/manifestSchema.js';
import { buildAppPackage } from '../../../src/appPackage/packageApp.js';
import { copyProject, type ProjectCopy } from '../../support/appPackage/projectCopy.js';

type AppManifest = Parameters<typeof AppManifestUtils.validateAgainstSchema>[0];

// What `atk validate --manifest-file` runs, in-process: @microsoft/app-manifest's validator maps the
// manifest's $schema URL to the copy it ships (no network).
describe("Herald's built manifest, checked with Microsoft's validator (@microsoft/app-manifest)", () => {
  let project: ProjectCopy;

  before(async () => {
    project = await copyProject();
  });

  after(async () => {
    await project.remove();
  });

  for (const { env, processEnv } of [
    { env: 'local', processEnv: {} },
    { env: 'dev', processEnv: { TEAMS_APP_ID: '3f1c2a4e-8b7d-4c6e-9a1b-2c3d4e5f6a7b', BOT_ID: '5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d', AAD_APP_CLIENT_ID: '7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f', BOT_DOMAIN: 'herald-abc.azurewebsites.net' } },
  ]) {
    it(`passes for environment ${env}, on the newest manifest version the package ships (v1.30)`, async () => {
      const built = await buildAppPackage({ projectDir: project.dir, envName: env, processEnv, validator: createManifestSchemaValidator() });
      const manifest = built.manifest as unknown as AppManifest & { manifestVersion: string };
      assert.equal(manifest.manifestVersion, '1.30');
      assert.deepEqual(await AppManifestUtils.validateAgainstSchema(manifest), []);
    });
  }

  it('keeps the resource-specific consent exactly ChatMember.Read.Chat and Chat.Manage.Chat (application)', async () => {
    const built = await buildAppPackage({ projectDir: project.dir, envName: 'local', processEnv: {}, validator: createManifestSchemaValidator() });
    assert.deepEqual((built.manifest as { authorization: unknown }).authorization, {
      permissions: { resourceSpecific: [{ name: 'ChatMember.Read.Chat', type: 'Application' }, { name: 'Chat.Manage.Chat', type: 'Application' }] },
    });
  });

  it('reports what is wrong, so a pass means something', async () => {
    const built = await buildAppPackage({ projectDir: project.dir, envName: 'local', processEnv: {}, validator: createManifestSchemaValidator() });
    const broken = { ...(built.manifest as object), accentColor: 'indigo' } as unknown as AppManifest;
    const errors = await AppManifestUtils.validateAgainstSchema(broken);
    assert.equal(errors.length, 1);
    assert.match(errors[0], /accentColor/);
  });
});
