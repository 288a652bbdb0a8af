"""NSL-KDD schema, loading and attack taxonomy (shared by the factory scripts).

Column names and the attack-category mapping follow
the dataset README (Tavallaee et al., CISDA 2009).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

# The 41 connection attributes, in file order. The ONNX model exposes one
# graph input per attribute, named exactly like this, in this order.
FEATURES: list[str] = """
duration protocol_type service flag src_bytes dst_bytes land wrong_fragment urgent hot
num_failed_logins logged_in num_compromised root_shell su_attempted num_root num_file_creations num_shells
num_access_files num_outbound_cmds is_host_login is_guest_login count srv_count serror_rate srv_serror_rate
rerror_rate srv_rerror_rate same_srv_rate diff_srv_rate srv_diff_host_rate dst_host_count dst_host_srv_count
dst_host_same_srv_rate dst_host_diff_srv_rate dst_host_same_src_port_rate dst_host_srv_diff_host_rate
dst_host_serror_rate dst_host_srv_serror_rate dst_host_rerror_rate dst_host_srv_rerror_rate
""".split()
assert len(FEATURES) == 41

CATEGORICAL: list[str] = ["protocol_type", "service", "flag"]
NUMERIC: list[str] = [c for c in FEATURES if c not in CATEGORICAL]
assert len(NUMERIC) == 38

ALL_COLUMNS = FEATURES + ["label", "difficulty"]

# Attack name -> category (README "Attack categories"). Includes the test-only
# attack names so the mapping is complete; only training names occur here.
_FAMILIES = {
    "dos": "back land neptune pod smurf teardrop apache2 mailbomb processtable udpstorm",
    "probe": "ipsweep nmap portsweep satan mscan saint",
    "r2l": (
        "ftp_write guess_passwd imap multihop phf spy warezclient warezmaster named "
        "sendmail snmpgetattack snmpguess xlock xsnoop worm httptunnel"
    ),
    "u2r": "buffer_overflow loadmodule perl rootkit ps sqlattack xterm",
}
ATTACK_FAMILY: dict[str, str] = {
    name: fam for fam, names in _FAMILIES.items() for name in names.split()
}
FAMILIES = ["dos", "probe", "r2l", "u2r"]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load(path: Path) -> pd.DataFrame:
    """Read KDDTrain+-format CSV (no header, 43 fields).

    Numeric attributes are rounded to float32 (the model contract's input type)
    and kept as float64 so that scikit-learn sees exactly the values ONNX sees.
    """
    df = pd.read_csv(
        path,
        header=None,
        names=ALL_COLUMNS,
        dtype={c: str for c in CATEGORICAL + ["label"]},
    )
    if df.shape[1] != 43:
        raise ValueError(f"{path}: expected 43 columns, got {df.shape[1]}")
    for c in NUMERIC:
        df[c] = df[c].astype(np.float32).astype(np.float64)
    unknown = sorted(set(df["label"]) - set(ATTACK_FAMILY) - {"normal"})
    if unknown:
        raise ValueError(f"labels without an attack category: {unknown}")
    df["is_attack"] = (df["label"] != "normal").astype(np.int64)
    df["family"] = df["label"].map(lambda l: ATTACK_FAMILY.get(l, "normal"))
    return df
