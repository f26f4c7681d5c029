#!/usr/bin/env node
// Before a deploy: removes containers that carry this environment's label but that Terraform's
// state does not know, e.g. created by an apply that was killed before it could record them.
// They are stateless by construction (data lives in volumes), and leaving them would make the
// next apply fail on a name conflict. Usage: tofu state pull | node reap-orphans.js <cdk.tf.json>
'use strict';
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');

const stack = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const raw = fs.readFileSync(0, 'utf8').trim();
const state = raw ? JSON.parse(raw) : { resources: [] };
const env = stack.terraform && stack['//'] && stack['//'].metadata ? stack['//'].metadata.stackName : undefined;
if (!env) process.exit(0);
const known = new Set();
for (const r of state.resources || []) {
  if (r.type !== 'docker_container') continue;
  for (const i of r.instances || []) if (i.attributes && i.attributes.name) known.add(i.attributes.name.replace(/^\//, ''));
}
for (const p of [].concat(stack.provider && stack.provider.docker ? stack.provider.docker : [])) {
  const ps = spawnSync('docker', ['-H', p.host, 'ps', '-a', '--filter', `label=stackyard.environment=${env}`, '--format', '{{.Names}}'], { encoding: 'utf8' });
  if (ps.status !== 0) continue; // host unreachable: the deploy itself will report it
  for (const name of ps.stdout.split('\n').filter(Boolean)) {
    if (known.has(name)) continue;
    const rm = spawnSync('docker', ['-H', p.host, 'rm', '-f', name], { encoding: 'utf8' });
    console.log(rm.status === 0 ? `removed orphan container ${name} on ${p.alias} (not in state)` : `could not remove orphan ${name}: ${rm.stderr.trim()}`);
  }
}
