/** Small measuring tools shared by the benchmarks: the RSA floor, percentiles, CPU pinning. */
import { execFile } from 'node:child_process';
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { nearestRank } from '../../src/metrics/nearestRank.js';

/**
 * RSA-2048 OAEP (SHA-1) private decryptions of a 32-byte key per second on one core of this machine, in
 * this process: the step every encrypted notification needs exactly once, so the floor of the whole path.
 */
export function rsaFloorPerSecond(durationMs = 2_000): number {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const wrapped = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, randomBytes(32));
  const once = () => privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, wrapped);
  for (let i = 0; i < 200; i++) once();
  let runs = 0;
  const started = performance.now();
  while (performance.now() - started < durationMs) {
    once();
    runs++;
  }
  return runs / ((performance.now() - started) / 1000);
}

export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export function percentiles(samples: readonly number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  return { count: sorted.length, p50: nearestRank(sorted, 0.5) ?? Number.NaN, p99: nearestRank(sorted, 0.99) ?? Number.NaN, max: sorted.at(-1) ?? Number.NaN };
}

/** Restricts every thread of a running process (workers included) to these CPUs (`taskset -a -p -c`). */
export async function pinProcess(pid: number, cpus: string): Promise<void> {
  await promisify(execFile)('taskset', ['-a', '-p', '-c', cpus, String(pid)]);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
