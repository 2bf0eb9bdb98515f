"""Small shared type aliases (private)."""

from __future__ import annotations

from typing import Literal, TypeAlias

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

Task: TypeAlias = Literal["classification", "multilabel"]
TASKS: tuple[Task, ...] = ("classification", "multilabel")

#: A feature matrix: dense ndarray or a scipy sparse matrix (CSR), rows aligned to positions.
Features: TypeAlias = NDArray[np.float64] | NDArray[np.float32] | sp.csr_matrix | sp.csr_array

#: A JSON-safe item id: the data's own index value.
ItemId: TypeAlias = int | str
