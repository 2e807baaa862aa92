/** Everything an instance needs to know at boot; rendered into cloud-init user data. */
export interface UserDataInput {
  readonly region: string;
  readonly bucketName: string;
  readonly objectKey: string;
  /** S3 version of the release object: a rolled-back launch template fetches its own release. */
  readonly objectVersionId: string;
  readonly releaseId: string;
  /** sha256 (hex) the downloaded archive must have. */
  readonly archiveSha256: string;
  readonly servicePort: number;
  readonly apachePort: number;
  readonly loadBalancerIdleTimeoutSeconds: number;
  readonly shutdownTimeoutSeconds: number;
}

/**
 * Cloud-config for Debian 13. For now: packages, the release settings and a checked download;
 * the Apache site, the systemd unit and the install script arrive with the provisioning issue (#4).
 */
export function renderUserData(input: UserDataInput): string {
  const settings = [
    `AWS_REGION=${input.region}`,
    `RELEASE_BUCKET=${input.bucketName}`,
    `RELEASE_KEY=${input.objectKey}`,
    `RELEASE_VERSION_ID=${input.objectVersionId}`,
    `RELEASE_ID=${input.releaseId}`,
    `RELEASE_SHA256=${input.archiveSha256}`,
    `SERVICE_PORT=${input.servicePort}`,
    `APACHE_PORT=${input.apachePort}`,
    `LB_IDLE_TIMEOUT_SECONDS=${input.loadBalancerIdleTimeoutSeconds}`,
    `SHUTDOWN_TIMEOUT_SECONDS=${input.shutdownTimeoutSeconds}`,
  ];
  return `#cloud-config
package_update: true
packages: [apache2, nodejs, awscli, unzip]
write_files:
  - path: /etc/webapp/release.env
    permissions: '0644'
    content: |
${settings.map((line) => `      ${line}`).join('\n')}
runcmd:
  - [sh, -ec, '. /etc/webapp/release.env; aws s3api get-object --region "$AWS_REGION" --bucket "$RELEASE_BUCKET" --key "$RELEASE_KEY" --version-id "$RELEASE_VERSION_ID" /tmp/release.zip; echo "$RELEASE_SHA256  /tmp/release.zip" | sha256sum -c -']
`;
}
