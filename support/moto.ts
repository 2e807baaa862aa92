import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './apache-site.js';

export const MOTO_SERVER = join(import.meta.dirname, '..', '.venv', 'bin', 'moto_server');
export const FAKE_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
/** moto's settings in local mode, as scripts/stack.sh starts it: ACM certificates issued at once. */
export const LOCAL_MODE_MOTO_ENV = { MOTO_ACM_VALIDATION_WAIT: '0' };

export interface Moto {
  readonly endpoint: string;
  readonly process: ChildProcess;
  stop(): void;
}

/** Starts moto's server mode (the local AWS endpoint) on a free loopback port; fails loudly without it. */
export async function startMoto(env: NodeJS.ProcessEnv = {}): Promise<Moto> {
  if (!existsSync(MOTO_SERVER)) throw new Error(`moto is not installed at ${MOTO_SERVER}; run scripts/setup-venv.sh (make venv)`);
  const port = await freePort();
  const child = spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(port)], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const endpoint = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}: ${stderr}`);
    if (await fetch(`${endpoint}/moto-api/`).then((res) => res.ok, () => false)) {
      return { endpoint, process: child, stop: () => child.kill('SIGKILL') };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`moto_server did not answer on ${endpoint}: ${stderr}`);
}
