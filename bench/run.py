"""`make bench`: figures, not pass/fail.

Cold import of each function's handler beside `import boto3` (bench/imports.py), again on the
runtime's Python with the layer as built (bench/runtime_imports.py), DynamoDB
requests and latency per rating on the twin (bench/submission.py), the escalation sweep's
cost against the table's size (bench/sweep.py), item writes and write capacity per rating of
counting scores beside the naive scheme (bench/scores.py), the nightly reconcile's requests and
capacity for a day of 2,000 ratings (bench/reconcile.py), publication time with 10,000 and
200,000 ratings recorded (bench/publication.py), and a busy day of the whole demo
division on the twin as `make run` serves it (bench/load.py).
"""

from __future__ import annotations

import sys

from bench import imports, load, publication, reconcile, runtime_imports, scores, submission, sweep


def main() -> int:
    imports.main()
    print()
    runtime_imports.main()
    print()
    submission.requests_per_rating()
    print()
    submission.latency()
    print()
    sweep.main()
    print()
    scores.main()
    print()
    reconcile.main()
    print()
    publication.main()
    print()
    load.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
