// A model of the load balancer's connections to an instance: the ALB keeps keep-alive connections
// open and idle between requests, and sends the next request on one without knowing whether the
// instance is closing it at that moment (it answers 502 then, and does not retry). A connection the
// instance closes while idle is the hazard; this records whether and when each one was closed.
import { connect, type Socket } from 'node:net';

export interface IdleConnection {
  /** Whether the server closed (or reset) the connection since it opened. */
  readonly closed: boolean;
  /** Sends GET `path` on this connection and reads the whole answer. */
  get(path: string): Promise<{ status: number; body: string }>;
  /** Closes it from this side. */
  close(): void;
}

function openOne(port: number): Promise<IdleConnection> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: '127.0.0.1', port });
    let closed = false;
    let buffer = Buffer.alloc(0);
    let waiting: (() => void) | undefined;
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      waiting?.();
    });
    socket.on('close', () => {
      closed = true;
      waiting?.();
    });
    socket.on('error', () => {
      closed = true;
    });
    socket.once('connect', () => {
      resolve({
        get closed() {
          return closed;
        },
        close: () => socket.destroy(),
        get: (path) =>
          new Promise((answer, fail) => {
            if (closed) {
              fail(new Error('the connection was closed before the request'));
              return;
            }
            buffer = Buffer.alloc(0);
            const check = () => {
              const end = buffer.indexOf('\r\n\r\n');
              if (end >= 0) {
                const head = buffer.subarray(0, end).toString('latin1');
                const length = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1] ?? 0);
                if (buffer.length >= end + 4 + length) {
                  waiting = undefined;
                  answer({ status: Number(head.split(' ')[1]), body: buffer.subarray(end + 4, end + 4 + length).toString('utf8') });
                  return;
                }
              }
              if (closed) {
                waiting = undefined;
                fail(new Error(`the connection closed during the request (${buffer.length} bytes of answer)`));
              }
            };
            waiting = check;
            socket.write(`GET ${path} HTTP/1.1\r\nHost: webapp\r\nUser-Agent: ELB-model\r\n\r\n`);
          }),
      });
    });
    socket.once('error', reject);
  });
}

/** Opens `count` keep-alive connections to `port`, each used once (as the load balancer's are) and then left idle. */
export async function openIdleConnections(port: number, count: number, path: string): Promise<IdleConnection[]> {
  const connections = await Promise.all(Array.from({ length: count }, () => openOne(port)));
  for (const connection of connections) {
    const { status } = await connection.get(path);
    if (status !== 200) throw new Error(`the first request on an idle connection answered ${status}`);
  }
  return connections;
}
