/** Where the dashboard serves the runs web view; Bull Board and `/` link here. */
export const RUNS_PAGE_PATH = '/runs';

export function runPagePath(runId: number): string {
  return `${RUNS_PAGE_PATH}/${runId}`;
}
