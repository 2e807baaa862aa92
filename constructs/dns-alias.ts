import { AcmCertificate } from '@cdktf/provider-aws/lib/acm-certificate/index.js';
import { AcmCertificateValidation } from '@cdktf/provider-aws/lib/acm-certificate-validation/index.js';
import { DataAwsRoute53Zone } from '@cdktf/provider-aws/lib/data-aws-route53-zone/index.js';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record/index.js';
import { Construct } from 'constructs';
import { ConfigError } from '../common/config-error.js';
import { known } from './known.js';

export interface DnsAliasProps {
  /** Public hosted zone that holds the name, e.g. `example.com`. */
  readonly hostedZoneName: string;
  /** The site's fixed name: the zone apex or a name inside the zone, e.g. `www.example.com`. */
  readonly domainName: string;
}

/** What an alias record points at. */
export interface AliasTarget {
  readonly loadBalancerDnsName: string;
  readonly loadBalancerZoneId: string;
  readonly dualStack: boolean;
}

/**
 * The site's fixed DNS name: an ACM certificate validated through DNS in the hosted zone, and alias
 * records to the load balancer (added with `aliasTo`, once the load balancer that uses the certificate exists).
 */
export class DnsAlias extends Construct {
  /** The certificate, usable once validated (listeners wait for the validation). */
  readonly certificateArn: string;
  readonly domainName: string;
  private readonly zone: DataAwsRoute53Zone;

  constructor(scope: Construct, id: string, props: DnsAliasProps) {
    super(scope, id);
    const zoneName = props.hostedZoneName.replace(/\.$/, '');
    if (known(props.domainName, props.hostedZoneName) && props.domainName !== zoneName && !props.domainName.endsWith(`.${zoneName}`)) {
      throw new ConfigError(`domainName (${JSON.stringify(props.domainName)}) must be inside hostedZoneName (${JSON.stringify(zoneName)})`, this);
    }
    this.domainName = props.domainName;

    this.zone = new DataAwsRoute53Zone(this, 'Zone', { name: zoneName, privateZone: false });
    const certificate = new AcmCertificate(this, 'Certificate', {
      domainName: props.domainName,
      validationMethod: 'DNS',
      lifecycle: { createBeforeDestroy: true },
    });
    const validationOption = certificate.domainValidationOptions.get(0);
    const validationRecord = new Route53Record(this, 'ValidationRecord', {
      zoneId: this.zone.zoneId,
      name: validationOption.resourceRecordName,
      type: validationOption.resourceRecordType,
      records: [validationOption.resourceRecordValue],
      ttl: 300,
      allowOverwrite: true,
    });
    const validation = new AcmCertificateValidation(this, 'Validation', {
      certificateArn: certificate.arn,
      validationRecordFqdns: [validationRecord.fqdn],
    });
    this.certificateArn = validation.certificateArn;
  }

  /** Points the name at the load balancer: A, and AAAA when it is dual-stack. */
  aliasTo(target: AliasTarget): void {
    const alias = { name: target.loadBalancerDnsName, zoneId: target.loadBalancerZoneId, evaluateTargetHealth: true };
    new Route53Record(this, 'Resource', { zoneId: this.zone.zoneId, name: this.domainName, type: 'A', alias });
    if (target.dualStack) {
      new Route53Record(this, 'AliasAaaa', { zoneId: this.zone.zoneId, name: this.domainName, type: 'AAAA', alias });
    }
  }
}
