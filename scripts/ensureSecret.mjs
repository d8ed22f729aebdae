// `node scripts/ensureSecret.mjs NAME`: the Agents Toolkit's `script` action for a secret nobody has to
// pick by hand (teamsapp.yml: the PostgreSQL admin password). When NAME is empty in the environment the
// toolkit passes in (env/.env.<env> and .user), prints `::set-teamsfx-env NAME=<new value>`, which the
// toolkit stores, encrypted, in env/.env.<env>.user; otherwise prints nothing, so the value never changes.
// https://aka.ms/teamsfx-actions/script
import { randomBytes } from 'node:crypto';

const name = process.argv[2] ?? '';
if (!/^SECRET_[A-Z0-9_]+$/.test(name)) {
  console.error('usage: node scripts/ensureSecret.mjs SECRET_NAME (a toolkit secret: SECRET_ and capitals)');
  process.exit(2);
}
if (!process.env[name]) {
  // 32 bytes of base64url, behind a fixed prefix that meets Azure's complexity rule (upper, lower,
  // digit, symbol); every character is URL-safe, so the value can go into DATABASE_URL as it is.
  console.log(`::set-teamsfx-env ${name}=Hk7-${randomBytes(32).toString('base64url')}`);
}
