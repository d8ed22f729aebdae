// The env templates ship stand-in values so that `npm run package` works before anything is registered.
const PLACEHOLDER_ID = /^00000000-0000-4000-8000-[0-9a-f]{12}$/i;
const EXAMPLE_HOST = /(?:^|[./])example\.(?:com|org|net)(?=$|[/:])/i;

/** True for the env templates' stand-in ids and example.com addresses. */
export function isTemplateValue(value: string): boolean {
  return PLACEHOLDER_ID.test(value) || EXAMPLE_HOST.test(value);
}

/** The variables among `variables` that still hold a template stand-in value. */
export function variablesWithTemplateValues(variables: readonly string[], values: Readonly<Record<string, string>>): string[] {
  return variables.filter((name) => Object.hasOwn(values, name) && isTemplateValue(values[name]));
}
