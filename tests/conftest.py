"""Shared fixtures: small synthetic pools, sessions, and the shared real datasets."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from jupyter_al import Session

if TYPE_CHECKING:
    from collections.abc import Iterator

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

_VOCAB = {
    "sports": [
        "goal",
        "match",
        "team",
        "score",
        "league",
        "coach",
        "player",
        "win",
        "season",
        "stadium",
    ],
    "tech": [
        "laptop",
        "software",
        "chip",
        "cloud",
        "code",
        "server",
        "phone",
        "battery",
        "update",
        "network",
    ],
    "food": [
        "recipe",
        "pizza",
        "pasta",
        "sauce",
        "bake",
        "flavor",
        "dinner",
        "spicy",
        "salad",
        "bread",
    ],
}
_SHARED = ["the", "a", "today", "really", "very", "new", "just", "about", "good", "great"]


def free_port() -> int:
    """Return a free TCP port on the loopback interface (servers the tests start bind it)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_text_frame(
    n: int = 300, seed: int = 0, weights: tuple[float, ...] = (0.5, 0.3, 0.2)
) -> pd.DataFrame:
    """Short documents from three topics with some shared words (learnable, not trivial)."""
    rng = np.random.default_rng(seed)
    topics = list(_VOCAB)
    y = rng.choice(topics, size=n, p=list(weights))
    texts = []
    for topic in y:
        own = rng.choice(_VOCAB[topic], size=4)
        other = rng.choice(_VOCAB[rng.choice(topics)], size=2)
        filler = rng.choice(_SHARED, size=3)
        words = np.concatenate([own, other, filler])
        rng.shuffle(words)
        texts.append(" ".join(words))
    return pd.DataFrame({"text": texts, "topic": y})


def make_multilabel_frame(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """Documents that mix one to three topics; the label cell is "a|b"."""
    rng = np.random.default_rng(seed)
    topics = list(_VOCAB)
    texts, labels = [], []
    for _ in range(n):
        k = int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15]))
        chosen = sorted(rng.choice(topics, size=k, replace=False).tolist())
        words = np.concatenate(
            [rng.choice(_VOCAB[t], size=3) for t in chosen] + [rng.choice(_SHARED, size=2)]
        )
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append("|".join(chosen))
    return pd.DataFrame({"text": texts, "topics": labels})


@pytest.fixture
def seed() -> int:
    """The tests' seed; set JAL_TEST_SEED to run the suite under another one."""
    return int(os.environ.get("JAL_TEST_SEED", "0"))


@pytest.fixture
def pool(seed: int) -> pd.DataFrame:
    return make_text_frame(300, seed)


@pytest.fixture
def ml_pool(seed: int) -> pd.DataFrame:
    return make_multilabel_frame(240, seed)


@pytest.fixture
def numeric_pool(seed: int) -> pd.DataFrame:
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=seed
    )
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    df["y"] = np.array(["a", "b", "c"])[y]
    return df


@pytest.fixture
def session(pool: pd.DataFrame, tmp_path: Path, seed: int) -> Iterator[Session]:
    s = Session(
        pool,
        text="text",
        labels=["sports", "tech", "food"],
        holdout=0.2,
        holdout_label_column="topic",
        batch_size=10,
        random_state=seed,
        store=tmp_path / "run",
    )
    yield s
    s.close()


def answer_batch(s: Session, truth: pd.Series) -> pd.DataFrame:
    """Label the open batch with the true labels; return the batch."""
    batch = s.next_batch()
    for item_id in batch.index:
        s.label(item_id, truth.loc[item_id])
    return batch


@pytest.fixture
def labeled_session(session: Session, pool: pd.DataFrame) -> Session:
    """A session after two closed rounds."""
    for _ in range(2):
        answer_batch(session, pool["topic"])
        session.submit()
    return session


def read_sms(limit: int | None = None) -> pd.DataFrame:
    path = SHARED_DATA / "sms_spam" / "SMSSpamCollection.tsv"
    if not path.exists():
        pytest.skip(f"shared dataset not found at {path}")
    df = pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE)
    return df.head(limit) if limit else df
