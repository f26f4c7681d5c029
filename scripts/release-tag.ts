/**
 * `node dist/scripts/release-tag.js` (deploy workflows): the release tag to deploy, from the
 * `release_tag` input (INPUT_TAG) or the commit (sha-<7 hex of GITHUB_SHA>), checked against the
 * Docker tag pattern before it is appended to $GITHUB_ENV as TF_VAR_RELEASE_TAG: a newline or
 * anything else cannot add a variable (e.g. TF_CLI_ARGS_apply=-destroy).
 */
import * as fs from 'node:fs';

export { RELEASE_TAG } from '../lib/deploy/release-tag';
import { RELEASE_TAG } from '../lib/deploy/release-tag';

export function releaseTag(input: string | undefined, sha: string | undefined): string {
  if (input) {
    if (!RELEASE_TAG.test(input)) throw new Error(`release_tag ${JSON.stringify(input.slice(0, 140))} is not a Docker tag (letters, digits, _ . -, up to 128 characters, not starting with . or -)`);
    return input;
  }
  if (!sha || !/^[0-9a-f]{40}$/.test(sha)) throw new Error('GITHUB_SHA is not a commit SHA');
  return `sha-${sha.slice(0, 7)}`;
}

if (require.main === module) {
  try {
    const tag = releaseTag(process.env.INPUT_TAG, process.env.GITHUB_SHA);
    const target = process.env.GITHUB_ENV;
    if (!target) throw new Error('GITHUB_ENV is not set (run this in a GitHub Actions step)');
    fs.appendFileSync(target, `TF_VAR_RELEASE_TAG=${tag}\n`);
    process.stdout.write(`release tag: ${tag}\n`);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}
