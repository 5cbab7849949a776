#!/usr/bin/env node
// The `portico` command. A committed shim, so npm can link it before the first build exists.
import '../dist/cli/main.js';
