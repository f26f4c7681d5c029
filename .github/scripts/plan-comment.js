// Posts or updates the one sticky plan comment on a pull request (found again by its hidden
// marker, in github-actions[bot]'s own comment only), sets the no-changes / add-or-update /
// destroy label, and fails when data would be lost, or when an environment was not planned by
// trusted code (meta.unverified), without the `allow-data-loss` label. Used by plan-comment.yml (the default branch's code,
// with a write token): the pull request number comes from the workflow_run event (checked by
// scripts/pr-plan.ts find-pr), the files from the trusted render step; both are checked again here.
const fs = require('node:fs');

const MARKER = '<!-- stackyard-plan -->';
const LABELS = ['no-changes', 'add-or-update', 'destroy'];
const ACK = 'allow-data-loss';
const LIMIT = 65536;
const BOT = 'github-actions[bot]';

module.exports = async ({ github, context, core, prNumber, headSha, summaryFile, metaFile }) => {
  const number = String(prNumber ?? '');
  if (!/^[1-9][0-9]{0,9}$/.test(number)) return core.setFailed(`pull request number ${JSON.stringify(number.slice(0, 20))} is not a number`);
  const sha = String(headSha ?? '');
  if (!/^[0-9a-f]{40}$/.test(sha)) return core.setFailed('the head SHA is not 40 hex digits');
  const body = fs.readFileSync(summaryFile, 'utf8');
  if (body.length > LIMIT || !body.startsWith(MARKER)) return core.setFailed('the summary is not a stackyard plan comment');
  let meta;
  try {
    meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
  } catch {
    meta = undefined;
  }
  if (!meta || typeof meta !== 'object' || ['dataLoss', 'destroy', 'changes', 'truncated', 'unverified'].some((k) => typeof meta[k] !== 'boolean')) return core.setFailed('the summary metadata is malformed');
  const { owner, repo } = context.repo;
  const issue_number = Number(number);
  const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 });
  // only this workflow's own comment: any other bot or app can write the marker too
  const mine = comments.find((c) => c.user && c.user.login === BOT && (c.body || '').includes(MARKER));
  if (mine) await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
  else await github.rest.issues.createComment({ owner, repo, issue_number, body });

  // the metadata comes from the trusted plans only (lib/plan/pr-verdict.ts): when an environment
  // was not planned by trusted code, "no changes" is unknown, so that label is not given
  const label = !meta.changes ? (meta.unverified ? undefined : 'no-changes') : meta.destroy ? 'destroy' : 'add-or-update';
  const { data: pr } = await github.rest.pulls.get({ owner, repo, pull_number: issue_number });
  const current = pr.labels.map((l) => l.name);
  for (const old of LABELS.filter((l) => l !== label && current.includes(l))) {
    await github.rest.issues.removeLabel({ owner, repo, issue_number, name: old });
  }
  if (label && !current.includes(label)) await github.rest.issues.addLabels({ owner, repo, issue_number, labels: [label] });
  // a commit status on the pull request's head: make `stackyard/data-loss` a required check to gate merges
  const acknowledged = current.includes(ACK);
  const lossBlocked = meta.dataLoss && !acknowledged;
  const unverifiedBlocked = meta.unverified && !acknowledged;
  await github.rest.repos.createCommitStatus({
    owner, repo, sha, context: 'stackyard/data-loss',
    state: lossBlocked || unverifiedBlocked ? 'failure' : 'success',
    description: lossBlocked ? `replaces or destroys stateful data; add the label ${ACK} if intended`
      : unverifiedBlocked ? 'not planned by trusted code; a maintainer must plan it'
        : meta.dataLoss || meta.unverified ? `data loss acknowledged (${ACK})` : 'no data loss planned',
  });
  if (lossBlocked) {
    core.setFailed(`This pull request would replace or destroy stateful data (see the plan comment). If that is intended, add the label "${ACK}" and re-run.`);
  } else if (unverifiedBlocked) {
    core.setFailed(`Not every environment of this pull request was planned by trusted code (see the plan comment): a maintainer must plan it, then add the label "${ACK}" and re-run.`);
  }
};
