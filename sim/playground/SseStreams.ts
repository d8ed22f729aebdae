/**
 * Server-sent event streams to the open playground pages. Streams must be ended before Herald's server
 * closes: `server.close()` waits for open connections, and an event stream never ends by itself.
 */
import type { ServerResponse } from 'node:http';

export interface SseStreamsOptions {
  /** Comment lines keep proxies and browsers from timing the stream out (default 15 s). */
  heartbeatMs?: number;
}

export class SseStreams {
  private readonly open = new Set<ServerResponse>();
  private readonly heartbeat: ReturnType<typeof setInterval>;
  private closed = false;

  constructor(options: SseStreamsOptions = {}) {
    this.heartbeat = setInterval(() => this.writeAll(': keep-alive\n\n'), options.heartbeatMs ?? 15_000);
    this.heartbeat.unref?.();
  }

  get size(): number {
    return this.open.size;
  }

  /** Starts an event stream on `res`; `first` events are written before any broadcast reaches it. */
  accept(res: ServerResponse, first: Array<{ event: string; data: unknown }>, onClose: () => void = () => undefined): void {
    if (this.closed) {
      res.statusCode = 503;
      res.end();
      return;
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    // Reconnect quickly after a restart of `npm start`.
    res.write('retry: 1500\n\n');
    for (const { event, data } of first) res.write(frame(event, data));
    this.open.add(res);
    res.on('close', () => {
      this.open.delete(res);
      onClose();
    });
  }

  broadcast(event: string, data: unknown): void {
    if (this.open.size > 0) this.writeAll(frame(event, data));
  }

  /** Ends every stream (and refuses new ones). */
  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const res of [...this.open]) res.end();
    this.open.clear();
  }

  private writeAll(text: string): void {
    for (const res of this.open) res.write(text);
  }
}

function frame(event: string, data: unknown): string {
  // JSON has no raw newlines, so one `data:` line carries the whole event.
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
