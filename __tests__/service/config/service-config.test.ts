import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { loadServiceConfig, ServiceConfigError } from '../../../service/config/service-config.js';

const defaults = { releaseDir: '/opt/webapp/current' };
const aFile = join(mkdtempSync(join(tmpdir(), 'svc-config-')), 'file');
writeFileSync(aFile, '');

describe('loadServiceConfig', () => {
  test('applies the defaults to an empty environment', () => {
    expect(loadServiceConfig({}, defaults)).toEqual({
      port: 3000,
      host: '127.0.0.1',
      releaseDir: '/opt/webapp/current',
      shutdownTimeoutMs: 10_000,
      drainDelayMs: 1_500,
      keepAliveTimeoutMs: 75_000,
      instanceIdentity: null,
      imdsEnabled: true,
      imdsEndpoint: 'http://169.254.169.254',
      imdsTimeoutMs: 500,
      logLevel: 'log',
      accessLog: true,
      httpPlatform: 'express',
    });
  });

  test('reads every variable', () => {
    const config = loadServiceConfig(
      {
        PORT: '8080',
        HOST: '::1',
        RELEASE_DIR: tmpdir(),
        SHUTDOWN_TIMEOUT_MS: '2500',
        DRAIN_DELAY_MS: '0',
        KEEP_ALIVE_TIMEOUT_MS: '5000',
        INSTANCE_ID: 'i-0123456789abcdef0',
        AVAILABILITY_ZONE: 'eu-west-1b',
        IMDS_ENABLED: 'false',
        IMDS_ENDPOINT: 'http://127.0.0.1:1338/',
        IMDS_TIMEOUT_MS: '50',
        LOG_LEVEL: 'debug',
        ACCESS_LOG: 'false',
        HTTP_PLATFORM: 'fastify',
      },
      defaults,
    );
    expect(config).toEqual({
      port: 8080,
      host: '::1',
      releaseDir: tmpdir(),
      shutdownTimeoutMs: 2500,
      drainDelayMs: 0,
      keepAliveTimeoutMs: 5000,
      instanceIdentity: { instanceId: 'i-0123456789abcdef0', availabilityZone: 'eu-west-1b' },
      imdsEnabled: false,
      imdsEndpoint: 'http://127.0.0.1:1338',
      imdsTimeoutMs: 50,
      logLevel: 'debug',
      accessLog: false,
      httpPlatform: 'fastify',
    });
  });

  test.each([
    ['PORT', 'http', 'PORT="http": must be a whole number between 0 and 65535'],
    ['PORT', '65536', 'PORT="65536": must be a whole number between 0 and 65535'],
    ['PORT', '-1', 'PORT="-1": must be a whole number between 0 and 65535'],
    ['PORT', '', 'PORT="": must be a whole number between 0 and 65535'],
    ['HOST', 'not a host!', 'HOST="not a host!": must be an IP address or a host name'],
    ['RELEASE_DIR', '/does/not/exist', 'RELEASE_DIR="/does/not/exist": must be an existing directory'],
    ['RELEASE_DIR', aFile, `RELEASE_DIR="${aFile}": must be an existing directory`],
    ['SHUTDOWN_TIMEOUT_MS', '0', 'SHUTDOWN_TIMEOUT_MS="0": must be a whole number between 1 and 600000'],
    ['SHUTDOWN_TIMEOUT_MS', '1.5', 'SHUTDOWN_TIMEOUT_MS="1.5": must be a whole number between 1 and 600000'],
    ['DRAIN_DELAY_MS', '60001', 'DRAIN_DELAY_MS="60001": must be a whole number between 0 and 60000'],
    ['KEEP_ALIVE_TIMEOUT_MS', '999', 'KEEP_ALIVE_TIMEOUT_MS="999": must be a whole number between 1000 and 3600000'],
    ['INSTANCE_ID', 'web-1', 'INSTANCE_ID="web-1": must be an EC2 instance id such as i-0123456789abcdef0'],
    ['AVAILABILITY_ZONE', 'eu-west-1', 'AVAILABILITY_ZONE="eu-west-1": must be an availability zone such as eu-west-1a'],
    ['IMDS_ENABLED', 'yes', 'IMDS_ENABLED="yes": must be "true" or "false"'],
    ['IMDS_ENDPOINT', 'ftp://x', 'IMDS_ENDPOINT="ftp://x": must be an http:// or https:// URL'],
    ['IMDS_TIMEOUT_MS', '10001', 'IMDS_TIMEOUT_MS="10001": must be a whole number between 1 and 10000'],
    ['ACCESS_LOG', 'off', 'ACCESS_LOG="off": must be "true" or "false"'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL="loud": must be one of error, warn, log, debug, verbose'],
  ])('refuses %s=%j', (name, value, message) => {
    const load = () => loadServiceConfig({ [name]: value }, defaults);
    expect(load).toThrow(ServiceConfigError);
    expect(load).toThrow(`invalid service configuration: ${message}`);
  });

  test('refuses an instance id without its zone, or a zone without the id, naming the missing one', () => {
    expect(() => loadServiceConfig({ INSTANCE_ID: 'i-0123456789abcdef0' }, defaults)).toThrow(
      'invalid service configuration: AVAILABILITY_ZONE=undefined: must be set with INSTANCE_ID, or neither',
    );
    expect(() => loadServiceConfig({ AVAILABILITY_ZONE: 'eu-west-1a' }, defaults)).toThrow('INSTANCE_ID=undefined: must be set with AVAILABILITY_ZONE, or neither');
  });

  test('names every bad variable at once', () => {
    expect(() => loadServiceConfig({ PORT: 'x', LOG_LEVEL: 'loud' }, defaults)).toThrow(
      'invalid service configuration: PORT="x": must be a whole number between 0 and 65535; LOG_LEVEL="loud": must be one of error, warn, log, debug, verbose',
    );
  });
});
