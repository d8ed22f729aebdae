import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readProjectText } from '../../support/appPackage/toolkitProject.js';

// https://learn.microsoft.com/graph/permissions-reference (application permissions, "Identifier").
const GRAPH = '00000003-0000-0000-c000-000000000000';
const CHAT_READBASIC_WHEREINSTALLED = '818ba5bd-5b3e-4fe0-bbe6-aa4686669073';
const CHATMEMBER_READ_WHEREINSTALLED = '93e7c9e4-54c5-4a41-b796-f2a5adaacda7';

interface AadManifest {
  requiredResourceAccess: { resourceAppId: string; resourceAccess: { id: string; type: 'Scope' | 'Role' }[] }[];
}

const { AadManifestHelper } = createRequire(import.meta.url)('@microsoft/teamsfx-core/build/component/driver/aad/utility/aadManifestHelper.js') as {
  AadManifestHelper: { processRequiredResourceAccessInManifest(manifest: AadManifest): void; validateManifest(manifest: unknown): string };
};
const manifest = (): AadManifest => JSON.parse(readProjectText('aad.manifest.json')) as AadManifest;

describe('aad.manifest.json (the Entra app Herald calls Graph as)', () => {
  it('requests the tenant-wide application permissions Chat.ReadBasic.WhereInstalled and ChatMember.Read.WhereInstalled, and delegated User.Read', () => {
    const [graph, ...others] = manifest().requiredResourceAccess;
    assert.deepEqual(others, []);
    assert.equal(graph.resourceAppId, GRAPH);
    assert.deepEqual(graph.resourceAccess, [
      { id: 'User.Read', type: 'Scope' },
      { id: CHAT_READBASIC_WHEREINSTALLED, type: 'Role' },
      { id: CHATMEMBER_READ_WHEREINSTALLED, type: 'Role' },
    ]);
  });

  it("is what the toolkit's aadApp/update accepts: it resolves User.Read and keeps the role ids", () => {
    const resolved = manifest();
    AadManifestHelper.processRequiredResourceAccessInManifest(resolved);
    assert.deepEqual(resolved.requiredResourceAccess[0].resourceAccess.map((a) => a.id), ['e1fe6dd8-ba31-4d61-89e7-88639da4683d', CHAT_READBASIC_WHEREINSTALLED, CHATMEMBER_READ_WHEREINSTALLED]);
    assert.equal(AadManifestHelper.validateManifest(resolved), '');
  });

  it('gives the roles as ids because the toolkit cannot resolve their names', () => {
    const byName = manifest();
    byName.requiredResourceAccess[0].resourceAccess[2] = { id: 'ChatMember.Read.WhereInstalled', type: 'Role' };
    assert.throws(() => AadManifestHelper.processRequiredResourceAccessInManifest(byName), /Unknown resourceAccess id: ChatMember\.Read\.WhereInstalled/);
  });
});
