/**
 * The share of requests that may fail (dropped: refused, timed out, no ready server, a bad reply)
 * before a real run counts as failed: 1%, the threshold on `http_req_failed` in k6's own examples
 * (grafana.com/docs/k6/latest/using-k6/thresholds: `http_req_failed: ['rate<0.01']`, "http errors
 * should be less than 1%"). `--max-failed-share` of `servesim testbed run` and `validate` changes it.
 */
export const DEFAULT_MAX_FAILED_SHARE = 0.01;

/** Whether a real run's share of failed requests is within its threshold (a run without requests failed none). */
export function failureVerdict(requests: number, failed: number, maxFailedShare: number): { failedShare: number; passed: boolean } {
  const failedShare = requests === 0 ? 0 : failed / requests;
  return { failedShare, passed: failedShare <= maxFailedShare };
}
