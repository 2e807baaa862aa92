import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity/index.js';
import { Lb } from '@cdktf/provider-aws/lib/lb/index.js';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener/index.js';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import { type IResolvable, type ITerraformDependable } from 'cdktf';
import { Construct, type IConstruct } from 'constructs';
import { loadBalancerNameProblem } from '../common/aws-names.js';
import { ConfigError } from '../common/config-error.js';
import { accessLogBucketPrefix } from '../common/name-prefixes.js';
import { APACHE_PORT, DEFAULTS, HEALTH_PATH } from '../constants.js';
import { known } from './known.js';
import { PrivateBucket } from './private-bucket.js';

/** TLS 1.3 with TLS 1.2 fallback, AWS's recommended policy for HTTPS listeners. */
export const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

export interface LoadBalancerProps {
  /** Name of the load balancer, at most 32 characters, unique in the account and region. */
  readonly name: string;
  readonly vpcId: string;
  /** Public subnets, at least 2, in different availability zones. */
  readonly publicSubnetIds: string[];
  /** What must exist before the subnets route to the internet (the internet gateway). @default - nothing */
  readonly publicRouting?: ITerraformDependable[];
  /** Port the instances (Apache) listen on. @default APACHE_PORT (80) */
  readonly targetPort?: number;
  /** Seconds an idle client connection is kept; must stay below Apache's KeepAliveTimeout. @default - DEFAULTS.loadBalancer.idleTimeoutSeconds (constants.ts) */
  readonly idleTimeoutSeconds?: number;
  /** Refuse deletion through the API (a Terraform variable's value works too). @default false */
  readonly deletionProtection?: boolean | IResolvable;
  /** Write access logs to a bucket made for them. @default false */
  readonly accessLogs?: boolean;
  /** Days access logs are kept. @default - DEFAULTS.loadBalancer.accessLogRetentionDays (constants.ts) */
  readonly accessLogRetentionDays?: number;
  /**
   * Keep the access logs when the stack is destroyed, until their retention ends (the bucket refuses
   * destroy while it holds logs; `make delete_stack` leaves it behind): production's audit trail.
   * Without it the logs go with the stack. @default false
   */
  readonly keepAccessLogs?: boolean;
  /** See PrivateBucketProps.denyInsecureTransport, for the log bucket; off only for the local emulator. @default true */
  readonly denyInsecureTransport?: boolean;
  /** ACM certificate; with one, HTTPS on 443 and HTTP redirects to it. @default - HTTP only */
  readonly certificateArn?: string;
  /** Also listen on IPv6 (the public subnets need IPv6 ranges). @default false */
  readonly dualStack?: boolean;
  /** Seconds between health checks. @default 10 */
  readonly healthCheckIntervalSeconds?: number;
  /** Seconds the load balancer lets in-flight requests finish on a leaving instance; match the service's shutdown bound. @default 10 */
  readonly deregistrationDelaySeconds?: number;
}

