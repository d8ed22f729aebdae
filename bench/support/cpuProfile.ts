/**
 * `node --cpu-prof` output (.cpuprofile, V8's JSON: a call tree of nodes, samples and the time between
 * them) summed by function: self time, the time a function itself was on the CPU, not its callees.
 */
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

const ROOT = new URL('../../', import.meta.url).pathname;

function label(frame: ProfileNode['callFrame']): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  const path = frame.url.startsWith('file://') ? relative(ROOT, new URL(frame.url).pathname) : frame.url;
  return `${name} ${path}:${frame.lineNumber + 1}`;
}

export function selfTimes(profile: CpuProfile): { totalMs: number; top: SelfTime[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, label(n.callFrame)]));
  const totals = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    // The delta before sample i is the time up to it; V8's own tools attribute it to that sample.
    const us = profile.timeDeltas[i] ?? 0;
    totalUs += us;
    const name = byId.get(id) ?? '?';
    totals.set(name, (totals.get(name) ?? 0) + us);
  });
  const top = [...totals]
    .map(([name, us]) => ({ name, ms: us / 1000, share: totalUs ? us / totalUs : 0 }))
    .sort((a, b) => b.ms - a.ms);
  return { totalMs: totalUs / 1000, top };
}

/** The top self-time functions of every profile in `dir` (the main thread and each worker write one). */
export async function summariseProfiles(dir: string, count = 15): Promise<string> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.cpuprofile')).sort();
  if (files.length === 0) return `no CPU profile in ${dir}`;
  // BENCH_CPU_PROF_KEEP=<folder>: the profiles are copied there, to open in Chrome's DevTools.
  const keep = process.env.BENCH_CPU_PROF_KEEP;
  if (keep) {
    await mkdir(keep, { recursive: true });
    await Promise.all(files.map((file) => copyFile(join(dir, file), join(keep, file))));
  }
  const parts: string[] = [];
  const summaries = await Promise.all(files.map(async (file) => ({ file, ...selfTimes(JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile) })));
  // The main thread first (most samples), then workers.
  summaries.sort((a, b) => b.totalMs - a.totalMs);
  for (const s of summaries) {
    parts.push(`${s.file} (${(s.totalMs / 1000).toFixed(1)} s sampled), top self time:`);
    for (const t of s.top.slice(0, count)) parts.push(`  ${(t.share * 100).toFixed(1).padStart(5)}%  ${t.ms.toFixed(0).padStart(7)} ms  ${t.name}`);
  }
  return parts.join('\n');
}
