// Local mode only: an environment with a DNS name looks its hosted zone up (the zone is the user's,
// not the stack's), so the emulator needs one. Creates the public zone named in
// config/environments/$ENV.json in the emulator at LOCAL_AWS_ENDPOINT, unless it is there already.
// Usage: LOCAL_AWS_ENDPOINT=http://127.0.0.1:4566 ENV=prod tsx scripts/emulator-hosted-zone.ts
import { join } from 'node:path';
import { CreateHostedZoneCommand, ListHostedZonesByNameCommand, Route53Client } from '@aws-sdk/client-route-53';
import { loadConfig } from '../config/load-config.js';
import { readEmulatorEndpoint } from '../stacks/local-emulator.js';

let endpoint: string;
let config: ReturnType<typeof loadConfig>;
try {
  const emulator = readEmulatorEndpoint(process.env.LOCAL_AWS_ENDPOINT);
  if (!emulator) throw new Error('LOCAL_AWS_ENDPOINT is not set: this script is for local mode only');
  endpoint = emulator.endpoint;
  // Invalid configuration is said in its own words, as the other commands say it, not as a stack trace.
  config = loadConfig(join(import.meta.dirname, '..', 'config'), process.env.ENV || 'dev');
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(2);
}
const { project, environments } = config;
const dns = environments[0].settings.dns;
if (dns) {
  const zoneName = `${dns.hostedZoneName.replace(/\.$/, '')}.`;
  const route53 = new Route53Client({ endpoint, region: project.region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  const { HostedZones = [] } = await route53.send(new ListHostedZonesByNameCommand({ DNSName: zoneName }));
  if (!HostedZones.some((zone) => zone.Name === zoneName && !zone.Config?.PrivateZone)) {
    await route53.send(new CreateHostedZoneCommand({ Name: zoneName, CallerReference: `local-${Date.now()}` }));
    process.stderr.write(`created the hosted zone ${zoneName} in the emulator\n`);
  }
}