/** The internet-facing Application Load Balancer, its target group and its listeners. */
export class LoadBalancer extends Construct {
  readonly loadBalancerArn: string;
  readonly loadBalancerArnSuffix: string;
  readonly loadBalancerDnsName: string;
  readonly loadBalancerZoneId: string;
  readonly securityGroupId: string;
  readonly targetGroupArn: string;
  readonly targetGroupArnSuffix: string;
  /** Where users reach the site through the load balancer's own name. */
  readonly url: string;
  readonly targetPort: number;
  readonly dualStack: boolean;

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id);
    const idleTimeoutSeconds = props.idleTimeoutSeconds ?? DEFAULTS.loadBalancer.idleTimeoutSeconds;
    const healthCheckIntervalSeconds = props.healthCheckIntervalSeconds ?? 10;
    const deregistrationDelaySeconds = props.deregistrationDelaySeconds ?? 10;
    validate(this, props, { idleTimeoutSeconds, healthCheckIntervalSeconds, deregistrationDelaySeconds });
    this.targetPort = props.targetPort ?? APACHE_PORT;
    this.dualStack = props.dualStack ?? DEFAULTS.dns.dualStack;

    const securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      namePrefix: `${props.name}-alb-`,
      description: 'Internet-facing load balancer: HTTP and HTTPS in, the fleet port out',
      vpcId: props.vpcId,
      lifecycle: { createBeforeDestroy: true },
    });
    // Rules as their own resources; the way out to the targets is opened by allowTrafficTo.
    type Source = { cidrIpv4: string } | { cidrIpv6: string };
    const ipv4: Array<[string, number, Source]> = [
      ['HttpIn', 80, { cidrIpv4: '0.0.0.0/0' }],
      ['HttpsIn', 443, { cidrIpv4: '0.0.0.0/0' }],
    ];
    const ipv6: Array<[string, number, Source]> = [
      ['HttpInIpv6', 80, { cidrIpv6: '::/0' }],
      ['HttpsInIpv6', 443, { cidrIpv6: '::/0' }],
    ];
    const anywhere = this.dualStack ? [...ipv4, ...ipv6] : ipv4;
    for (const [ruleId, port, source] of anywhere) {
      new VpcSecurityGroupIngressRule(this, ruleId, {
        securityGroupId: securityGroup.id,
        description: `Port ${port} from anywhere (${'cidrIpv4' in source ? 'IPv4' : 'IPv6'})`,
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        ...source,
      });
    }

    const logs = props.accessLogs ? this.accessLogBucket(props, props.accessLogRetentionDays ?? DEFAULTS.loadBalancer.accessLogRetentionDays) : undefined;
    // AWS refuses an internet-facing load balancer in a VPC without an internet gateway, and
    // enabling access logs writes a test object that the bucket policy must already allow.
    const waitFor = [...(props.publicRouting ?? []), ...(logs?.bucketPolicy ? [logs.bucketPolicy] : [])];
    const loadBalancer = new Lb(this, 'Resource', {
      name: props.name,
      loadBalancerType: 'application',
      internal: false,
      subnets: props.publicSubnetIds,
      securityGroups: [securityGroup.id],
      ipAddressType: this.dualStack ? 'dualstack' : 'ipv4',
      idleTimeout: idleTimeoutSeconds,
      dropInvalidHeaderFields: true,
      desyncMitigationMode: 'defensive',
      enableDeletionProtection: props.deletionProtection ?? false,
      accessLogs: logs ? { bucket: logs.bucketName, enabled: true } : undefined,
      dependsOn: waitFor.length > 0 ? waitFor : undefined,
    });

    const targetGroup = new LbTargetGroup(this, 'TargetGroup', {
      namePrefix: 'web-',
      vpcId: props.vpcId,
      port: this.targetPort,
      protocol: 'HTTP',
      targetType: 'instance',
      deregistrationDelay: String(deregistrationDelaySeconds),
      healthCheck: {
        enabled: true,
        path: HEALTH_PATH,
        protocol: 'HTTP',
        port: 'traffic-port',
        matcher: '200',
        interval: healthCheckIntervalSeconds,
        timeout: Math.min(5, healthCheckIntervalSeconds - 1),
        healthyThreshold: 2,
        unhealthyThreshold: 2,
      },
      lifecycle: { createBeforeDestroy: true },
    });

    if (props.certificateArn) {
      new LbListener(this, 'HttpsListener', {
        loadBalancerArn: loadBalancer.arn,
        port: 443,
        protocol: 'HTTPS',
        sslPolicy: TLS_POLICY,
        certificateArn: props.certificateArn,
        defaultAction: [{ type: 'forward', targetGroupArn: targetGroup.arn }],
      });
      new LbListener(this, 'HttpListener', {
        loadBalancerArn: loadBalancer.arn,
        port: 80,
        protocol: 'HTTP',
        defaultAction: [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }],
      });
    } else {
      new LbListener(this, 'HttpListener', {
        loadBalancerArn: loadBalancer.arn,
        port: 80,
        protocol: 'HTTP',
        defaultAction: [{ type: 'forward', targetGroupArn: targetGroup.arn }],
      });
    }

    this.loadBalancerArn = loadBalancer.arn;
    this.loadBalancerArnSuffix = loadBalancer.arnSuffix;
    this.loadBalancerDnsName = loadBalancer.dnsName;
    this.loadBalancerZoneId = loadBalancer.zoneId;
    this.securityGroupId = securityGroup.id;
    this.targetGroupArn = targetGroup.arn;
    this.targetGroupArnSuffix = targetGroup.arnSuffix;
    this.url = `${props.certificateArn ? 'https' : 'http'}://${loadBalancer.dnsName}`;
  }

  /**
   * Lets the load balancer reach its targets' security group on the target port, and nothing else:
   * the rule belongs to the load balancer's own security group, so the load balancer owns it (as
   * aws-cdk's `connections.allowTo`). The fleet calls it when it joins the target group.
   */
  allowTrafficTo(targetSecurityGroupId: string): void {
    new VpcSecurityGroupEgressRule(this, 'ToTargets', {
      securityGroupId: this.securityGroupId,
      description: 'Load balancer to the fleet port only',
      ipProtocol: 'tcp',
      fromPort: this.targetPort,
      toPort: this.targetPort,
      referencedSecurityGroupId: targetSecurityGroupId,
    });
  }

  /** A bucket the regional load balancing service may write logs to, and nobody else. */
  private accessLogBucket(props: LoadBalancerProps, retentionDays: number): PrivateBucket {
    const account = new DataAwsCallerIdentity(this, 'Account', {});
    return new PrivateBucket(this, 'AccessLogs', {
      bucketPrefix: accessLogBucketPrefix(props.name),
      // Log delivery writes to SSE-S3 buckets only.
      encryption: 'sse-s3',
      forceDestroy: !props.keepAccessLogs,
      expirationDays: retentionDays,
      noncurrentVersionExpirationDays: 1,
      denyInsecureTransport: props.denyInsecureTransport,
      policyStatements: (bucketArn) => [
        {
          sid: 'AllowLoadBalancerLogDelivery',
          effect: 'Allow',
          // The log delivery service, which AWS recommends in every region: regions opened after
          // August 2022 have no regional ELB account, and the provider's aws_elb_service_account fails there.
          principals: [{ type: 'Service', identifiers: ['logdelivery.elasticloadbalancing.amazonaws.com'] }],
          actions: ['s3:PutObject'],
          resources: [`${bucketArn}/AWSLogs/${account.accountId}/*`],
        },
        {
          // Another account's load balancer could otherwise deliver here under a prefix of its choosing
          // (`AWSLogs/<this account>/...` included). AWS's policy for this principal shows no
          // aws:SourceAccount condition, and an Allow conditioned on a key the service does not send
          // would stop the logs without an error; so a Deny that applies only when the key is present
          // (Null false) and names another account: it holds if the service sends the key, and costs
          // nothing if it does not (IAM User Guide, condition operators, "Condition operator to check
          // existence of condition keys"; several operators in one block must all match).
          sid: 'DenyLogDeliveryForOtherAccounts',
          effect: 'Deny',
          principals: [{ type: 'Service', identifiers: ['logdelivery.elasticloadbalancing.amazonaws.com'] }],
          actions: ['s3:PutObject'],
          resources: [`${bucketArn}/*`],
          condition: [
            { test: 'Null', variable: 'aws:SourceAccount', values: ['false'] },
            { test: 'StringNotEquals', variable: 'aws:SourceAccount', values: [account.accountId] },
          ],
        },
      ],
    });
  }
}

