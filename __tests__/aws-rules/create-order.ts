// What must be created before what, as AWS needs it and Terraform cannot tell on its own. Each rule
// names its source and yields [waiting, awaited] resource pairs for a stack; create-order.test.ts
// checks them on the dependency graph read from the JSON, create-order.real.test.ts on Terraform's own.
import type { Json } from '../synth.js';

export type Address = string;

export interface OrderRule {
  readonly rule: string;
  readonly source: string;
  /** [waiting, awaited] pairs in this stack; empty where the rule does not apply. */
  readonly pairs: (json: Json) => Array<[Address, Address]>;
}

const addresses = (json: Json, type: string, keep: (body: Json, name: string) => boolean = () => true): Address[] =>
  Object.entries<Json>(json.resource?.[type] ?? {})
    .filter(([name, body]) => keep(body, name))
    .map(([name]) => `${type}.${name}`);

const every = (waiting: Address[], awaited: Address[]): Array<[Address, Address]> => waiting.flatMap((from) => awaited.map((to): [Address, Address] => [from, to]));

export const ORDER_RULES: readonly OrderRule[] = [
  {
    rule: 'the internet-facing load balancer waits for the internet gateway',
    source: 'the provider\'s aws_lb acceptance tests (depends_on the gateway); AWS: "InvalidSubnet: VPC ... has no internet gateway"',
    pairs: (json) => every(addresses(json, 'aws_lb'), addresses(json, 'aws_internet_gateway')),
  },
  {
    rule: 'the load balancer waits for the access-log bucket policy',
    source: 'ELB user guide, "Enable access logs": ELB writes a test object on enabling, "Access Denied for bucket" without the policy; aws-cdk BaseLoadBalancer.logAccessLogs; provider issue 12010',
    pairs: (json) => {
      const bucket = /\$\{aws_s3_bucket\.(\w+)\.bucket\}/.exec(Object.values<Json>(json.resource.aws_lb)[0].access_logs?.bucket ?? '')?.[1];
      if (!bucket) return [];
      return every(addresses(json, 'aws_lb'), addresses(json, 'aws_s3_bucket_policy', (body) => body.bucket.includes(`aws_s3_bucket.${bucket}.`)));
    },
  },
  {
    rule: 'NAT gateways and their addresses wait for the internet gateway',
    source: 'the provider\'s docs: aws_nat_gateway ("add an explicit dependency on the Internet Gateway"), aws_eip ("EIP may require IGW to exist prior to association")',
    pairs: (json) => every([...addresses(json, 'aws_nat_gateway'), ...addresses(json, 'aws_eip')], addresses(json, 'aws_internet_gateway')),
  },
  {
    rule: 'the group waits for the private routes to NAT, their subnet associations and the S3 endpoint',
    source: 'first boot installs packages and reads the release; without routes the instance never turns healthy and is replaced after the grace period (EC2 Auto Scaling user guide, health checks)',
    pairs: (json) =>
      every(addresses(json, 'aws_autoscaling_group'), [
        ...addresses(json, 'aws_route', (body) => body.nat_gateway_id !== undefined),
        ...addresses(json, 'aws_route_table_association', (_body, name) => name.includes('PrivateSubnetRoutes')),
        ...addresses(json, 'aws_vpc_endpoint'),
      ]),
  },
  {
    rule: 'the launch template and the group wait for the instance role policy',
    source: 'IAM user guide, "Changes that I make are not always immediately visible" (eventual consistency)',
    pairs: (json) => every([...addresses(json, 'aws_launch_template'), ...addresses(json, 'aws_autoscaling_group')], addresses(json, 'aws_iam_role_policy')),
  },
];
