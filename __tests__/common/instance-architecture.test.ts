import { describe, expect, test } from '@jest/globals';
import { instanceArchitecture } from '../../common/instance-architecture.js';

describe('instanceArchitecture', () => {
  test.each([
    ['t3.small', 'x86_64'],
    ['t3a.micro', 'x86_64'],
    ['m7i-flex.large', 'x86_64'],
    ['c6in.xlarge', 'x86_64'],
    ['t4g.small', 'arm64'],
    ['m7g.large', 'arm64'],
    ['c7gn.2xlarge', 'arm64'],
    ['r8gd.medium', 'arm64'],
    ['a1.large', 'arm64'],
  ])('%s is %s', (type, architecture) => {
    expect(instanceArchitecture(type)).toBe(architecture);
  });

  test.each(['g5.xlarge', 'p4d.24xlarge', 'mac2.metal', 'inf2.xlarge', 't3', 'T3.small', 'a2.large', ''])('cannot tell %j', (type) => {
    expect(instanceArchitecture(type)).toBeUndefined();
  });
});
