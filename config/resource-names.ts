import { accessLogBucketPrefix, artifactBucketPrefix, fleetNamePrefix } from '../common/name-prefixes.js';
import { iamNamePrefixProblem, loadBalancerNameProblem, s3BucketPrefixProblem, securityGroupNamePrefixProblem } from '../common/aws-names.js';

/** The name every resource of an environment starts from: the load balancer's and the group's name. */
export function environmentResourceName(project: string, environment: string): string {
  return `${project}-${environment}`;
}

/**
 * Every name an environment derives that AWS limits, each checked by AWS's rule for it: what is
 * wrong, as "the <what> "<name>" <problem>", or nothing. The constructs check again when built.
 */
export function derivedNameProblems(project: string, environment: string): string[] {
  const name = environmentResourceName(project, environment);
  const checks: Array<[string, string, (value: string) => string | undefined]> = [
    ['load balancer name', name, loadBalancerNameProblem],
    ['artifact bucket prefix', artifactBucketPrefix(name), s3BucketPrefixProblem],
    ['access-log bucket prefix', accessLogBucketPrefix(name), s3BucketPrefixProblem],
    ['instance role name prefix', fleetNamePrefix(name), iamNamePrefixProblem],
    ['security group name prefix', fleetNamePrefix(name), securityGroupNamePrefixProblem],
  ];
  return checks.flatMap(([what, value, rule]) => {
    const problem = rule(value);
    return problem ? [`the ${what} ${JSON.stringify(value)} ${problem}`] : [];
  });
}
