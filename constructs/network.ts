import { DataAwsAvailabilityZones } from '@cdktf/provider-aws/lib/data-aws-availability-zones/index.js';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group/index.js';
import { Eip } from '@cdktf/provider-aws/lib/eip/index.js';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway/index.js';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway/index.js';
import { Route } from '@cdktf/provider-aws/lib/route/index.js';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table/index.js';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association/index.js';
import { Subnet } from '@cdktf/provider-aws/lib/subnet/index.js';
import { DataAwsSubnet } from '@cdktf/provider-aws/lib/data-aws-subnet/index.js';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { DataAwsVpcEndpointService } from '@cdktf/provider-aws/lib/data-aws-vpc-endpoint-service/index.js';
import { Vpc } from '@cdktf/provider-aws/lib/vpc/index.js';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint/index.js';
import { Fn, type ITerraformDependable } from 'cdktf';
import { Construct, type IConstruct } from 'constructs';
import { ConfigError } from '../common/config-error.js';
import { DEFAULTS } from '../constants.js';
import { known } from './known.js';

/** A new VPC built by this construct. */
export interface NewNetworkProps {
  readonly mode: 'new';
  /** IPv4 range of the VPC; each subnet takes a /24 (a /20 for a /16) out of it. @default - DEFAULTS.network.vpcCidr (constants.ts) */
  readonly vpcCidr?: string;
  /** Availability zones to spread over, 2 or 3. @default - DEFAULTS.network.availabilityZoneCount (constants.ts) */
  readonly availabilityZoneCount?: number;
  /** One NAT gateway per zone (survives a zone outage) instead of one shared. @default false */
  readonly natGatewayPerAz?: boolean;
  /** Give the public subnets IPv6 ranges too, for a dual-stack load balancer. @default false */
  readonly dualStack?: boolean;
}

/** An existing VPC, as the old project's VpcId/Subnet1/Subnet2 parameters. */
export interface ExistingNetworkProps {
  readonly mode: 'existing';
  /** Id of the VPC. */
  readonly vpcId: string;
  /** Public subnets for the load balancer, one per availability zone. */
  readonly publicSubnetIds: readonly string[];
  /** Private subnets for the instances, one per availability zone, routed to a NAT. */
  readonly privateSubnetIds: readonly string[];
}

export type NetworkProps = NewNetworkProps | ExistingNetworkProps;

/** Construct ids of the per-zone resources; renaming one replaces its resources. */
const ZONE_IDS = ['ZoneA', 'ZoneB', 'ZoneC'] as const;

/** Where the load balancer and the instances live: public subnets in front, private ones behind. */
export class Network extends Construct {
  readonly vpcId: string;
  /** The public subnets' IPv4 ranges: where the load balancer's addresses come from (any of the VPC's CIDR blocks). */
  readonly publicSubnetCidrBlocks: string[];
  readonly publicSubnetIds: string[];
  readonly privateSubnetIds: string[];
  /**
   * What an internet-facing load balancer in the public subnets must wait for: the internet gateway
   * (AWS refuses the load balancer while the VPC has none). Empty for an existing network.
   */
  readonly publicRouting: ITerraformDependable[] = [];
  /**
   * What instances in the private subnets must wait for: their routes to the NAT gateways and the S3
   * endpoint, without which the first boot can reach neither Debian's archive nor the release.
   * Empty for an existing network, whose routes already exist.
   */
  readonly privateEgress: ITerraformDependable[] = [];
  /** The S3 gateway endpoint of a new network; an existing network's endpoints are its owner's. */
  private s3Endpoint?: VpcEndpoint;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    if (props.mode === 'existing') {
      validateExisting(this, props);
      this.vpcId = props.vpcId;
      // A data source per subnet, named by its id (a data source keeps no state a rename could lose).
      this.publicSubnetCidrBlocks = props.publicSubnetIds.map((subnetId) => new DataAwsSubnet(this, subnetId, { id: subnetId }).cidrBlock);
      this.publicSubnetIds = [...props.publicSubnetIds];
      this.privateSubnetIds = [...props.privateSubnetIds];
      return;
    }

    const vpcCidr = props.vpcCidr ?? DEFAULTS.network.vpcCidr;
    const zoneCount = props.availabilityZoneCount ?? DEFAULTS.network.availabilityZoneCount;
    if (!known(zoneCount)) {
      throw new ConfigError('availabilityZoneCount must be known at synth time, not a Terraform variable: it decides how many subnets, NAT gateways and route tables are made', this);
    }
    if (zoneCount !== 2 && zoneCount !== 3) {
      throw new ConfigError(`availabilityZoneCount (${zoneCount}) must be 2 or 3: the load balancer needs at least 2 availability zones`, this);
    }

