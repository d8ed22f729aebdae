import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * One Prometheus registry per Herald (not prom-client's global one, so two Herald apps in one process,
 * as in tests, never share counters), with Node's default process metrics: CPU, memory, event-loop lag,
 * handles, GC.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
