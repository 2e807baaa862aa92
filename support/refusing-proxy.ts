import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';

export interface RefusingProxy {
  readonly endpoint: string;
  /** Requests refused so far. */
  refused(): number;
  close(): void;
}

/**
 * A loopback HTTP proxy in front of the emulator that answers the first `refusals` GETs of a path
 * containing `pathPart` as S3 does while IAM has not caught up with a new policy (403 AccessDenied,
 * which the AWS CLI does not retry), and forwards everything else unchanged.
 */
export async function refusingProxy(target: string, pathPart: string, refusals: number): Promise<RefusingProxy> {
  const upstream = new URL(target);
  let refused = 0;
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.includes(pathPart) && refused < refusals) {
      refused++;
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
      return;
    }
    forward(upstream, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { endpoint: `http://127.0.0.1:${port}`, refused: () => refused, close: () => server.close() };
}

/** Passes a request on to `upstream` unchanged and its answer back; `body` when the request's was already read. */
export function forward(upstream: URL, req: IncomingMessage, res: ServerResponse, body?: Buffer): void {
  const forwarded = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  forwarded.on('error', () => res.destroy());
  if (body) forwarded.end(body);
  else req.pipe(forwarded);
}
