/** Error responses in the shape Entra ID's token endpoint uses (OAuth error + AADSTS code and trace ids). */
import { randomUUID } from 'node:crypto';

export interface AadErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
}

export interface AadError {
  status: number;
  error: string;
  code: number;
  message: string;
}

export function aadErrorBody(origin: string, failure: AadError, now: Date, correlationId: string = randomUUID()): AadErrorBody {
  const traceId = randomUUID();
  // Entra's timestamp format: "2024-01-31 12:34:56Z".
  const timestamp = `${now.toISOString().slice(0, 19).replace('T', ' ')}Z`;
  return {
    error: failure.error,
    error_description: `AADSTS${failure.code}: ${failure.message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [failure.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${origin}/error?code=${failure.code}`,
  };
}

export const aadErrors = {
  missingParameter: (name: string): AadError => ({
    status: 400,
    error: 'invalid_request',
    code: 900144,
    message: `The request body must contain the following parameter: '${name}'.`,
  }),
  unsupportedGrantType: (grantType: string): AadError => ({
    status: 400,
    error: 'unsupported_grant_type',
    code: 70003,
    message: `The app requested an unsupported grant type '${grantType}'.`,
  }),
  noTenant: (): AadError => ({
    status: 400,
    error: 'invalid_request',
    code: 50059,
    message: 'No tenant-identifying information found in either the request or implied by any provided credentials.',
  }),
  tenantNotFound: (tenant: string): AadError => ({
    status: 400,
    error: 'invalid_request',
    code: 90002,
    message: `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
  }),
  unknownClient: (clientId: string, tenant: string): AadError => ({
    status: 400,
    error: 'unauthorized_client',
    code: 700016,
    message:
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been ` +
      'installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.',
  }),
  consentRequired: (clientId: string, appName: string): AadError => ({
    status: 400,
    error: 'invalid_grant',
    code: 65001,
    message:
      `The user or administrator has not consented to use the application with ID '${clientId}' named '${appName}'. ` +
      'Send an interactive authorization request for this user and resource.',
  }),
  servicePrincipalMissing: (clientId: string, tenant: string): AadError => ({
    status: 400,
    error: 'invalid_client',
    code: 7000229,
    message: `The client application ${clientId} is missing service principal in the tenant ${tenant}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119`,
  }),
  missingSecret: (): AadError => ({
    status: 401,
    error: 'invalid_client',
    code: 7000218,
    message: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  }),
  invalidSecret: (clientId: string): AadError => ({
    status: 401,
    error: 'invalid_client',
    code: 7000215,
    message:
      'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, ' +
      `for a secret added to app '${clientId}'.`,
  }),
  invalidScope: (scope: string): AadError => ({
    status: 400,
    error: 'invalid_scope',
    code: 1002012,
    message:
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the ` +
      'resource identifier (application ID URI).',
  }),
  unknownResource: (resource: string, tenant: string): AadError => ({
    status: 400,
    error: 'invalid_resource',
    code: 500011,
    message:
      `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been ` +
      'installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.',
  }),
};
