/**
 * Exit status of a real run that finished but failed more than its threshold of requests (k6 has
 * one of its own for a failed threshold, too); its results are written all the same.
 */
export const EXIT_TOO_MANY_FAILED = 3;

/** Exit status of `lab check` when an answer is missing or outside its tolerance (the answers file itself was fine). */
export const EXIT_WRONG_ANSWERS = 3;
