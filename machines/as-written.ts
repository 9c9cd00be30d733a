/**
 * A machine's piece of configuration typed as written, its state, guard and action names kept as
 * literals for `setup` to check (what `as const` does). Stryker mutates nothing inside a type
 * assertion (`as`), so a list of transitions or a block of states under one would never be
 * mutation-tested; under a call it is.
 */
export function asWritten<const T>(configuration: T): T {
  return configuration;
}
