/**
 * Finding the pull request a `workflow_run` belongs to, from the event GitHub wrote (never from
 * an artifact the pull request's code produced). Every field read is checked: a SHA is 40 hex
 * digits, a number is a positive integer of at most 10 digits, names match GitHub's patterns.
 */

type Json = any;

export const SHA = /^[0-9a-f]{40}$/;
export const PR_NUMBER = /^[1-9][0-9]{0,9}$/;
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const BRANCH = /^[A-Za-z0-9._/+-]{1,255}$/;
const REPO = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

export class RunError extends Error {}

export interface RunInfo {
  /** owner/name of the repository the workflow runs in. */
  readonly repository: string;
  readonly runId: number;
  readonly headSha: string;
  /** owner login and branch of the pull request's head, to look it up when the event lists none (forks). */
  readonly headOwner: string;
  readonly headBranch: string;
  /** Pull requests the event lists (same-repository ones only: GitHub leaves forks out). */
  readonly listed: readonly { number: number; headSha: string }[];
}

/** Reads what the workflow_run event says, refusing anything malformed. */
export function runInfo(event: Json, repository: string): RunInfo {
  const run = event?.workflow_run;
  const fail = (what: string): never => {
    throw new RunError(`workflow_run event: ${what}`);
  };
  if (!run || typeof run !== 'object') fail('no workflow_run in the event');
  if (run.event !== 'pull_request') fail(`the run was triggered by ${JSON.stringify(String(run.event)).slice(0, 40)}, not pull_request`);
  if (!REPO.test(repository)) fail('GITHUB_REPOSITORY is not owner/name');
  if (!Number.isSafeInteger(run.id) || run.id <= 0) fail('run id is not a positive integer');
  if (typeof run.head_sha !== 'string' || !SHA.test(run.head_sha)) fail('head_sha is not 40 hex digits');
  const headOwner = run.head_repository?.owner?.login;
  if (typeof headOwner !== 'string' || !LOGIN.test(headOwner)) fail('head repository owner is not a GitHub login');
  if (typeof run.head_branch !== 'string' || !BRANCH.test(run.head_branch) || run.head_branch.includes('..')) fail('head_branch is not a branch name');
  const listed = (Array.isArray(run.pull_requests) ? run.pull_requests : [])
    .filter((p: Json) => p && Number.isSafeInteger(p.number) && PR_NUMBER.test(String(p.number)) && typeof p.head?.sha === 'string' && SHA.test(p.head.sha)
      && (p.base?.repo?.url === undefined || String(p.base.repo.url).endsWith(`/repos/${repository}`)))
    .map((p: Json) => ({ number: p.number as number, headSha: p.head.sha as string }));
  return { repository, runId: run.id, headSha: run.head_sha, headOwner, headBranch: run.head_branch, listed };
}

/**
 * The one open pull request of this repository whose head is exactly the run's head SHA: first
 * among those the event lists, else among `candidates` (GET /pulls?head=<owner>:<branch>).
 */
export function selectPullRequest(info: RunInfo, candidates: Json[] = []): { number: number; headSha: string } {
  const fromEvent = info.listed.filter((p) => p.headSha === info.headSha);
  const fromApi = (Array.isArray(candidates) ? candidates : [])
    .filter((p: Json) => p && p.state === 'open' && Number.isSafeInteger(p.number) && PR_NUMBER.test(String(p.number)) && p.head?.sha === info.headSha
      && p.base?.repo?.full_name === info.repository)
    .map((p: Json) => ({ number: p.number as number, headSha: p.head.sha as string }));
  const found = [...new Map([...fromEvent, ...fromApi].map((p) => [p.number, p])).values()];
  if (found.length === 0) throw new RunError(`no open pull request of ${info.repository} has head ${info.headSha} (it moved on, or was closed); nothing to comment on`);
  if (found.length > 1) throw new RunError(`several pull requests have head ${info.headSha} (${found.map((p) => `#${p.number}`).join(', ')}); refusing to guess`);
  return found[0];
}
