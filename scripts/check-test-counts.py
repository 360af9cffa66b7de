#!/usr/bin/env python3
"""check-test-counts.py JUNIT_XML — no CTest entry passes without running.

Reads the JUnit file of a CTest run (`ctest --output-junit FILE`, with the
passed tests' output kept: `--test-output-size-passed`), prints every entry with
the number of cases it ran, and fails when an entry CTest counts as passed ran
none, or did not say how many it ran. An entry CTest counts as skipped (its
SKIP_RETURN_CODE) is listed as skipped with its reason.

How an entry says what it ran (the last such line of its output counts):
  bp-test: ran=N skipped=M            the shared doctest main (tests/support/doctest_main.cpp),
                                      the fuzz replays and the test scripts
  PASSED|FAILED: P passed, F failed, S skipped
                                      the conformance kit (`backplane conformance`): ran = P + F
See docs/testing.md.
"""
import re
import sys
import xml.etree.ElementTree as ET

BP_TEST = re.compile(r"^(?:-- )?bp-test: ran=(\d+) skipped=(\d+)\s*$", re.M)
CONFORMANCE = re.compile(r"^(?:PASSED|FAILED): (\d+) passed, (\d+) failed, (\d+) skipped\s*$", re.M)
SKIP_REASON = re.compile(r"^(?:bp-test: SKIPPED |SKIP: |SKIPPED: )(.*)$", re.M)


def cases_ran(output):
    """(ran, skipped) from an entry's output, or None when it never said."""
    found = []
    for m in BP_TEST.finditer(output):
        found.append((m.start(), int(m.group(1)), int(m.group(2))))
    for m in CONFORMANCE.finditer(output):
        found.append((m.start(), int(m.group(1)) + int(m.group(2)), 0))
    if not found:
        return None
    _, ran, skipped = max(found)
    return ran, skipped


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    try:
        root = ET.parse(argv[1]).getroot()
    except (OSError, ET.ParseError) as error:
        print(f"check-test-counts: cannot read {argv[1]}: {error}", file=sys.stderr)
        return 2
    rows, problems = [], []
    counts = {"passed": 0, "skipped": 0, "failed": 0}
    for case in root.iter("testcase"):
        name = case.get("name")
        output = case.findtext("system-out") or ""
        skipped = case.find("skipped") is not None
        failed = case.find("failure") is not None or case.get("status") == "fail"
        ran = cases_ran(output)
        if skipped:
            counts["skipped"] += 1
            reason = SKIP_REASON.findall(output)
            rows.append((name, "skipped", "-", reason[-1] if reason else "(no reason printed)"))
            if not reason:
                problems.append(f"{name}: skipped without printing why")
        elif failed:
            counts["failed"] += 1
            rows.append((name, "failed", "-" if ran is None else str(ran[0]), ""))
        elif ran is None:
            counts["passed"] += 1
            rows.append((name, "passed", "?", "said nothing about what it ran"))
            problems.append(f"{name}: passed without a 'bp-test: ran=N' or conformance summary line")
        elif ran[0] == 0:
            counts["passed"] += 1
            rows.append((name, "passed", "0", "ran nothing"))
            problems.append(f"{name}: passed but ran zero cases")
        else:
            counts["passed"] += 1
            rows.append((name, "passed", str(ran[0]), f"{ran[1]} skipped inside" if ran[1] else ""))
    if not rows:
        problems.append("the JUnit file lists no test at all")
    width = max((len(r[0]) for r in rows), default=10)
    print(f"{'CTest entry':<{width}}  {'result':<7}  {'cases':>5}  note")
    for name, result, n, note in rows:
        print(f"{name:<{width}}  {result:<7}  {n:>5}  {note}")
    print(f"check-test-counts: {len(rows)} entries: {counts['passed']} passed, {counts['skipped']} skipped, "
          f"{counts['failed']} failed")
    for p in problems:
        print(f"check-test-counts: FAIL: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
