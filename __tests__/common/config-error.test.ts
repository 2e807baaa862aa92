import { describe, expect, test } from '@jest/globals';
import { App, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { ConfigError } from '../../common/config-error.js';
import { WebServerFleet } from '../../constructs/web-server-fleet.js';

describe('ConfigError', () => {
  test('raised by a construct, names which stack and which construct refused its props', () => {
    const stack = new TerraformStack(new App({ outdir: '/tmp/unused' }), 'webapp-dev');
    const error = new ConfigError('minCapacity (3) must not exceed maxCapacity (2)', new Construct(new Construct(stack, 'Web'), 'Fleet'));
    expect(error.message).toBe('webapp-dev/Web/Fleet: minCapacity (3) must not exceed maxCapacity (2)');
    expect(error.constructPath).toBe('webapp-dev/Web/Fleet');
    expect(error.name).toBe('ConfigError');
  });

  test('raised outside any construct (the configuration files, the environment), says only what is wrong', () => {
    const error = new ConfigError('LOCAL_AWS_ENDPOINT = "x": must be an http URL on loopback');
    expect([error.message, error.constructPath]).toEqual(['LOCAL_AWS_ENDPOINT = "x": must be an http URL on loopback', undefined]);
  });

  test('a construct in a stack of the app raises it with that stack in the path', () => {
    const stack = new TerraformStack(new App({ outdir: '/tmp/unused' }), 'webapp-prod');
    expect(() =>
      new WebServerFleet(stack, 'Fleet', {
        name: 'webapp-prod',
        vpcId: 'vpc-1',
        privateSubnetIds: ['subnet-1', 'subnet-2'],
        loadBalancer: { securityGroupId: 'sg-1', targetGroupArn: 'arn:tg', targetPort: 80, loadBalancerArnSuffix: 'app/lb/1', targetGroupArnSuffix: 'targetgroup/tg/2', allowTrafficTo: () => undefined },
        instanceType: 't3.small',
        minCapacity: 3,
        maxCapacity: 2,
        artifactBucketArn: 'arn:aws:s3:::artifacts',
        userData: '#cloud-config\n',
      }),
    ).toThrow(new ConfigError('webapp-prod/Fleet: minCapacity (3) must not exceed maxCapacity (2)'));
  });
});
