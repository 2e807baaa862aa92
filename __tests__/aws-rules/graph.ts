// The dependency graph Terraform builds from a synthesized stack: an edge for every reference in
// an expression (`${aws_x.name.attr}`, `${data.aws_y.name.attr}`, `${local.z}`) and every depends_on.
import type { Json } from '../synth.js';

/** Node addresses as Terraform writes them: `aws_lb.name`, `data.aws_ami.name`, `local.name`. */
export type Address = string;

const REFERENCE = /\b(?:data\.aws_\w+\.\w+|aws_\w+\.\w+|local\.\w+|var\.\w+)/g;

/** References inside `${...}` of every string below `value`; `$${` is an escaped literal and skipped. */
function referencesIn(value: unknown, found: Set<Address>): void {
  if (typeof value === 'string') {
    for (const [, expression] of value.matchAll(/(?<!\$)\$\{([^}]*)\}/g)) {
      for (const [reference] of expression.matchAll(REFERENCE)) found.add(reference);
    }
  } else if (Array.isArray(value)) {
    for (const item of value) referencesIn(item, found);
  } else if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) referencesIn(item, found);
  }
}

export class DependencyGraph {
  private readonly edges = new Map<Address, Set<Address>>();

  constructor(synthesized: Json) {
    const add = (address: Address, body: Json) => {
      const targets = new Set<Address>();
      referencesIn(body, targets);
      for (const dependency of (body?.depends_on as string[] | undefined) ?? []) targets.add(dependency);
      this.edges.set(address, targets);
    };
    for (const [type, resources] of Object.entries<Json>(synthesized.resource ?? {})) {
      for (const [name, body] of Object.entries<Json>(resources)) add(`${type}.${name}`, body);
    }
    for (const [type, sources] of Object.entries<Json>(synthesized.data ?? {})) {
      for (const [name, body] of Object.entries<Json>(sources)) add(`data.${type}.${name}`, body);
    }
    for (const [name, body] of Object.entries<Json>(synthesized.locals ?? {})) add(`local.${name}`, body);
  }

  /** Addresses of the resources of a type (`aws_nat_gateway`), in the graph. */
  resourcesOf(type: string): Address[] {
    return [...this.edges.keys()].filter((address) => address.startsWith(`${type}.`));
  }

  /** Everything `from` waits for, directly or through other nodes. */
  dependenciesOf(from: Address): Set<Address> {
    const seen = new Set<Address>();
    const queue = [...(this.edges.get(from) ?? [])];
    while (queue.length > 0) {
      const next = queue.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(this.edges.get(next) ?? []));
    }
    return seen;
  }

  /** Whether `from` is created only after `to` (directly or transitively). */
  waitsFor(from: Address, to: Address): boolean {
    return this.dependenciesOf(from).has(to);
  }
}
