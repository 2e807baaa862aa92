import { describe, expect, test } from '@jest/globals';
import { ConfigError } from '../../common/config-error.js';
import { DnsAlias } from '../../constructs/dns-alias.js';
import { dataOf, onlyResource, resourcesOf, synthScope } from '../synth.js';

describe('DnsAlias', () => {
  const synth = (dualStack: boolean) =>
    synthScope((scope) => {
      const dns = new DnsAlias(scope, 'Dns', { hostedZoneName: 'example.com', domainName: 'www.example.com' });
      dns.aliasTo({ loadBalancerDnsName: 'lb.example.aws', loadBalancerZoneId: 'Z123', dualStack });
    });

  test('validates an ACM certificate through DNS in the hosted zone', () => {
    const out = synth(false);
    expect(Object.values(dataOf(out, 'aws_route53_zone'))).toEqual([{ name: 'example.com', private_zone: false }]);
    expect(onlyResource(out, 'aws_acm_certificate')).toEqual({ domain_name: 'www.example.com', validation_method: 'DNS', lifecycle: { create_before_destroy: true } });
    expect(onlyResource(out, 'aws_acm_certificate_validation').validation_record_fqdns).toEqual([expect.stringMatching(/aws_route53_record\.\w+\.fqdn/)]);
  });

  test('aliases A to the load balancer, evaluating target health', () => {
    const records = Object.values(resourcesOf(synth(false), 'aws_route53_record')).filter((record) => record.alias);
    expect(records).toEqual([
      { zone_id: expect.stringMatching(/data\.aws_route53_zone/), name: 'www.example.com', type: 'A', alias: { name: 'lb.example.aws', zone_id: 'Z123', evaluate_target_health: true } },
    ]);
  });

  test('adds AAAA when dual-stack', () => {
    const types = Object.values(resourcesOf(synth(true), 'aws_route53_record')).filter((record) => record.alias).map((record) => record.type);
    expect(types).toEqual(['A', 'AAAA']);
  });

  test('refuses a name outside the hosted zone', () => {
    expect(() => synthScope((scope) => new DnsAlias(scope, 'Dns', { hostedZoneName: 'example.com', domainName: 'www.example.org' }))).toThrow(
      new ConfigError('stack/Dns: domainName ("www.example.org") must be inside hostedZoneName ("example.com")'),
    );
    expect(() => synthScope((scope) => new DnsAlias(scope, 'Dns', { hostedZoneName: 'example.com', domainName: 'badexample.com' }))).toThrow(ConfigError);
  });
});
