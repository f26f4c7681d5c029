// Posts or updates the one sticky plan comment on a pull request (found again by its hidden
// marker), sets the no-changes / add-or-update / destroy label, and fails when data would be
// lost without the `allow-data-loss` label. Used by plan.yml (same-repository pull requests)
// and plan-comment.yml (forks, from the uploaded artifact). Called from actions/github-script.
const fs = require('node:fs');

const MARKER = '<!-- stackyard-plan -->';
const LABELS = ['no-changes', 'add-or-update', 'destroy'];
const ACK = 'allow-data-loss';

module.exports = async ({ github, context, core, prNumber, summaryFile, metaFile }) => {
  const body = fs.readFileSync(summaryFile, 'utf8');
  const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
  const { owner, repo } = context.repo;
  const issue_number = Number(prNumber);
  const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 });
  const mine = comments.find((c) => c.user && c.user.type === 'Bot' && (c.body || '').includes(MARKER));
  if (mine) await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
  else await github.rest.issues.createComment({ owner, repo, issue_number, body });

  const label = !meta.changes ? 'no-changes' : meta.destroy ? 'destroy' : 'add-or-update';
  const { data: pr } = await github.rest.pulls.get({ owner, repo, pull_number: issue_number });
  const current = pr.labels.map((l) => l.name);
  for (const old of LABELS.filter((l) => l !== label && current.includes(l))) {
    await github.rest.issues.removeLabel({ owner, repo, issue_number, name: old });
  }
  if (!current.includes(label)) await github.rest.issues.addLabels({ owner, repo, issue_number, labels: [label] });
  if (meta.dataLoss && !current.includes(ACK)) {
    core.setFailed(`This pull request would replace or destroy stateful data (see the plan comment). If that is intended, add the label "${ACK}" and re-run.`);
  }
};
