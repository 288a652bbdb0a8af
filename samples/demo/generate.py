"""Builds samples/demo/telemetry.jsonl, the demo's bundled telemetry (run once by a developer; the output is
committed so `make demo` needs no dataset). Deterministic: fixed seed, fixed row choice.

Each line is one event with `offset_ms` (time after the replay start) instead of an absolute event_time;
`socflow demo` rebases offsets to the current time so timestamps are realistic.

    python3 samples/demo/generate.py ../shared/data/nsl-kdd/KDDTrain+.txt > samples/demo/telemetry.jsonl
"""
import csv
import hashlib
import json
import random
import sys

COLUMNS = ("duration protocol_type service flag src_bytes dst_bytes land wrong_fragment urgent hot num_failed_logins "
           "logged_in num_compromised root_shell su_attempted num_root num_file_creations num_shells num_access_files "
           "num_outbound_cmds is_host_login is_guest_login count srv_count serror_rate srv_serror_rate rerror_rate "
           "srv_rerror_rate same_srv_rate diff_srv_rate srv_diff_host_rate dst_host_count dst_host_srv_count "
           "dst_host_same_srv_rate dst_host_diff_srv_rate dst_host_same_src_port_rate dst_host_srv_diff_host_rate "
           "dst_host_serror_rate dst_host_srv_serror_rate dst_host_rerror_rate dst_host_srv_rerror_rate").split()
STRINGS = {"protocol_type", "service", "flag"}
# How many rows of each label, and which monitored host sees them.
PLAN = {
    "normal": (1500, None), "neptune": (300, "web-01"), "smurf": (60, "web-02"), "back": (30, "web-01"),
    "teardrop": (30, "db-01"), "satan": (100, "dns-01"), "ipsweep": (100, "dns-01"), "portsweep": (100, "db-01"),
    "nmap": (40, "web-02"), "warezclient": (20, "mail-01"), "guess_passwd": (20, "mail-01"),
    "buffer_overflow": (10, "db-01"), "rootkit": (5, "mail-01"),
}
HOSTS = ["web-01", "web-02", "db-01", "mail-01", "dns-01", "ws-17"]
rng = random.Random(20261123)


def event_id(*parts):
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]


def main(path):
    by_label = {}
    with open(path) as f:
        for row in csv.reader(f):
            by_label.setdefault(row[41], []).append(row)
    events = []
    for label, (n, host) in PLAN.items():
        rows = rng.sample(by_label[label], n)
        burst_start = rng.randint(5_000, 40_000)
        for i, row in enumerate(rows):
            target = host or rng.choice(HOSTS)
            offset = rng.randint(0, 60_000) if label == "normal" else burst_start + i * rng.randint(5, 60)
            conn = {c: (v if c in STRINGS else float(v)) for c, v in zip(COLUMNS, row[:41])}
            conn.update(src_ip=f"198.51.100.{rng.randint(2, 254)}", src_port=rng.randint(1024, 65535),
                        dst_ip=f"10.0.{HOSTS.index(target)}.10", dst_port=0 if conn["protocol_type"] == "icmp" else rng.choice([22, 25, 53, 80, 443, 5432]))
            events.append({"offset_ms": offset, "event_id": event_id("conn", label, i), "agent_id": f"sensor-{target}",
                           "host": target, "source": "sensor", "type": "CONNECTION", "payload": conn,
                           "metadata": {"dataset_label": label}})
    # A password-guessing burst against web-01, then a success from the same address.
    for i in range(12):
        events.append(auth(20_000 + i * 900, "web-01", "admin", "203.0.113.7", "FAILURE", i))
    events.append(auth(31_500, "web-01", "admin", "203.0.113.7", "SUCCESS", 99))
    # Ordinary logins.
    for i in range(30):
        events.append(auth(rng.randint(0, 60_000), rng.choice(HOSTS), rng.choice(["alice", "bob", "carol"]), f"10.1.0.{rng.randint(2, 60)}", "SUCCESS", 200 + i))
    # Two AI agents report every second; agent-llm-02 runs away at 45 s (tokens and actions spike).
    for agent in ["agent-llm-01", "agent-llm-02"]:
        for s in range(60):
            runaway = agent == "agent-llm-02" and s >= 45
            metrics = {"tokens_used": round(rng.gauss(1200, 60) * (12 if runaway else 1), 1),
                       "actions": round(rng.gauss(8, 1) * (10 if runaway else 1), 1),
                       "cpu": round(rng.uniform(20, 40), 1), "errors": float(rng.randint(0, 1))}
            events.append({"offset_ms": s * 1000, "event_id": event_id("metric", agent, s), "agent_id": agent,
                           "host": "ai-gw-01", "source": "ai-agent", "type": "METRIC", "payload": {"metrics": metrics}, "metadata": {}})
    # Scanner findings, one of them a new critical CVE on the critical database host.
    findings = [("db-01", "trivy", "CVE-2024-6387", "OpenSSH regreSSHion remote code execution", "critical", "openssh-server", "1:9.2p1-2", "1:9.2p1-2+deb12u3"),
                ("web-01", "zap", "10021", "X-Content-Type-Options header missing", "low", None, None, None),
                ("web-02", "semgrep", "python.lang.security.audit.formatted-sql-query", "Formatted SQL query", "high", None, None, None),
                ("mail-01", "trivy", "CVE-2023-44487", "HTTP/2 rapid reset", "high", "nghttp2", "1.52.0-1", "1.52.0-1+deb12u1")]
    for i, (host, scanner, rule, title, sev, pkg, inst, fix) in enumerate(findings):
        events.append({"offset_ms": 10_000 + i * 5000, "event_id": event_id("finding", host, scanner, rule), "agent_id": host, "host": host,
                       "source": f"scanner:{scanner}", "type": "FINDING", "metadata": {},
                       "payload": {"scanner": scanner, "scanner_id": f"{scanner}:{rule}:{host}", "rule_id": rule, "title": title, "severity": sev,
                                   "cve": [rule] if rule.startswith("CVE-") else [], "cwe": [], "asset": host, "package": pkg,
                                   "installed_version": inst, "fixed_version": fix}})
    events.sort(key=lambda e: (e["offset_ms"], e["event_id"]))
    # Agents retry: a few events are sent twice (same event id) and must be dropped as duplicates.
    for e in rng.sample(events, 5):
        events.append(dict(e, offset_ms=e["offset_ms"] + 500, duplicate_of=e["event_id"]))
    events.sort(key=lambda e: (e["offset_ms"], e["event_id"]))
    for e in events:
        print(json.dumps(e, separators=(",", ":")))


def auth(offset, host, user, ip, outcome, n):
    return {"offset_ms": offset, "event_id": event_id("auth", host, user, ip, n), "agent_id": host, "host": host, "source": "agent",
            "type": "AUTH", "payload": {"user": user, "source_ip": ip, "method": "password", "outcome": outcome}, "metadata": {}}


if __name__ == "__main__":
    main(sys.argv[1])
