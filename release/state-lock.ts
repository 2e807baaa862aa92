// Terraform's S3 lock file (`<state key>.tflock`), read so that a lock left by a killed deploy is
// reported plainly before cdktf runs, with the one command that clears it.

/** What Terraform writes into the lock file (its LockInfo). */
export interface LockInfo {
  readonly id: string;
  readonly operation: string;
  readonly who: string;
  readonly created: string;
  readonly version: string;
}

export function parseLockInfo(text: string): LockInfo {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`the state lock file is not Terraform's lock info: ${text.slice(0, 200)}`);
  }
  const field = (name: string) => (typeof raw[name] === 'string' ? (raw[name] as string) : '(unknown)');
  return { id: field('ID'), operation: field('Operation').replace(/^OperationType/, '').toLowerCase(), who: field('Who'), created: field('Created'), version: field('Version') };
}

/** The message: who holds the lock, since when, and the exact command that clears it. */
export function describeLock(lock: LockInfo, statePath: string, environment: string): string {
  return [
    `The state ${statePath} is locked: a terraform ${lock.operation} by ${lock.who} (Terraform ${lock.version}) holds it since ${lock.created} (lock ID ${lock.id}).`,
    'If that run is still going, wait for it. If it was killed, nothing will release the lock; clear it with:',
    `  make unlock ENV=${environment} LOCK_ID=${lock.id}`,
    'then run the same command again: Terraform picks up from the state the killed run saved.',
  ].join('\n');
}
