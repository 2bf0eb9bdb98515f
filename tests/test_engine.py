"""Tests of jupyter_al._engine beyond the session tests: the cold-start seed's label hints."""

import numpy as np
import pandas as pd
import pytest

from jupyter_al import Session


def _rare_pool():
    rng = np.random.default_rng(4)
    common = ["hello there", "see you soon", "call me later", "how are you", "nice day"]
    rows = [{"text": f"{rng.choice(common)} {i}", "y": "ham"} for i in range(290)]
    rows += [{"text": f"claim your free prize now {i}", "y": "spam"} for i in range(10)]
    return pd.DataFrame(rows)


def test_the_cold_start_seed_covers_a_rare_label_from_its_keywords(tmp_path):
    df = _rare_pool()

    with Session(
        df,
        text="text",
        labels=["ham", "spam"],
        batch_size=6,
        holdout=None,
        keywords={"spam": ["prize"]},
        store=tmp_path / "k",
        random_state=0,
    ) as s:
        batch = s.next_batch()
    with Session(
        df,
        text="text",
        labels=["ham", "spam"],
        batch_size=6,
        holdout=None,
        store=tmp_path / "plain",
        random_state=0,
    ) as s:
        plain = s.next_batch()

    spam = df.index[df["y"] == "spam"]
    assert batch.index.isin(spam).sum() == 1
    first = batch.loc[batch.index.isin(spam), "reason"].iloc[0]
    assert "holds a keyword of 'spam'" in first
    assert plain.index.isin(spam).sum() == 0, "without the hint the seed misses the rare label"


def test_the_seed_uses_a_label_description_when_there_are_no_keywords(tmp_path):
    df = _rare_pool()

    with Session(
        df,
        text="text",
        labels=["ham", "spam"],
        batch_size=6,
        holdout=None,
        label_descriptions={"spam": "claim a free prize"},
        store=tmp_path / "d",
        random_state=0,
    ) as s:
        batch = s.next_batch()

    assert batch.index.isin(df.index[df["y"] == "spam"]).sum() >= 1
    assert batch["reason"].str.contains("closest to the name and description of 'spam'").any()


def test_keywords_outside_the_schema_are_refused(tmp_path):
    with pytest.raises(Exception, match="keywords names a label outside the schema"):
        Session(
            _rare_pool(),
            text="text",
            labels=["ham", "spam"],
            keywords={"eggs": ["x"]},
            store=tmp_path / "r",
        )
    with pytest.raises(Exception, match=r"keywords\['spam'\] must be a list of words"):
        Session(
            _rare_pool(),
            text="text",
            labels=["ham", "spam"],
            keywords={"spam": "prize"},
            store=tmp_path / "r2",
        )
