import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** What a default instance id is made of; injected so tests need not depend on the machine. */
export interface InstanceIdSource {
  hostname(): string;
  pid: number;
  random(): string;
}

const MACHINE: InstanceIdSource = { hostname, pid: process.pid, random: () => randomBytes(3).toString('hex') };

/** Allowed in HERALD_INSTANCE_ID: it appears in logs, /healthz and as the owner of leases. */
export const INSTANCE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * `${hostname}-${pid}-${random}`: the random part keeps two processes apart that share a host name and
 * pid (containers restarted with pid 1).
 */
export function defaultInstanceId(source: InstanceIdSource = MACHINE): string {
  const host = source.hostname().replace(/[^A-Za-z0-9._:-]/g, '_').slice(0, 100) || 'host';
  return `${host}-${source.pid}-${source.random()}`;
}
