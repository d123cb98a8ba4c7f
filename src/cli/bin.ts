#!/usr/bin/env node
/**
 * The installed `nbo` command (package.json `bin`). It runs `main` unconditionally, so it
 * works under any name npm links it as (`nbo`, `node_modules/.bin/nbo`, `npx nbo`).
 */
import { main } from './main.js';

main(process.argv.slice(2)).then((code) => {
  if (code >= 0) process.exitCode = code;
});
