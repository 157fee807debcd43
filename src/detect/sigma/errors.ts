// Why a rule cannot be run. Thrown while loading and compiling one rule, caught per rule: the rule is
// listed as rejected with this message, and the others go on.
export class RuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuleError';
  }
}
