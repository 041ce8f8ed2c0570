#!/usr/bin/env node
import { run } from './main.js';

run(['regex', ...process.argv.slice(2)]);
