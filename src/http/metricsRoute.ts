import type { Registry } from 'prom-client';
import type { Request, Response, Server } from 'restify';

/** `GET /metrics`: the registry in Prometheus text exposition format. */
export function registerMetricsRoute(server: Server, registry: Registry): void {
  server.get('/metrics', async (_req: Request, res: Response) => {
    res.sendRaw(200, await registry.metrics(), { 'Content-Type': registry.contentType });
  });
}