    const zones = new DataAwsAvailabilityZones(this, 'Zones', { state: 'available', filter: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }] });
    const vpc = new Vpc(this, 'Resource', {
      cidrBlock: vpcCidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      assignGeneratedIpv6CidrBlock: props.dualStack ? true : undefined,
      tags: { Name: this.node.path },
    });
    // Nothing may use the default security group: it starts with no rules.
    new DefaultSecurityGroup(this, 'DefaultSecurityGroup', { vpcId: vpc.id });
    const internetGateway = new InternetGateway(this, 'InternetGateway', { vpcId: vpc.id });

    const publicRoutes = new RouteTable(this, 'PublicRoutes', { vpcId: vpc.id });
    new Route(this, 'PublicDefaultRoute', { routeTableId: publicRoutes.id, destinationCidrBlock: '0.0.0.0/0', gatewayId: internetGateway.id });
    if (props.dualStack) {
      new Route(this, 'PublicDefaultRouteIpv6', { routeTableId: publicRoutes.id, destinationIpv6CidrBlock: '::/0', gatewayId: internetGateway.id });
    }

    const publicSubnets: Subnet[] = [];
    const privateSubnets: Subnet[] = [];
    const privateRouteTables: RouteTable[] = [];
    const natGateways: NatGateway[] = [];
    // Subnet n of 16 in the VPC range: public ones first, private ones from 8 on.
    const subnetBits = 4;
    for (let zone = 0; zone < zoneCount; zone++) {
      const scopeForZone = new Construct(this, ZONE_IDS[zone]);
      const availabilityZone = Fn.element(zones.names, zone);
      const publicSubnet = new Subnet(scopeForZone, 'PublicSubnet', {
        vpcId: vpc.id,
        availabilityZone,
        cidrBlock: Fn.cidrsubnet(vpcCidr, subnetBits, zone),
        ipv6CidrBlock: props.dualStack ? Fn.cidrsubnet(vpc.ipv6CidrBlock, 8, zone) : undefined,
        mapPublicIpOnLaunch: false,
        tags: { Name: `${this.node.path}/public-${zone}`, Tier: 'public' },
      });
      new RouteTableAssociation(scopeForZone, 'PublicSubnetRoutes', { subnetId: publicSubnet.id, routeTableId: publicRoutes.id });
      publicSubnets.push(publicSubnet);

      if (zone === 0 || props.natGatewayPerAz) {
        const address = new Eip(scopeForZone, 'NatAddress', { domain: 'vpc', dependsOn: [internetGateway] });
        // The provider's documentation: a NAT gateway depends on its VPC's internet gateway.
        natGateways.push(new NatGateway(scopeForZone, 'NatGateway', { allocationId: address.id, subnetId: publicSubnet.id, dependsOn: [internetGateway] }));
      }
      const privateRoutes = new RouteTable(scopeForZone, 'PrivateRoutes', { vpcId: vpc.id });
      const privateDefaultRoute = new Route(scopeForZone, 'PrivateDefaultRoute', {
        routeTableId: privateRoutes.id,
        destinationCidrBlock: '0.0.0.0/0',
        natGatewayId: natGateways[natGateways.length - 1].id,
      });
      const privateSubnet = new Subnet(scopeForZone, 'PrivateSubnet', {
        vpcId: vpc.id,
        availabilityZone,
        cidrBlock: Fn.cidrsubnet(vpcCidr, subnetBits, zone + 8),
        tags: { Name: `${this.node.path}/private-${zone}`, Tier: 'private' },
      });
      const privateAssociation = new RouteTableAssociation(scopeForZone, 'PrivateSubnetRoutes', { subnetId: privateSubnet.id, routeTableId: privateRoutes.id });
      privateSubnets.push(privateSubnet);
      this.privateEgress.push(privateDefaultRoute, privateAssociation);
      privateRouteTables.push(privateRoutes);
    }

    // Release downloads go to S3 through the gateway endpoint: free, and they stay off the NAT.
    const s3Service = new DataAwsVpcEndpointService(this, 'S3Service', { service: 's3', serviceType: 'Gateway' });
    const s3Endpoint = new VpcEndpoint(this, 'S3Endpoint', {
      vpcId: vpc.id,
      serviceName: s3Service.serviceName,
      vpcEndpointType: 'Gateway',
      routeTableIds: privateRouteTables.map((table) => table.id),
    });

    this.s3Endpoint = s3Endpoint;
    this.privateEgress.push(s3Endpoint);
    this.publicRouting.push(internetGateway);
    this.vpcId = vpc.id;
    this.publicSubnetCidrBlocks = publicSubnets.map((subnet) => subnet.cidrBlock);
    this.publicSubnetIds = publicSubnets.map((subnet) => subnet.id);
    this.privateSubnetIds = privateSubnets.map((subnet) => subnet.id);
  }

  /**
   * Limits what the private subnets may do in S3 through the gateway endpoint to reading `objectArns`,
   * instead of the endpoint's default policy (full access to every bucket): nothing else in the
   * subnets uses S3 (Debian's archive is a CDN, not a bucket). The policy applies to every request
   * the endpoint carries (AWS PrivateLink, "Control access to VPC endpoints using endpoint policies";
   * Amazon VPC, "Gateway endpoints for Amazon S3"). Does nothing for an existing network, whose
   * endpoints are its owner's.
   */
  limitS3EndpointTo(objectArns: string[]): void {
    if (!this.s3Endpoint) return;
    const policy = new DataAwsIamPolicyDocument(this, 'S3EndpointPolicy', {
      statement: [
        {
          sid: 'ReadArtifactsOnly',
          effect: 'Allow',
          principals: [{ type: '*', identifiers: ['*'] }],
          actions: ['s3:GetObject', 's3:GetObjectVersion'],
          resources: objectArns,
        },
      ],
    });
    this.s3Endpoint.policy = policy.json;
  }
}

function validateExisting(scope: IConstruct, props: ExistingNetworkProps): void {
  if (!known(props.publicSubnetIds)) {
    throw new ConfigError('publicSubnetIds must be known at synth time, not a Terraform variable: the network reads each subnet by its id', scope);
  }
  if (props.publicSubnetIds.length < 2) {
    throw new ConfigError(`publicSubnetIds lists ${props.publicSubnetIds.length} subnet(s); the load balancer needs at least 2, in different availability zones`, scope);
  }
  if (known(props.privateSubnetIds, props.publicSubnetIds) && props.privateSubnetIds.length !== props.publicSubnetIds.length) {
    throw new ConfigError(`privateSubnetIds lists ${props.privateSubnetIds.length} subnet(s) but publicSubnetIds lists ${props.publicSubnetIds.length}; expected one of each per availability zone`, scope);
  }
}
