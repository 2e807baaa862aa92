import { describe, expect, test } from '@jest/globals';
import { describeLock, parseLockInfo } from '../../release/state-lock.js';

// What Terraform 1.11 writes into `<key>.tflock` (its LockInfo, as JSON).
const LOCK_FILE = JSON.stringify({
  ID: '2f1c1a3e-6c5e-2b8f-41a9-0d6c2b1e9f00',
  Operation: 'OperationTypeApply',
  Info: '',
  Who: 'runner@ci-host',
  Version: '1.11.4',
  Created: '2026-11-27T14:02:11.123456Z',
  Path: 'webapp-terraform-state-example/webapp/dev/terraform.tfstate',
});

describe('a state lock left behind', () => {
  test('is described with who, since when, and the command that clears it', () => {
    expect(describeLock(parseLockInfo(LOCK_FILE), 's3://webapp-terraform-state-example/webapp/dev/terraform.tfstate', 'dev')).toBe(
      [
        'The state s3://webapp-terraform-state-example/webapp/dev/terraform.tfstate is locked: a terraform apply by runner@ci-host (Terraform 1.11.4) holds it since 2026-11-27T14:02:11.123456Z (lock ID 2f1c1a3e-6c5e-2b8f-41a9-0d6c2b1e9f00).',
        'If that run is still going, wait for it. If it was killed, nothing will release the lock; clear it with:',
        '  make unlock ENV=dev LOCK_ID=2f1c1a3e-6c5e-2b8f-41a9-0d6c2b1e9f00',
        'then run the same command again: Terraform picks up from the state the killed run saved.',
      ].join('\n'),
    );
  });

  test('a lock file that is not JSON is an error that quotes it', () => {
    expect(() => parseLockInfo('garbage')).toThrow('the state lock file is not Terraform\'s lock info: garbage');
  });

  test('missing fields read as unknown rather than failing', () => {
    expect(parseLockInfo('{"ID":"x"}')).toEqual({ id: 'x', operation: '(unknown)', who: '(unknown)', created: '(unknown)', version: '(unknown)' });
  });
});
