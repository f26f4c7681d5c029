#!/usr/bin/env node
/** The `stackyard` command (package.json `bin`): compiled JavaScript, run by plain node. */
import { main } from '../lib/cli/program';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
