import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * Helmet's response headers for `options`, worked out once. With no CSP nonces none of them depends
 * on the request, so each response gets a copy of this fixed set instead of running helmet's
 * middlewares per request (which took more time than the rest of a /version request).
 */
export function helmetHeaders(options: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string) => void (headers[name] = String(value)),
    removeHeader: (name: string) => void delete headers[name],
  };
  let finished = false;
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
    finished = true;
  });
  if (!finished || Object.keys(headers).length === 0) throw new Error('helmet did not set its headers synchronously');
  return Object.freeze(headers);
}
