#!/usr/bin/env node
import '../dist/servesim.js';
