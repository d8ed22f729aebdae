/** Microsoft Graph's error JSON: `{ error: { code, message, innerError: { date, request-id, client-request-id } } }`. */

export interface GraphErrorBody {
  error: {
    code: string;
    message: string;
    innerError: { date: string; 'request-id': string; 'client-request-id': string };
  };
}

export class GraphHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GraphHttpError';
  }
}

export function graphErrorBody(code: string, message: string, now: Date, requestId: string, clientRequestId: string): GraphErrorBody {
  // Graph prints innerError.date without fractional seconds or zone: "2024-05-01T10:11:12".
  return { error: { code, message, innerError: { date: now.toISOString().slice(0, 19), 'request-id': requestId, 'client-request-id': clientRequestId } } };
}

/**
 * Errors from the Teams workload behind /subscriptions come wrapped like this in real traffic
 * ("Operation: Create; Exception: [Status Code: Forbidden; Reason: …]", seen in Graph docs issue threads).
 */
export function teamsSubscriptionError(status: number, operation: 'Create' | 'Update' | 'Reauthorize', reason: string): GraphHttpError {
  const statusName: Record<number, string> = { 400: 'BadRequest', 402: 'PaymentRequired', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict' };
  return new GraphHttpError(status, 'ExtensionError', `Operation: ${operation}; Exception: [Status Code: ${statusName[status] ?? String(status)}; Reason: ${reason}]`);
}

export const graphErrors = {
  badRequest: (message: string) => new GraphHttpError(400, 'InvalidRequest', message),
  notFound: (message: string) => new GraphHttpError(404, 'NotFound', message),
  itemNotFound: (message: string) => new GraphHttpError(404, 'itemNotFound', message),
  forbidden: (message: string) => new GraphHttpError(403, 'Forbidden', message),
  unauthorized: (message: string) => new GraphHttpError(401, 'InvalidAuthenticationToken', message),
  /** Missing permission text in the form Graph's Teams APIs use. */
  missingRoles: (required: readonly string[], roles: readonly string[], rscGrants: readonly string[]) =>
    `Missing role permissions on the request. API requires one of '${required.join(', ')}'. Roles on the request '${roles.join(', ')}'. ` +
    `Resource specific consent grants on the request '${rscGrants.join(', ')}'.`,
};
