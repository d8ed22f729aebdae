/**
 * The endpoint validation handshake Graph runs before creating a subscription (reference §4):
 * POST {url}?validationToken=<url-encoded opaque sentence>, text/plain; the endpoint must answer
 * 200 text/plain with the decoded token within 10 seconds.
 */
import { randomUUID } from 'node:crypto';

export type HandshakeResult = { ok: true; status: number } | { ok: false; status: number | null; message: string };

export const HANDSHAKE_FAILED = 'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.';
export const HANDSHAKE_MISMATCH = 'Subscription validation request failed. Response must exactly match validationToken query parameter.';
export const HANDSHAKE_TIMED_OUT = 'Subscription validation request timed out.';

export function newValidationToken(): string {
  return `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
}

export function withQueryParam(url: string, name: string, value: string): string {
  const hash = url.indexOf('#');
  const base = hash >= 0 ? url.slice(0, hash) : url;
  // encodeURIComponent (spaces as %20), as Graph sends it; the caller's own query string is kept.
  return `${base}${base.includes('?') ? '&' : '?'}${name}=${encodeURIComponent(value)}`;
}

export async function runHandshake(url: string, options: { timeoutMs: number; token?: string }): Promise<HandshakeResult> {
  const token = options.token ?? newValidationToken();
  let response: Response;
  try {
    response = await fetch(withQueryParam(url, 'validationToken', token), {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      body: '',
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    return { ok: false, status: null, message: timedOut ? HANDSHAKE_TIMED_OUT : HANDSHAKE_FAILED };
  }
  let body: string;
  try {
    body = await response.text();
  } catch {
    return { ok: false, status: response.status, message: HANDSHAKE_TIMED_OUT };
  }
  if (response.status !== 200) return { ok: false, status: response.status, message: HANDSHAKE_FAILED };
  const contentType = response.headers.get('content-type') ?? '';
  if (body !== token || !contentType.toLowerCase().startsWith('text/plain')) {
    return { ok: false, status: response.status, message: HANDSHAKE_MISMATCH };
  }
  return { ok: true, status: response.status };
}
