#!/usr/bin/env node
import { run } from './main.js';

// `logjail regex|server|client …`
run(process.argv.slice(2));
