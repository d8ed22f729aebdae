import assert from 'node:assert/strict';
import { decideSettingsChange, describeRule, factsFromRoles, type ChangerFacts } from '../../../src/settings/settingsPermission.js';

const CHAT_TENANT = '5a1b0000-0000-4000-8000-00000000c4a7';
const OTHER_TENANT = '5a1b0000-0000-4000-8000-0000000e0e0e';

const member: ChangerFacts = { tenantId: CHAT_TENANT, guest: false, owner: false };
const owner: ChangerFacts = { ...member, owner: true };
const guest: ChangerFacts = { tenantId: CHAT_TENANT, guest: true, owner: false };
const external: ChangerFacts = { tenantId: OTHER_TENANT, guest: false, owner: true };

describe('who may change settings', () => {
  describe('members (the default rule)', () => {
    it('lets a member of the chat’s own tenant who is not a guest change settings', () => {
      assert.deepEqual(decideSettingsChange('members', CHAT_TENANT, member), { allowed: true });
      assert.deepEqual(decideSettingsChange('members', CHAT_TENANT, owner), { allowed: true });
    });

    it('compares tenants case-insensitively', () => {
      assert.equal(decideSettingsChange('members', CHAT_TENANT.toUpperCase(), member).allowed, true);
    });

    it('refuses a guest, saying why and who may', () => {
      const verdict = decideSettingsChange('members', CHAT_TENANT, guest);
      assert.equal(verdict.allowed, false);
      assert.ok(!verdict.allowed);
      assert.equal(verdict.reason, 'guest');
      assert.equal(verdict.message, "You can't change Herald's settings here: you are a guest in this chat. Only members of this chat's organization who are not guests can.");
    });

    it('refuses someone from another organization, even an owner', () => {
      const verdict = decideSettingsChange('members', CHAT_TENANT, external);
      assert.ok(!verdict.allowed);
      assert.equal(verdict.reason, 'external');
      assert.match(verdict.message, /you are from another organization\. Only members of this chat's organization who are not guests can\.$/);
    });

    it('refuses a person Herald could not identify, and one whose tenant nobody reported', () => {
      const nobody = decideSettingsChange('members', CHAT_TENANT, null);
      assert.ok(!nobody.allowed);
      assert.equal(nobody.reason, 'unknown');
      assert.match(nobody.message, /could not confirm that you are a member of this chat/);
      const noTenant = decideSettingsChange('members', CHAT_TENANT, { tenantId: null, guest: false, owner: true });
      assert.ok(!noTenant.allowed);
      assert.equal(noTenant.reason, 'unknown');
    });
  });

  describe('owners only', () => {
    it('lets an owner of the chat’s own tenant change settings', () => {
      assert.deepEqual(decideSettingsChange('owners', CHAT_TENANT, owner), { allowed: true });
    });

    it('refuses a member who is not an owner, naming owners as the ones who may', () => {
      const verdict = decideSettingsChange('owners', CHAT_TENANT, member);
      assert.ok(!verdict.allowed);
      assert.equal(verdict.reason, 'notOwner');
      assert.equal(verdict.message, "You can't change Herald's settings here: you are not an owner of this chat. Only chat owners from this chat's organization (not guests) can.");
    });

    it('refuses when only a source without roles answered (owner unknown)', () => {
      const verdict = decideSettingsChange('owners', CHAT_TENANT, { ...member, owner: null });
      assert.ok(!verdict.allowed);
      assert.equal(verdict.reason, 'ownerUnknown');
    });

    it('still refuses guests and external owners', () => {
      assert.equal(decideSettingsChange('owners', CHAT_TENANT, { ...guest, owner: true }).allowed, false);
      const verdict = decideSettingsChange('owners', CHAT_TENANT, external);
      assert.ok(!verdict.allowed);
      assert.equal(verdict.reason, 'external');
    });
  });

  it('reads Graph member roles case-insensitively', () => {
    assert.deepEqual(factsFromRoles(CHAT_TENANT, ['Owner']), { tenantId: CHAT_TENANT, guest: false, owner: true });
    assert.deepEqual(factsFromRoles(CHAT_TENANT, ['GUEST']), { tenantId: CHAT_TENANT, guest: true, owner: false });
    assert.deepEqual(factsFromRoles(null, undefined), { tenantId: null, guest: false, owner: false });
  });

  it('describes each rule for people', () => {
    assert.equal(describeRule('members'), "members of this chat's organization who are not guests");
    assert.equal(describeRule('owners'), "chat owners from this chat's organization (not guests)");
  });
});
