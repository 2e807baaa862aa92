// Reading IAM policy documents out of synthesized JSON, as AWS would evaluate them.
import type { Json } from '../synth.js';

export interface Statement {
  readonly sid?: string;
  readonly effect?: string;
  readonly actions?: string[];
  readonly resources?: string[];
  readonly principals?: Array<{ type: string; identifiers: string[] }>;
  readonly condition?: Array<{ test: string; variable: string; values: string[] }>;
}

/** The aws_iam_policy_document data source an expression such as `${data.aws_iam_policy_document.x.json}` names. */
export function policyDocumentBehind(synthesized: Json, expression: string): Statement[] {
  const match = /\$\{data\.aws_iam_policy_document\.(\w+)\.json\}/.exec(expression);
  if (!match) throw new Error(`not a reference to a policy document: ${expression}`);
  const document = synthesized.data?.aws_iam_policy_document?.[match[1]];
  if (!document) throw new Error(`no policy document ${match[1]}`);
  return document.statement as Statement[];
}

/** The resource of `type` whose id or arn an expression such as `${aws_kms_key.x.arn}` names. */
export function resourceBehind(synthesized: Json, type: string, expression: string): Json {
  const match = new RegExp(`\\$\\{${type}\\.(\\w+)\\.(?:arn|id|key_id)\\}`).exec(expression);
  if (!match) throw new Error(`${expression} does not name a ${type}`);
  return synthesized.resource[type][match[1]];
}

/** Whether a statement allows every one of `actions` to a service principal, exactly or by a trailing wildcard. */
export function allowsService(statement: Statement, service: string, actions: string[]): boolean {
  const forService = statement.effect !== 'Deny' && (statement.principals ?? []).some((principal) => principal.type === 'Service' && principal.identifiers.includes(service));
  const covers = (action: string) => (statement.actions ?? []).some((granted) => granted === action || (granted.endsWith('*') && action.startsWith(granted.slice(0, -1))));
  return forService && actions.every(covers);
}
