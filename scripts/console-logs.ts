// `make logs`: each instance's console output (operations/console-logs.ts) via ec2:GetConsoleOutput.
// Usage: tsx scripts/console-logs.ts   (ENV=dev|prod; INSTANCE=<id> for one; LOCAL_AWS_ENDPOINT for the emulator)
import { join } from 'node:path';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client, GetConsoleOutputCommand } from '@aws-sdk/client-ec2';
import { loadConfig } from '../config/load-config.js';
import { environmentResourceName } from '../config/resource-names.js';
import { ConfigError } from '../common/config-error.js';
import { type ConsoleApi, collectConsoles, renderConsoles } from '../operations/console-logs.js';
import { readEmulatorEndpoint } from '../stacks/local-emulator.js';
import { readGroupView } from './group-view.js';

function sdkConsoleApi(region: string, endpoint: string | undefined): ConsoleApi {
  const settings = endpoint ? { region, endpoint } : { region };
  const autoscaling = new AutoScalingClient(settings);
  const ec2 = new EC2Client(settings);
  return {
    async instances(groupName) {
      const group = await readGroupView(autoscaling, groupName);
      return [...group.instances, ...group.warmInstances];
    },
    async consoleOutput(instanceId) {
      // Latest: the newest output, not the buffer as of the last boot; only Nitro instances have it.
      const read = (latest: boolean) => ec2.send(new GetConsoleOutputCommand({ InstanceId: instanceId, ...(latest && { Latest: true }) }));
      const output = await read(true).catch((error: Error) => (error.name === 'UnsupportedOperation' ? read(false) : Promise.reject(error)));
      return { text: output.Output ? Buffer.from(output.Output, 'base64').toString('utf8') : undefined, timestamp: output.Timestamp };
    },
  };
}

try {
  const environment = process.env.ENV || 'dev';
  const config = loadConfig(join(import.meta.dirname, '..', 'config'), environment);
  const emulator = readEmulatorEndpoint(process.env.LOCAL_AWS_ENDPOINT);
  const groupName = environmentResourceName(config.project.project, environment);
  const chosen = process.env.INSTANCE || undefined;
  if (chosen !== undefined && !/^i-[0-9a-f]{8,17}$/.test(chosen)) throw new ConfigError(`INSTANCE (${JSON.stringify(chosen)}) must be an instance id such as i-0123456789abcdef0`);
  process.stdout.write(renderConsoles(groupName, await collectConsoles(sdkConsoleApi(config.project.region, emulator?.endpoint), groupName, chosen)));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
