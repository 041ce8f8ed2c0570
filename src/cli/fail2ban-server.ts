#!/usr/bin/env node
import { run } from './main.js';

run(['server', ...process.argv.slice(2)]);
