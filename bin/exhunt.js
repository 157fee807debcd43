#!/usr/bin/env node
// Entry point: run the CLI on the real process and exit with its code once output is flushed.
import { main } from '../dist/src/cli/main.js';
import { processIo } from '../dist/src/cli/io.js';

const code = await main(process.argv.slice(2), processIo);
process.exitCode = code;
