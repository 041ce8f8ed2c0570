#!/usr/bin/env -S node --max-semi-space-size=4
import { run } from './main.js';

run(['regex', ...process.argv.slice(2)]);
