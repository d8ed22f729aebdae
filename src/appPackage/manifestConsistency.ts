/**
 * The parts of a manifest that the consistency checks read. Only use this view on a manifest that
 * already passed the schema, which guarantees these types.
 */
export interface SchemaValidManifest {
  $schema: string;
  manifestVersion: string;
  id: string;
  icons: { color: string; outline: string };
  validDomains?: string[];
  configurableTabs?: { configurationUrl: string }[];
  staticTabs?: { contentUrl?: string; websiteUrl?: string; searchUrl?: string }[];
  webApplicationInfo?: { id: string; resource?: string };
}

const SCHEMA_VERSION = /\/teams\/v([0-9A-Za-z.]+)\/MicrosoftTeams\.schema\.json$/;

/** `*.example.com` matches any subdomain of example.com, as in Teams. */
function domainAllowed(host: string, validDomains: readonly string[]): boolean {
  const h = host.toLowerCase();
  return validDomains.some((entry) => {
    const domain = entry.toLowerCase();
    return domain.startsWith('*.') ? h.endsWith(domain.slice(1)) : h === domain;
  });
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

/**
 * Rules Teams enforces beyond the JSON schema, which the schema cannot express: matching versions,
 * tab and SSO hosts listed in validDomains, icons at the package root.
 */
export function checkManifestConsistency(manifest: SchemaValidManifest): string[] {
  const problems: string[] = [];
  const schemaVersion = SCHEMA_VERSION.exec(manifest.$schema)?.[1];
  if (schemaVersion !== undefined && schemaVersion !== manifest.manifestVersion) {
    problems.push(`/manifestVersion "${manifest.manifestVersion}" does not match the $schema version "${schemaVersion}"`);
  }

  const validDomains = manifest.validDomains ?? [];
  const tabUrls: [string, string][] = [
    ...(manifest.configurableTabs ?? []).map((tab, i): [string, string] => [`/configurableTabs/${i}/configurationUrl`, tab.configurationUrl]),
    ...(manifest.staticTabs ?? []).flatMap((tab, i) =>
      (['contentUrl', 'websiteUrl', 'searchUrl'] as const).flatMap((key): [string, string][] => {
        const url = tab[key];
        return url === undefined ? [] : [[`/staticTabs/${i}/${key}`, url]];
      }),
    ),
  ];
  for (const [where, url] of tabUrls) {
    const host = hostOf(url);
    if (host === null) problems.push(`${where} "${url}" is not a URL`);
    else if (!domainAllowed(host, validDomains)) problems.push(`${where} host "${host}" must be listed in /validDomains`);
  }

  // Tab SSO requires the App ID URI api://<fqdn>/<client id> with the fqdn in validDomains.
  const resource = manifest.webApplicationInfo?.resource;
  if (resource?.startsWith('api://')) {
    const host = resource.slice('api://'.length).split('/')[0];
    if (!domainAllowed(host, validDomains)) problems.push(`/webApplicationInfo/resource host "${host}" must be listed in /validDomains`);
  }

  for (const key of ['color', 'outline'] as const) {
    const file = manifest.icons[key];
    if (file === '' || /[\\/]/.test(file) || file === '.' || file === '..') {
      problems.push(`/icons/${key} "${file}" must be a file name at the package root`);
    }
  }
  return problems;
}
