"""duizhang (对账) from Python: the Rust engine behind Arrow record batches.

``python -m duizhang.spark reconcile CASE_DIR --out OUT_DIR`` runs a whole
case on Apache Spark and writes the same four files as ``duizhang
reconcile``, byte for byte.
"""

from ._native import DuizhangError

__all__ = ["DuizhangError"]
