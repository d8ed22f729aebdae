/**
 * A load balancer for tests: each request goes to the next of several upstream base URLs in turn, as
 * Azure App Service's front end spreads requests over instances. An upstream that refuses the
 * connection (a killed instance) is skipped for the next one; with none left the answer is 502.
 * Requests are buffered (tests send small bodies) so a refused one can be sent again elsewhere.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobinProxy {
  url: string;
  /** Requests answered by each upstream, in the order given. */
  counts(): number[];
  stop(): Promise<void>;
}

export async function startRoundRobinProxy(options: { upstreams: string[] }): Promise<RoundRobinProxy> {
  const upstreams = options.upstreams.map((u) => new URL(u));
  const counts = upstreams.map(() => 0);
  let next = 0;

  const forward = (index: number, req: IncomingMessage, body: Buffer): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const target = upstreams[index] as URL;
      const outgoing = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
        resolve,
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const first = next;
      next = (next + 1) % upstreams.length;
      for (let tried = 0; tried < upstreams.length; tried++) {
        const index = (first + tried) % upstreams.length;
        let answer: IncomingMessage;
        try {
          answer = await forward(index, req, body);
        } catch (error) {
          // Refused or reset before an answer: this instance is down, try the next one.
          if (['ECONNREFUSED', 'ECONNRESET'].includes(String((error as NodeJS.ErrnoException).code))) continue;
          res.writeHead(502, { 'Content-Type': 'text/plain' });
          res.end(`proxy: ${(error as Error).message}`);
          return;
        }
        counts[index] = (counts[index] ?? 0) + 1;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        return;
      }
      res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end('proxy: no upstream answered');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => [...counts],
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
