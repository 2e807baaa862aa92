import { createServer, type Server } from 'node:http';
import { forward } from './refusing-proxy.js';

/** One CompleteLifecycleAction request, its form fields as sent. */
export type CompletedAction = Record<string, string>;

export interface LifecycleEndpoint {
  readonly endpoint: string;
  /** The CompleteLifecycleAction requests received so far. */
  completed(): CompletedAction[];
  /** When each of them arrived (Date.now()). */
  completedAt(): number[];
  /** The requests received, once there are at least `count` or `timeoutMs` has passed. */
  waitForCompleted(count: number, timeoutMs?: number): Promise<CompletedAction[]>;
  /** Whether an action waits: when none does, the next requests are answered as AWS answers then. */
  setActionWaiting(waiting: boolean): void;
  close(): void;
}

const XMLNS = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';

/**
 * An Auto Scaling endpoint on loopback for the boot machine: moto has no CompleteLifecycleAction, so
 * this answers that one call as the API Reference documents it (an empty result; a ValidationError
 * "No active Lifecycle Action found ..." when none waits) and records what was sent; every other
 * request goes to the emulator unchanged. What the test checks is the request the instance makes;
 * that AWS accepts it rests on the API Reference, not on this.
 */
export async function lifecycleEndpoint(target: string): Promise<LifecycleEndpoint> {
  const upstream = new URL(target);
  const completed: CompletedAction[] = [];
  const arrivals: number[] = [];
  let waiting = true;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const fields = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
      if (req.method === 'POST' && fields.Action === 'CompleteLifecycleAction') {
        completed.push(fields);
        arrivals.push(Date.now());
        if (waiting) {
          res.writeHead(200, { 'content-type': 'text/xml' });
          res.end(`<CompleteLifecycleActionResponse xmlns="${XMLNS}"><CompleteLifecycleActionResult/><ResponseMetadata><RequestId>boot-${completed.length}</RequestId></ResponseMetadata></CompleteLifecycleActionResponse>`);
        } else {
          res.writeHead(400, { 'content-type': 'text/xml' });
          res.end(
            `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>No active Lifecycle Action found with instance ID ${fields.InstanceId}</Message></Error><RequestId>boot-${completed.length}</RequestId></ErrorResponse>`,
          );
        }
        return;
      }
      forward(upstream, req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    completed: () => [...completed],
    completedAt: () => [...arrivals],
    waitForCompleted: async (count, timeoutMs = 30_000) => {
      for (const deadline = Date.now() + timeoutMs; completed.length < count && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 100));
      return [...completed];
    },
    setActionWaiting: (value) => {
      waiting = value;
    },
    close: () => server.close(),
  };
}
