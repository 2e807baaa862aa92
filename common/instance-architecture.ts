export type Architecture = 'x86_64' | 'arm64';

// family letters, generation, attributes, size: m7g.large, c7gn.xlarge, t3a.micro, m7i-flex.large
const INSTANCE_TYPE = /^(?<family>[a-z]+)(?<generation>\d+)(?<attributes>[a-z-]*)\.(?<size>[a-z0-9]+)$/;
const GENERAL_FAMILIES = new Set(['t', 'm', 'c', 'r', 'x', 'z', 'i', 'd', 'h', 'a']);

/**
 * The CPU architecture of an EC2 instance type, or undefined when it cannot be told from the name
 * (GPU, Mac and other special families, or a malformed name). Graviton types carry a `g` attribute
 * (m7g, c7gn, r8gd); the first generation was the `a1` family.
 */
export function instanceArchitecture(instanceType: string): Architecture | undefined {
  const match = INSTANCE_TYPE.exec(instanceType);
  if (!match?.groups || !GENERAL_FAMILIES.has(match.groups.family)) return undefined;
  const { family, generation, attributes } = match.groups;
  if (family === 'a') return generation === '1' ? 'arm64' : undefined;
  return attributes.split('-')[0].includes('g') ? 'arm64' : 'x86_64';
}
