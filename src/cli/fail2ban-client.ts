#!/usr/bin/env node
import { run } from './main.js';

run(['client', ...process.argv.slice(2)]);
