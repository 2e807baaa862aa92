// Load through HTTP with autocannon (npm), for the fault and release-switch tests.
import autocannon from 'autocannon';

export interface LoadResult {
  readonly requests: number;
  /** Every request that did not end in a 2xx: errors, timeouts and non-2xx answers. */
  readonly failed: number;
  readonly non2xx: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** Count per status code, e.g. { '200': 5000, '502': 3 }, and per error kind. */
  readonly statuses: Readonly<Record<string, number>>;
}

export interface RunningLoad {
  /** Stops the load (if it still runs) and resolves with its figures. */
  stop(): Promise<LoadResult>;
}

/**
 * Starts `connections` keep-alive clients on `url`, for at most `maxSeconds`; as fast as they can,
 * or at `requestsPerSecond` in all.
 */
export function startLoad(url: string, connections: number, maxSeconds: number, requestsPerSecond?: number): RunningLoad {
  let instance: autocannon.Instance | undefined;
  const done = new Promise<LoadResult>((resolve, reject) => {
    const rate = requestsPerSecond === undefined ? {} : { overallRate: requestsPerSecond };
    instance = autocannon({ url, connections, duration: maxSeconds, timeout: 5, ...rate }, (error, result) => {
      if (error) return reject(error);
      resolve({
        requests: result.requests.total,
        failed: result.errors + result.timeouts + result.non2xx,
        non2xx: result.non2xx,
        rps: Math.round(result.requests.average),
        p50: result.latency.p50,
        p99: result.latency.p99,
        statuses: {
          ...Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count])),
          ...(result.errors > 0 ? { errors: result.errors } : {}),
          ...(result.timeouts > 0 ? { timeouts: result.timeouts } : {}),
        },
      });
    });
  });
  return {
    stop: () => {
      instance?.stop();
      return done;
    },
  };
}
