/**
 * The Node flags NBO runs with wherever it is started as a service: the image's entrypoint
 * (Dockerfile), `npm start`, the installed `nbo` command's shebang, and the benches
 * (test/deploy/node-flags.test.ts keeps them equal).
 *
 * `--max-semi-space-size=4`: a young generation of 4 MB semi-spaces instead of Node 20's
 * 16 MB. A scavenge pauses the event loop for as long as it takes to copy what survives it,
 * and what survives grows with the semi-space: on the un-prunable catalog the pauses were
 * 2.2 ms at the median and 4.2 ms at p90 with 16 MB, 0.6 ms and 1.5 ms with 4 MB, for about
 * 2 % more CPU (bench/README.md, "GC pauses") — a decision p99 of a few milliseconds cannot
 * hold through the longer ones.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
