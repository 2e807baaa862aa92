import { describe, expect, test } from '@jest/globals';
import { TerraformVariable } from 'cdktf';
import { ConfigError } from '../../common/config-error.js';
import { LoadBalancer, type LoadBalancerProps, TLS_POLICY } from '../../constructs/load-balancer.js';
import { dataOf, onlyResource, resourcesOf, synthScope } from '../synth.js';

const base: LoadBalancerProps = { name: 'webapp-dev', vpcId: 'vpc-1', publicSubnetIds: ['subnet-1', 'subnet-2'] };
const synth = (props: Partial<LoadBalancerProps> = {}) => synthScope((scope) => new LoadBalancer(scope, 'LoadBalancer', { ...base, ...props }));

describe('LoadBalancer', () => {
  test('is internet-facing over the public subnets, drops invalid headers, mitigates desync defensively', () => {
    expect(onlyResource(synth(), 'aws_lb')).toEqual({
      name: 'webapp-dev',
      load_balancer_type: 'application',
      internal: false,
      subnets: ['subnet-1', 'subnet-2'],
      security_groups: [expect.stringMatching(/^\$\{aws_security_group\.\w+\.id\}$/)],
      ip_address_type: 'ipv4',
      idle_timeout: 60,
      drop_invalid_header_fields: true,
      desync_mitigation_mode: 'defensive',
      enable_deletion_protection: false,
    });
  });

  test('takes exactly 80 and 443 from the world', () => {
    const rules = Object.values(resourcesOf(synth(), 'aws_vpc_security_group_ingress_rule'));
    expect(rules.map(({ from_port, to_port, ip_protocol, cidr_ipv4 }) => ({ from_port, to_port, ip_protocol, cidr_ipv4 }))).toEqual([
      { from_port: 80, to_port: 80, ip_protocol: 'tcp', cidr_ipv4: '0.0.0.0/0' },
      { from_port: 443, to_port: 443, ip_protocol: 'tcp', cidr_ipv4: '0.0.0.0/0' },
    ]);
    expect(resourcesOf(synth(), 'aws_vpc_security_group_egress_rule')).toEqual({});
    expect(Object.values(resourcesOf(synth({ dualStack: true }), 'aws_vpc_security_group_ingress_rule')).filter((rule) => rule.cidr_ipv6 === '::/0')).toHaveLength(2);
  });

  test('health-checks /health on the Apache port tightly and drains for the shutdown bound', () => {
    expect(onlyResource(synth({ deregistrationDelaySeconds: 12 }), 'aws_lb_target_group')).toMatchObject({
      port: 80,
      protocol: 'HTTP',
      target_type: 'instance',
      deregistration_delay: '12',
      health_check: { enabled: true, path: '/health', protocol: 'HTTP', port: 'traffic-port', matcher: '200', interval: 10, timeout: 5, healthy_threshold: 2, unhealthy_threshold: 2 },
      lifecycle: { create_before_destroy: true },
    });
  });

  test('without a certificate, forwards HTTP', () => {
    const listener = onlyResource(synth(), 'aws_lb_listener');
    expect(listener).toMatchObject({ port: 80, protocol: 'HTTP', default_action: [{ type: 'forward' }] });
  });

  test('with a certificate, serves HTTPS with TLS 1.3 and redirects HTTP with a 301', () => {
    const listeners = Object.values(resourcesOf(synth({ certificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/c' }), 'aws_lb_listener')).sort((a, b) => b.port - a.port);
    expect(listeners).toEqual([
      expect.objectContaining({ port: 443, protocol: 'HTTPS', ssl_policy: TLS_POLICY, certificate_arn: 'arn:aws:acm:eu-west-1:111111111111:certificate/c', default_action: [expect.objectContaining({ type: 'forward' })] }),
      expect.objectContaining({ port: 80, protocol: 'HTTP', default_action: [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', status_code: 'HTTP_301' } }] }),
    ]);
    expect(TLS_POLICY).toBe('ELBSecurityPolicy-TLS13-1-2-2021-06');
  });

  test('with access logs, writes them to a bucket that only the log delivery service may write to, once its policy is in place', () => {
    const out = synth({ accessLogs: true, accessLogRetentionDays: 30, deletionProtection: true });
    const lb = onlyResource(out, 'aws_lb');
    expect(lb.enable_deletion_protection).toBe(true);
    expect(lb.access_logs).toEqual({ bucket: expect.stringMatching(/^\$\{aws_s3_bucket\.\w+\.bucket\}$/), enabled: true });
    const [document] = Object.values(dataOf(out, 'aws_iam_policy_document'));
    expect(document.statement[1]).toEqual({
      sid: 'AllowLoadBalancerLogDelivery',
      effect: 'Allow',
      principals: [{ type: 'Service', identifiers: ['logdelivery.elasticloadbalancing.amazonaws.com'] }],
      actions: ['s3:PutObject'],
      resources: [expect.stringMatching(/^\$\{aws_s3_bucket\.\w+\.arn\}\/AWSLogs\/\$\{data\.aws_caller_identity\.\w+\.account_id\}\/\*$/)],
    });
    // AND the service is refused for another account's load balancer whenever it says which account asks
    expect(document.statement[2]).toEqual({
      sid: 'DenyLogDeliveryForOtherAccounts',
      effect: 'Deny',
      principals: [{ type: 'Service', identifiers: ['logdelivery.elasticloadbalancing.amazonaws.com'] }],
      actions: ['s3:PutObject'],
      resources: [expect.stringMatching(/^\$\{aws_s3_bucket\.\w+\.arn\}\/\*$/)],
      condition: [
        { test: 'Null', variable: 'aws:SourceAccount', values: ['false'] },
        { test: 'StringNotEquals', variable: 'aws:SourceAccount', values: [expect.stringMatching(/^\$\{data\.aws_caller_identity\.\w+\.account_id\}$/)] },
      ],
    });
    expect(document.statement).toHaveLength(3);
    expect(onlyResource(out, 'aws_s3_bucket_lifecycle_configuration').rule[0].expiration).toEqual([{ days: 30 }]);
    expect(lb.depends_on).toEqual([expect.stringMatching(/^aws_s3_bucket_policy\.\w+$/)]);
  });

  test('keeps its access logs with SSE-S3, the only default encryption ELB log delivery can write to (ELB User Guide, access logs, bucket requirements)', () => {
    expect(onlyResource(synth({ accessLogs: true }), 'aws_s3_bucket_server_side_encryption_configuration').rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' }, bucket_key_enabled: false },
    ]);
  });

  test('destroys its access logs with the stack, unless told to keep them until their retention ends (production)', () => {
    expect(onlyResource(synth({ accessLogs: true }), 'aws_s3_bucket').force_destroy).toBe(true);
    expect(onlyResource(synth({ accessLogs: true, keepAccessLogs: true }), 'aws_s3_bucket').force_destroy).toBe(false);
  });

  test('owns the rule that lets it reach its targets: the target port, to the targets\' security group only', () => {
    const out = synthScope((scope) => new LoadBalancer(scope, 'LoadBalancer', base).allowTrafficTo('sg-fleet'));
    expect(Object.values(resourcesOf(out, 'aws_vpc_security_group_egress_rule'))).toEqual([
      {
        security_group_id: expect.stringMatching(/^\$\{aws_security_group\.LoadBalancer_SecurityGroup_\w+\.id\}$/),
        description: 'Load balancer to the fleet port only',
        ip_protocol: 'tcp',
        from_port: 80,
        to_port: 80,
        referenced_security_group_id: 'sg-fleet',
      },
    ]);
  });

  test.each<[string, Partial<LoadBalancerProps>, string]>([
    ['a long name', { name: 'a'.repeat(33) }, `name ("${'a'.repeat(33)}") must be 1-32 letters, digits and hyphens, not starting or ending with a hyphen`],
    ['a reserved name', { name: 'internal-app' }, 'name ("internal-app") must not begin with "internal-" (Elastic Load Balancing reserves it)'],
    ['one subnet', { publicSubnetIds: ['subnet-1'] }, 'publicSubnetIds lists 1 subnet(s); an Application Load Balancer needs at least 2, in different availability zones'],
    ['a zero idle timeout', { idleTimeoutSeconds: 0 }, 'idleTimeoutSeconds (0) must be between 1 and 4000'],
    ['a fast health check', { healthCheckIntervalSeconds: 2 }, 'healthCheckIntervalSeconds (2) must be between 5 and 300'],
    ['a negative drain', { deregistrationDelaySeconds: -1 }, 'deregistrationDelaySeconds (-1) must be between 0 and 3600'],
  ])('refuses %s', (_case, props, message) => {
    expect(() => synth(props)).toThrow(new ConfigError(`stack/LoadBalancer: ${message}`));
  });

  test('skips what is known only at deploy time (Terraform variables) and passes it through', () => {
    const out = synthScope((scope) => {
      const deployTime = (name: string) => new TerraformVariable(scope, name, { type: 'number' }).numberValue;
      new LoadBalancer(scope, 'LoadBalancer', {
        ...base,
        name: new TerraformVariable(scope, 'name', { type: 'string' }).stringValue,
        publicSubnetIds: new TerraformVariable(scope, 'subnets', { type: 'list(string)' }).listValue,
        idleTimeoutSeconds: deployTime('idle'),
        healthCheckIntervalSeconds: deployTime('interval'),
        deregistrationDelaySeconds: deployTime('drain'),
      });
    });
    const lb = onlyResource(out, 'aws_lb');
    expect([lb.name, lb.subnets, lb.idle_timeout]).toEqual(['${var.name}', '${var.subnets}', '${var.idle}']);
    const group = onlyResource(out, 'aws_lb_target_group');
    expect([group.health_check.interval, group.deregistration_delay]).toEqual(['${var.interval}', '${var.drain}']);
    expect(JSON.stringify(out)).not.toMatch(/e\+\d{3}/);
  });
});
