import { describe, expect, test } from '@jest/globals';
import { TerraformVariable, Token } from 'cdktf';
import { ConfigError } from '../../common/config-error.js';
import { Network, type NetworkProps } from '../../constructs/network.js';
import { dataOf, resourcesOf, synthScope } from '../synth.js';

describe('Network, new VPC', () => {
  test('spreads public and private subnets over 2 zones with one NAT gateway by default', () => {
    const out = synthScope((scope) => new Network(scope, 'Network', { mode: 'new' }));
    const subnets = Object.values(resourcesOf(out, 'aws_subnet'));
    expect(subnets).toHaveLength(4);
    expect(subnets.map((subnet) => subnet.cidr_block).sort()).toEqual([
      '${cidrsubnet("10.0.0.0/16", 4, 0)}',
      '${cidrsubnet("10.0.0.0/16", 4, 1)}',
      '${cidrsubnet("10.0.0.0/16", 4, 8)}',
      '${cidrsubnet("10.0.0.0/16", 4, 9)}',
    ]);
    expect(subnets.filter((subnet) => subnet.tags.Tier === 'public').every((subnet) => subnet.map_public_ip_on_launch === false)).toBe(true);
    expect(Object.keys(resourcesOf(out, 'aws_nat_gateway'))).toHaveLength(1);
    expect(Object.keys(resourcesOf(out, 'aws_route_table'))).toHaveLength(3);
  });

  test('can run one NAT gateway per zone over 3 zones', () => {
    const out = synthScope((scope) => new Network(scope, 'Network', { mode: 'new', availabilityZoneCount: 3, natGatewayPerAz: true }));
    expect(Object.keys(resourcesOf(out, 'aws_subnet'))).toHaveLength(6);
    expect(Object.keys(resourcesOf(out, 'aws_nat_gateway'))).toHaveLength(3);
    const privateRoutes = Object.values(resourcesOf(out, 'aws_route')).filter((route) => route.nat_gateway_id);
    expect(new Set(privateRoutes.map((route) => route.nat_gateway_id)).size).toBe(3);
  });

  test('adds an S3 gateway endpoint on the private route tables and locks down the default security group', () => {
    const out = synthScope((scope) => new Network(scope, 'Network', { mode: 'new' }));
    const [endpoint] = Object.values(resourcesOf(out, 'aws_vpc_endpoint'));
    expect(endpoint.vpc_endpoint_type).toBe('Gateway');
    expect(endpoint.route_table_ids).toHaveLength(2);
    expect(endpoint.service_name).toMatch(/^\$\{data\.aws_vpc_endpoint_service\.\w+\.service_name\}$/);
    const [defaultGroup] = Object.values(resourcesOf(out, 'aws_default_security_group'));
    expect(defaultGroup.ingress).toBeUndefined();
    expect(defaultGroup.egress).toBeUndefined();
  });

  test('GIVEN the objects instances read WHEN the S3 endpoint is limited THEN its policy allows reading those and nothing else, instead of the default full access', () => {
    // AWS PrivateLink, "Control access to VPC endpoints using endpoint policies": without a policy
    // the endpoint allows every S3 action on every bucket, in any account, to everything in the subnets.
    const unlimited = synthScope((scope) => new Network(scope, 'Network', { mode: 'new' }));
    expect(Object.values(resourcesOf(unlimited, 'aws_vpc_endpoint'))[0].policy).toBeUndefined();
    const out = synthScope((scope) => new Network(scope, 'Network', { mode: 'new' }).limitS3EndpointTo(['arn:aws:s3:::artifacts/releases/*', 'arn:aws:s3:::artifacts/runtimes/*']));
    const [endpoint] = Object.values(resourcesOf(out, 'aws_vpc_endpoint'));
    expect(endpoint.policy).toMatch(/^\$\{data\.aws_iam_policy_document\.Network_S3EndpointPolicy_\w+\.json\}$/);
    const [document] = Object.values(dataOf(out, 'aws_iam_policy_document'));
    expect(document.statement).toEqual([
      {
        sid: 'ReadArtifactsOnly',
        effect: 'Allow',
        principals: [{ type: '*', identifiers: ['*'] }],
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: ['arn:aws:s3:::artifacts/releases/*', 'arn:aws:s3:::artifacts/runtimes/*'],
      },
    ]);
  });

  test('orders NAT gateways after the internet gateway, and hands out what the load balancer and the fleet wait for', () => {
    let network!: Network;
    const out = synthScope((scope) => {
      network = new Network(scope, 'Network', { mode: 'new' });
    });
    const [gateway] = Object.keys(resourcesOf(out, 'aws_internet_gateway'));
    expect(Object.values(resourcesOf(out, 'aws_nat_gateway')).map((nat) => nat.depends_on)).toEqual([[`aws_internet_gateway.${gateway}`]]);
    expect(network.publicRouting).toHaveLength(1);
    // Two zones: a default route and a subnet association each, and the S3 endpoint.
    expect(network.privateEgress).toHaveLength(5);
  });

  test('gives public subnets IPv6 ranges when dual-stack', () => {
    const out = synthScope((scope) => new Network(scope, 'Network', { mode: 'new', dualStack: true }));
    const [vpc] = Object.values(resourcesOf(out, 'aws_vpc'));
    expect(vpc.assign_generated_ipv6_cidr_block).toBe(true);
    const publicSubnets = Object.values(resourcesOf(out, 'aws_subnet')).filter((subnet) => subnet.tags.Tier === 'public');
    expect(publicSubnets.every((subnet) => typeof subnet.ipv6_cidr_block === 'string')).toBe(true);
    expect(Object.values(resourcesOf(out, 'aws_route')).some((route) => route.destination_ipv6_cidr_block === '::/0')).toBe(true);
  });
});

