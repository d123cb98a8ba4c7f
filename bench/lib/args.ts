/** The value of `--name=value` on the command line, or `def` when it is not given. */
export function arg(name: string, def: string): string {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;
}
