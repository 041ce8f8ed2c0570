#!/usr/bin/env -S node --max-semi-space-size=4
import { run } from './main.js';

// `logjail regex|server|client …`
run(process.argv.slice(2));