describe('Network, existing VPC', () => {
  test('creates nothing and passes the ids through', () => {
    let network!: Network;
    const out = synthScope((scope) => {
      network = new Network(scope, 'Network', {
        mode: 'existing',
        vpcId: 'vpc-0123456789abcdef0',
        publicSubnetIds: ['subnet-00000001', 'subnet-00000002'],
        privateSubnetIds: ['subnet-00000003', 'subnet-00000004'],
      });
    });
    expect(out.resource).toBeUndefined();
    expect(network.vpcId).toBe('vpc-0123456789abcdef0');
    expect(network.privateSubnetIds).toEqual(['subnet-00000003', 'subnet-00000004']);
    expect([network.publicRouting, network.privateEgress]).toEqual([[], []]);
  });

  test('leaves an existing network\'s endpoints to their owner', () => {
    const out = synthScope((scope) =>
      new Network(scope, 'Network', { mode: 'existing', vpcId: 'vpc-0123456789abcdef0', publicSubnetIds: ['subnet-00000001', 'subnet-00000002'], privateSubnetIds: ['subnet-00000003', 'subnet-00000004'] }).limitS3EndpointTo([
        'arn:aws:s3:::artifacts/releases/*',
      ]),
    );
    expect([out.resource, dataOf(out, 'aws_iam_policy_document')]).toEqual([undefined, {}]);
  });
});

describe('Network validation', () => {
  test.each<[string, NetworkProps, string]>([
    ['one zone', { mode: 'new', availabilityZoneCount: 1 }, 'availabilityZoneCount (1) must be 2 or 3: the load balancer needs at least 2 availability zones'],
    ['four zones', { mode: 'new', availabilityZoneCount: 4 }, 'availabilityZoneCount (4) must be 2 or 3: the load balancer needs at least 2 availability zones'],
    [
      'one public subnet',
      { mode: 'existing', vpcId: 'vpc-1', publicSubnetIds: ['subnet-1'], privateSubnetIds: ['subnet-2'] },
      'publicSubnetIds lists 1 subnet(s); the load balancer needs at least 2, in different availability zones',
    ],
    [
      'unmatched subnet counts',
      { mode: 'existing', vpcId: 'vpc-1', publicSubnetIds: ['subnet-1', 'subnet-2'], privateSubnetIds: ['subnet-3'] },
      'privateSubnetIds lists 1 subnet(s) but publicSubnetIds lists 2; expected one of each per availability zone',
    ],
  ])('refuses %s', (_case, props, message) => {
    expect(() => synthScope((scope) => new Network(scope, 'Network', props))).toThrow(new ConfigError(`stack/Network: ${message}`));
  });

  test('refuses what it must know at synth time as a Terraform variable, saying why', () => {
    expect(() => synthScope((scope) => new Network(scope, 'Network', { mode: 'new', availabilityZoneCount: new TerraformVariable(scope, 'zones', { type: 'number' }).numberValue }))).toThrow(
      new ConfigError('stack/Network: availabilityZoneCount must be known at synth time, not a Terraform variable: it decides how many subnets, NAT gateways and route tables are made'),
    );
    expect(() =>
      synthScope((scope) => new Network(scope, 'Network', { mode: 'existing', vpcId: 'vpc-1', publicSubnetIds: new TerraformVariable(scope, 'public', { type: 'list(string)' }).listValue, privateSubnetIds: ['subnet-2'] })),
    ).toThrow(new ConfigError('stack/Network: publicSubnetIds must be known at synth time, not a Terraform variable: the network reads each subnet by its id'));
  });

  test('takes private subnets known only at deploy time, and hands them on', () => {
    let privateSubnetIds: string[] = [];
    synthScope((scope) => {
      privateSubnetIds = new Network(scope, 'Network', { mode: 'existing', vpcId: 'vpc-1', publicSubnetIds: ['subnet-1', 'subnet-2'], privateSubnetIds: new TerraformVariable(scope, 'private', { type: 'list(string)' }).listValue }).privateSubnetIds;
    });
    expect(Token.isUnresolved(privateSubnetIds)).toBe(true);
  });
});
