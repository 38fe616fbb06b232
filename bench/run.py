"""`make bench`: figures, not pass/fail.

Cold import of each function's handler beside `import boto3` (bench/imports.py), again on the
runtime's Python with the layer as built (bench/runtime_imports.py), DynamoDB
requests and latency per rating on the twin (bench/submission.py), and the escalation sweep's
cost against the table's size (bench/sweep.py).
"""

from __future__ import annotations

import sys

from bench import imports, runtime_imports, submission, sweep


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
    return 0


if __name__ == "__main__":
    sys.exit(main())