function validate(scope: IConstruct, props: LoadBalancerProps, values: { idleTimeoutSeconds: number; healthCheckIntervalSeconds: number; deregistrationDelaySeconds: number }): void {
  const nameProblem = known(props.name) ? loadBalancerNameProblem(props.name) : undefined;
  if (nameProblem) throw new ConfigError(`name (${JSON.stringify(props.name)}) ${nameProblem}`, scope);
  if (known(props.publicSubnetIds) && props.publicSubnetIds.length < 2) {
    throw new ConfigError(`publicSubnetIds lists ${props.publicSubnetIds.length} subnet(s); an Application Load Balancer needs at least 2, in different availability zones`, scope);
  }
  if (known(values.idleTimeoutSeconds) && (values.idleTimeoutSeconds < 1 || values.idleTimeoutSeconds > 4000)) {
    throw new ConfigError(`idleTimeoutSeconds (${values.idleTimeoutSeconds}) must be between 1 and 4000`, scope);
  }
  if (known(values.healthCheckIntervalSeconds) && (values.healthCheckIntervalSeconds < 5 || values.healthCheckIntervalSeconds > 300)) {
    throw new ConfigError(`healthCheckIntervalSeconds (${values.healthCheckIntervalSeconds}) must be between 5 and 300`, scope);
  }
  if (known(values.deregistrationDelaySeconds) && (values.deregistrationDelaySeconds < 0 || values.deregistrationDelaySeconds > 3600)) {
    throw new ConfigError(`deregistrationDelaySeconds (${values.deregistrationDelaySeconds}) must be between 0 and 3600`, scope);
  }
}
