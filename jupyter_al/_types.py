"""Small shared type aliases (private)."""

from __future__ import annotations

from typing import Literal, TypeAlias

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

#: The label-schema tasks: the model predicts classes (one, or a set) per item.
Task: TypeAlias = Literal["classification", "multilabel"]
TASKS: tuple[Task, ...] = ("classification", "multilabel")
#: Every task a session runs: the class tasks, spans, relevance grades and numbers ("other").
AnyTask: TypeAlias = Literal["classification", "multilabel", "extraction", "ranking", "regression"]
ALL_TASKS: tuple[AnyTask, ...] = (*TASKS, "extraction", "ranking", "regression")
#: The tasks whose labels are not class names (``jupyter_al._tasks``).
OTHER_TASKS: tuple[AnyTask, ...] = ("extraction", "ranking", "regression")

#: A feature matrix: dense ndarray or a scipy sparse matrix (CSR), rows aligned to positions.
Features: TypeAlias = NDArray[np.float64] | NDArray[np.float32] | sp.csr_matrix | sp.csr_array

#: A JSON-safe item id: the data's own index value.
ItemId: TypeAlias = int | str
