/**
 * A usage error found after parsing (a missing combination of options, a limit naming a class
 * no snapshot has...): the CLI prints it as commander prints its own, and exits 2.
 */
export class UsageError extends Error {}
