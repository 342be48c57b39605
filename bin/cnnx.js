#!/usr/bin/env node
// Executable shim: all logic lives in dist/cli/main.js (built by `npm run build`).
import { main } from '../dist/cli/main.js';

main(process.argv);
