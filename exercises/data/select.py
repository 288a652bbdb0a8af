"""Builds exercises/data/nslkdd.csv: the NSL-KDD rows the red scenarios replay (run once by a developer; the
output is committed so exercises never read the dataset at run time). Deterministic: for each label, the rows
with the smallest sha256 of their text (a stable pseudo-random pick that does not depend on file order).

    python3 exercises/data/select.py /work/shared/data/nsl-kdd/KDDTrain+.txt > exercises/data/nslkdd.csv

Output: CSV without header, the 41 connection attributes then the label (the difficulty column is dropped).
"""
import csv
import hashlib
import sys

# Rows per label: enough for the densest scenario of the library (rows are cycled when a scenario needs more).
PLAN = {
    "normal": 200,
    # DoS
    "neptune": 200, "smurf": 120, "back": 40, "teardrop": 40,
    # Probe
    "satan": 120, "portsweep": 120, "ipsweep": 60, "nmap": 60,
    # R2L
    "guess_passwd": 40, "warezclient": 60, "ftp_write": 8,
    # U2R
    "buffer_overflow": 30, "rootkit": 10, "loadmodule": 9,
}


def main(path):
    by_label = {}
    with open(path) as f:
        for row in csv.reader(f):
            if len(row) != 43:
                continue
            by_label.setdefault(row[41], []).append(row)
    out = csv.writer(sys.stdout, lineterminator="\n")
    for label, n in PLAN.items():
        rows = by_label.get(label, [])
        if len(rows) < n:
            raise SystemExit(f"{label}: only {len(rows)} rows, need {n}")
        rows = sorted(rows, key=lambda r: hashlib.sha256(",".join(r).encode()).hexdigest())[:n]
        for r in rows:
            out.writerow(r[:42])


if __name__ == "__main__":
    main(sys.argv[1])
