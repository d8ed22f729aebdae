import type { TeamsEnvironment } from './teamsEnvironment.js';

// `npm run package` works before anything is registered: the env templates leave the ids empty (the
// Agents Toolkit creates an app only for an empty id), so stand-ins are filled in memory, never written.
const PLACEHOLDER_ID = /^00000000-0000-4000-8000-[0-9a-f]{12}$/i;
const EXAMPLE_HOST = /(?:^|[./])example\.(?:com|org|net)(?=$|[/:])/i;

/** Per environment: what `npm run package` uses for a variable that is still empty. Only "local". */
const STAND_INS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  local: {
    TEAMS_APP_ID: '00000000-0000-4000-8000-000000000001',
    BOT_ID: '00000000-0000-4000-8000-000000000002',
    AAD_APP_CLIENT_ID: '00000000-0000-4000-8000-000000000003',
    BOT_DOMAIN: 'herald-local.example.com',
  },
};

/** True for the stand-in ids and example.com addresses. */
export function isTemplateValue(value: string): boolean {
  return PLACEHOLDER_ID.test(value) || EXAMPLE_HOST.test(value);
}

/** The variables among `variables` that still hold a template stand-in value. */
export function variablesWithTemplateValues(variables: readonly string[], values: Readonly<Record<string, string>>): string[] {
  return variables.filter((name) => Object.hasOwn(values, name) && isTemplateValue(values[name]));
}

/** The environment with the stand-ins of its name filled in where a value is missing or empty. */
export function withStandIns(environment: TeamsEnvironment): TeamsEnvironment {
  const standIns = STAND_INS[environment.name];
  if (!standIns) return environment;
  const values = { ...environment.values };
  for (const [name, value] of Object.entries(standIns)) if (!values[name]) values[name] = value;
  return { ...environment, values, searched: [...environment.searched, `npm run package's stand-ins for "${environment.name}"`] };
}
