import assert from 'node:assert/strict';
import { UnresolvedPlaceholderError } from '../../../src/appPackage/AppPackageError.js';
import { placeholdersIn, resolveJsonPlaceholders, resolvePlaceholders } from '../../../src/appPackage/placeholders.js';
import { loadTeamsEnvironment } from '../../../src/appPackage/teamsEnvironment.js';
import { copyProject, type ProjectCopy } from '../../support/appPackage/projectCopy.js';

const source = (values: Record<string, string>) => ({ values, searched: ['test values'] });

describe('Teams Toolkit placeholders', () => {
  it('lists each ${{VAR}} once, in order, allowing spaces inside the braces', () => {
    assert.deepEqual(placeholdersIn('api://${{ BOT_DOMAIN }}/${{AAD_APP_CLIENT_ID}} ${{BOT_DOMAIN}} ${NOT_ONE} {{NOR_THIS}}'), ['BOT_DOMAIN', 'AAD_APP_CLIENT_ID']);
  });

  it('replaces every placeholder and does not expand placeholders inside values', () => {
    const text = resolvePlaceholders('Herald${{APP_NAME_SUFFIX}} at ${{ BOT_DOMAIN }}', source({ APP_NAME_SUFFIX: '${{BOT_DOMAIN}}', BOT_DOMAIN: 'x.test' }), 'test');
    assert.equal(text, 'Herald${{BOT_DOMAIN}} at x.test');
  });

  it('names every unresolved variable, and counts an empty value as unresolved like Teams Toolkit', () => {
    assert.throws(
      () => resolvePlaceholders('${{BOT_ID}} ${{TEAMS_APP_ID}} ${{BOT_ID}} ${{SET}}', source({ TEAMS_APP_ID: '', SET: 'yes' }), 'appPackage/manifest.json'),
      (error: unknown) => {
        assert.ok(error instanceof UnresolvedPlaceholderError);
        assert.deepEqual(error.variables, ['BOT_ID', 'TEAMS_APP_ID']);
        assert.match(error.message, /appPackage\/manifest\.json uses variables that are not set: BOT_ID, TEAMS_APP_ID/);
        assert.match(error.message, /looked in: test values/);
        return true;
      },
    );
  });

  it('resolves strings anywhere in a JSON document, so values with quotes cannot break the JSON', () => {
    const resolved = resolveJsonPlaceholders({ a: ['${{Q}}', 1, true, null], b: { c: 'x${{Q}}' } }, source({ Q: 'say "hi" \\o/' }), 'test');
    assert.deepEqual(resolved, { a: ['say "hi" \\o/', 1, true, null], b: { c: 'xsay "hi" \\o/' } });
  });

  it('reports unresolved variables found anywhere in a JSON document', () => {
    assert.throws(() => resolveJsonPlaceholders({ a: ['${{ONE}}'], b: { c: '${{TWO}}' } }, source({}), 'doc'), /not set: ONE, TWO/);
  });
});

describe('Teams Toolkit environment files', () => {
  let project: ProjectCopy;

  beforeEach(async () => {
    project = await copyProject();
    await project.write('env/.env.test', '# comment\nFROM_ENV=env-file\nSHARED=env-file\nEMPTY=\nQUOTED=" spaced "\n');
    await project.write('env/.env.test.user', 'FROM_USER=user-file\nSHARED=user-file\nSECRET_X=crypto_abc\n');
  });

  afterEach(async () => {
    await project.remove();
  });

  it('takes the process environment over env/.env.<env> over env/.env.<env>.user', async () => {
    const env = await loadTeamsEnvironment({ projectDir: project.dir, envName: 'test', processEnv: { FROM_PROCESS: 'process', SHARED: 'process' } });
    assert.equal(env.values.SHARED, 'process');
    assert.equal(env.values.FROM_PROCESS, 'process');
    assert.equal(env.values.FROM_ENV, 'env-file');
    assert.equal(env.values.FROM_USER, 'user-file');
    assert.equal(env.values.QUOTED, ' spaced ');
    assert.deepEqual(env.searched, ['process environment', 'env/.env.test', 'env/.env.test.user']);
  });

  it('lets the .user file fill in only what env/.env.<env> leaves undefined', async () => {
    const env = await loadTeamsEnvironment({ projectDir: project.dir, envName: 'test', processEnv: {} });
    assert.equal(env.values.SHARED, 'env-file');
    assert.equal(env.values.SECRET_X, 'crypto_abc');
  });

  it('does not let an exported but empty variable hide the file value', async () => {
    const env = await loadTeamsEnvironment({ projectDir: project.dir, envName: 'test', processEnv: { SHARED: '' } });
    assert.equal(env.values.SHARED, 'env-file');
  });

  it('works without a .user file', async () => {
    const env = await loadTeamsEnvironment({ projectDir: project.dir, envName: 'local', processEnv: {} });
    assert.equal(env.values.TEAMSFX_ENV, 'local');
  });

  it('rejects an environment without an env file, naming the file', async () => {
    await assert.rejects(loadTeamsEnvironment({ projectDir: project.dir, envName: 'staging', processEnv: {} }), /Unknown environment "staging": cannot read env\/\.env\.staging/);
  });

  it('rejects environment names that could leave the env folder', async () => {
    await assert.rejects(loadTeamsEnvironment({ projectDir: project.dir, envName: '../secrets', processEnv: {} }), /is not an environment name/);
  });
});
